"""Faults injected into a running site, each checked for nothing lost and nothing done twice.

    python bench/faults.py [--seconds 60] [--reviewers 20] [--port 8216] [--probes NAME ...]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/faults.py

On loopback, on a fresh database, each probe starts its own gunicorn and real Celery workers (two
pool children each; the default broker in a SQLite file of the probe's own unless CELERY_BROKER_URL
is set), runs jobs through the API, injects its fault while a job is midway, and checks the outcome:

- ``pool-children``: N reviewers, each with an API token, decide on overlapping labels at the
  revision they read while a labelling job and an import run, and the worker's pool children are
  SIGKILLed twice. Checked: no 5xx, every decision applied (200) or refused as stale (409), no lost
  update (the revisions returned for a label all differ, each above the one it was decided at, the
  label's is the highest), the worker survived.
- ``worker-killed``: the worker's main process is SIGKILLed mid-labelling and another worker started.
- ``redis-restarted``: the broker (a redis-server of the run's own) is restarted mid-labelling, then
  killed with its saved state deleted (every queued message lost).
- ``connection-terminated``: the import's database connection is terminated (``pg_terminate_backend``)
  midway (PostgreSQL only); the failed import is retried through the job's API.

Every probe also checks that each job succeeded, a labelling job wrote one label per turn (none
missing, none twice), and an import holds every dialogue of its file once. Prints one JSON line: per
probe, what it injected, what it verified, its problems; a run with problems exits non-zero.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _faults_support import (
    Api,
    RedisServer,
    Site,
    alive,
    dialogues_exactly_once,
    job_finished,
    job_midway,
    jobs_succeeded,
    labels_exactly_once,
    pool_children,
    sleep_until,
    wait,
)
from _setup import ROOT, database_backend, emit, fresh_database

sys.path.insert(0, str(ROOT))

REVIEW_DIALOGUES = 8  # the reviewers share these: collisions are the point
KILLS = 2
PROBES = ("pool-children", "worker-killed", "redis-restarted", "connection-terminated")
JOB_SECONDS = 300  # the longest a probe waits for its jobs after the fault


@dataclass
class World:
    """What every probe starts from: a tiny model, reviewers' tokens, an admin's, a file to import."""

    folder: Path
    model: Any
    admin: Any
    admin_token: str
    review_dialogues: list[int]
    reviewer_tokens: list[str]
    import_file: Path
    import_lines: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the reviewers decide")
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--port", type=int, default=8216, help="the first probe's; each next one +1")
    parser.add_argument("--redis-port", type=int, default=8226, help="the redis-server the run starts")
    parser.add_argument("--label-dialogues", type=int, default=600, help="dialogues a labelling job labels")
    parser.add_argument("--import-dialogues", type=int, default=2000)
    parser.add_argument("--probes", nargs="+", choices=PROBES, default=list(PROBES))
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="selflearn-faults-"))
    os.environ.setdefault("SELFLEARN_VAR_DIR", str(folder))
    os.environ.setdefault("SELFLEARN_MODELS_DIR", str(folder / "models"))
    os.environ.setdefault("SELFLEARN_JOB_LEASE_SECONDS", "6")
    os.environ.setdefault("SELFLEARN_JOB_REAP_SECONDS", "2")
    os.environ["AXES_ENABLED"] = "0"  # 20 clients on one address are not an attack
    os.environ["DEBUG"] = "0"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-faults-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    with fresh_database():
        ok = run(args, folder)
    if ok:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        raise SystemExit(f"problems found; the logs are in {folder}")


def run(args: argparse.Namespace, folder: Path) -> bool:
    world = prepare(args, folder)
    probes = {
        "pool-children": probe_pool_children_killed,
        "worker-killed": probe_worker_main_process_killed,
        "redis-restarted": probe_redis_restarted,
        "connection-terminated": probe_connection_terminated_mid_import,
    }
    reports: dict[str, dict[str, Any]] = {}
    for number, name in enumerate(args.probes):
        began = time.monotonic()
        try:
            report = probes[name](world, args, args.port + number)
        except TimeoutError as error:
            report = {"injected": [], "verified": [], "problems": [str(error)]}
        report["seconds"] = round(time.monotonic() - began, 1)
        report["ok"] = not report["problems"]
        reports[name] = report
    ok = all(report["ok"] for report in reports.values())
    emit({"benchmark": "faults", "database": database_backend(), "probes": reports, "ok": ok})
    return ok


def prepare(args: argparse.Namespace, folder: Path) -> World:
    from django.contrib.auth import get_user_model

    from accounts.services import api_token_create
    from annotations.models import Dialogue, Membership, Role
    from models_app.ml.config import ModelConfig, TrainConfig
    from models_app.ml.encoder import build_tiny_encoder
    from models_app.recipes import run as recipes
    from models_app.services import model_train

    with contextlib.redirect_stdout(sys.stderr):
        training = recipes.simulated_dataset("train", 24, users=6, seed=3)
        model = model_train(
            name="tiny",
            datasets=[training],
            model_config=ModelConfig(
                encoder=build_tiny_encoder(folder / "encoder"),
                context_width=32,
                context_layers=1,
                context_heads=2,
                max_tokens=32,
            ),
            train_config=TrainConfig(epochs=1, batch_size=16, validation_fraction=0.25, threads=1),
        )
        review = recipes.simulated_dataset("review", 40, users=10, seed=4)
        import_file = folder / "incoming.jsonl"
        recipes._simulate(import_file, dialogues=args.import_dialogues, users=100, seed=6)
    users = get_user_model().objects
    admin = users.create_user("soak-admin")
    for dataset in (review, training):
        Membership.objects.get_or_create(dataset=dataset, user=admin, defaults={"role": Role.ADMIN})
    tokens = []
    for number in range(args.reviewers):
        user = users.create_user(f"soak-reviewer-{number}")
        Membership.objects.create(dataset=review, user=user, role=Role.REVIEWER)
        tokens.append(api_token_create(user=user, name="soak")[1])
    dialogues = list(Dialogue.objects.filter(dataset=review).order_by("pk").values_list("pk", flat=True))
    return World(
        folder=folder,
        model=model,
        admin=admin,
        admin_token=api_token_create(user=admin, name="soak")[1],
        review_dialogues=dialogues[:REVIEW_DIALOGUES],
        reviewer_tokens=tokens,
        import_file=import_file,
        import_lines=sum(1 for line in import_file.open() if line.strip()),
    )


# --- what the probes share ---------------------------------------------------------------------------


def _site(world: World, name: str, port: int, broker: str | None = None) -> Site:
    folder = world.folder / name
    folder.mkdir(parents=True, exist_ok=True)
    broker = broker or os.environ.get("CELERY_BROKER_URL") or f"sqla+sqlite:///{folder / 'broker.sqlite3'}"
    return Site(folder=folder, port=port, broker=broker)


def _labelling_dataset(world: World, name: str, dialogues: int) -> Any:
    from annotations.models import Membership, Role
    from models_app.recipes import run as recipes

    with contextlib.redirect_stdout(sys.stderr):
        dataset = recipes.simulated_dataset(name, dialogues, users=50, seed=5)
    Membership.objects.get_or_create(dataset=dataset, user=world.admin, defaults={"role": Role.ADMIN})
    return dataset


def _start_labelling(api: Api, dataset: Any, model: Any) -> int:
    status, job, _ = api.call("POST", f"/api/datasets/{dataset.name}/labelling-jobs/", {"model": model.name})
    assert status == 202, (status, job)
    return int(job["id"])


def _start_import(api: Api, world: World, name: str) -> int:
    api.call("POST", "/api/datasets/", {"name": name})
    status, job, _ = api.call(
        "POST",
        f"/api/datasets/{name}/imports/",
        raw=world.import_file.read_bytes(),
        content_type="application/x-ndjson",
    )
    assert status == 202, (status, job)
    return int(job["id"])


def _wait_midway(job_id: int) -> None:
    wait(lambda: job_midway(job_id) or job_finished(job_id), JOB_SECONDS, f"job {job_id} to be midway")
    if job_finished(job_id):
        raise TimeoutError(f"job {job_id} ended before the fault could be injected: give it more dialogues")


def _verify_labelling(job_id: int, dataset: Any, world: World) -> tuple[list[str], list[str]]:
    verified, problems = [], []
    for check in (jobs_succeeded([job_id]), labels_exactly_once(dataset, world.model)):
        verified.append(check[0])
        problems += check[1]
    return verified, problems


# --- the probes ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the reviewers saw, shared by their threads."""

    lock: threading.Lock
    statuses: Counter[int]
    save_seconds: list[float]
    # label id -> [(revision sent, revision returned)] of applied decisions
    applied: dict[int, list[tuple[int, int]]]
    errors: list[str]


def reviewer_loop(api: Api, dialogues: list[int], stop: threading.Event, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        dialogue = rng.choice(dialogues)
        status, page, _ = api.call("GET", f"/api/datasets/review/review/dialogues/{dialogue}/")
        with tally.lock:
            tally.statuses[status] += 1
            if status != 200:
                tally.errors.append(f"page {dialogue}: {status} {str(page)[:200]}")
        labels = [
            label for label in (page or {}).get("labels", []) if label.get("kind") in ("intent", "defect")
        ]
        if status != 200 or not labels:
            continue
        label = rng.choice(labels)
        body = {"action": rng.choice(["accept", "reject"]), "revision": label["revision"]}
        status, outcome, seconds = api.call(
            "POST", f"/api/datasets/review/review/labels/{label['id']}/decision/", body
        )
        with tally.lock:
            tally.statuses[status] += 1
            tally.save_seconds.append(seconds)
            if status == 200:
                returned = {item["id"]: item["revision"] for item in outcome["labels"]}
                if label["id"] in returned:
                    tally.applied[label["id"]].append((label["revision"], returned[label["id"]]))
            elif status != 409:
                tally.errors.append(f"decision {label['id']}: {status} {str(outcome)[:200]}")


def _kill_pool_children_twice(
    worker: Any, site: Site, world: World, imports: list[int], began: float, seconds: float
) -> list[dict[str, Any]]:
    """At a third and two thirds of the soak, SIGKILL every pool child while a job runs (an import is
    started first when none does)."""
    from jobs.models import Job

    kills, api = [], Api(site.base, world.admin_token)
    for kill in range(1, KILLS + 1):
        sleep_until(began + seconds * kill / (KILLS + 1))
        if not Job.objects.filter(status=Job.Status.RUNNING).exists():
            imports.append(_start_import(api, world, f"incoming-{kill}"))
            wait(lambda: Job.objects.filter(status=Job.Status.RUNNING).exists(), 30, "a running job")
        running = list(Job.objects.filter(status=Job.Status.RUNNING).values_list("pk", "kind"))
        children = pool_children(worker)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        kills.append({"at_s": round(time.monotonic() - began, 1), "children": len(children),
                      "running_jobs": [f"{kind} {pk}" for pk, kind in running]})  # fmt: skip
    return kills


def _lost_updates(tally: Tally) -> int:
    from annotations.models import Label

    lost = 0
    for label_id, applied in tally.applied.items():
        returned = [after for _, after in applied]
        if len(set(returned)) != len(returned) or any(after <= sent for sent, after in applied):
            lost += 1
        if Label.objects.get(pk=label_id).revision != max(returned):
            lost += 1
    return lost


def probe_pool_children_killed(world: World, args: argparse.Namespace, port: int) -> dict[str, Any]:
    """Reviewers collide on labels while jobs run and the worker's pool children are killed twice."""
    dataset = _labelling_dataset(world, "to-label", args.label_dialogues)
    with _site(world, "pool-children", port) as site:
        admin = Api(site.base, world.admin_token)
        site.start_web(admin)
        worker = site.start_worker("soak")
        imports = [_start_import(admin, world, "incoming-0")]
        labelling = _start_labelling(admin, dataset, world.model)
        tally = Tally(threading.Lock(), Counter(), [], defaultdict(list), [])
        stop = threading.Event()
        threads = [threading.Thread(target=reviewer_loop, daemon=True,
                                    args=(Api(site.base, token), world.review_dialogues, stop, tally, number))
                   for number, token in enumerate(world.reviewer_tokens)]  # fmt: skip
        began = time.monotonic()
        for thread in threads:
            thread.start()
        kills = _kill_pool_children_twice(worker, site, world, imports, began, args.seconds)
        sleep_until(began + args.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        soak_seconds = time.monotonic() - began
        ids = [labelling, *imports]
        wait(lambda: all(job_finished(pk) for pk in ids), JOB_SECONDS, "the jobs to end")
        worker_alive = worker.poll() is None
    report = _pool_children_report(world, tally, kills, seconds=soak_seconds, worker_alive=worker_alive)
    for check in [jobs_succeeded(ids), labels_exactly_once(dataset, world.model)] + [
        dialogues_exactly_once(f"incoming-{number}", world.import_lines) for number in range(len(imports))
    ]:
        report["verified"].append(check[0])
        report["problems"] += check[1]
    return report


def _pool_children_report(
    world: World, tally: Tally, kills: list[dict[str, Any]], *, seconds: float, worker_alive: bool
) -> dict[str, Any]:
    problems = list(tally.errors[:10])
    server_errors = sum(count for status, count in tally.statuses.items() if status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers were 5xx")
    lost = _lost_updates(tally)
    if lost:
        problems.append(f"{lost} labels lost an update")
    verified = [f"{len(tally.save_seconds)} decisions: {server_errors} 5xx, {lost} lost updates"]
    if not worker_alive:
        problems.append("the worker exited")
    saves = sorted(tally.save_seconds)
    return {
        "injected": [
            f"SIGKILL to {kill['children']} pool children at {kill['at_s']} s while "
            f"{', '.join(kill['running_jobs'])} ran"
            for kill in kills
        ],
        "verified": [*verified, f"the worker survived: {worker_alive}"],
        "problems": problems,
        "reviewers": len(world.reviewer_tokens),
        "decisions_per_s": round(len(saves) / seconds, 1),
        "applied": sum(len(applied) for applied in tally.applied.values()),
        "refused_409": tally.statuses.get(409, 0),
        "save_ms": {
            "p50": round(saves[len(saves) // 2] * 1000, 1) if saves else None,
            "p95": round(saves[int(len(saves) * 0.95)] * 1000, 1) if saves else None,
        },
        "statuses": {str(status): count for status, count in sorted(tally.statuses.items())},
    }


def probe_worker_main_process_killed(world: World, args: argparse.Namespace, port: int) -> dict[str, Any]:
    """The worker's main process is SIGKILLed mid-labelling (its children are left to themselves, as
    when the OOM killer picks it); a second worker starts, and the job must finish exactly once."""
    dataset = _labelling_dataset(world, "to-label-worker-killed", args.label_dialogues)
    with _site(world, "worker-killed", port) as site:
        admin = Api(site.base, world.admin_token)
        site.start_web(admin)
        first = site.start_worker("w1")
        job = _start_labelling(admin, dataset, world.model)
        _wait_midway(job)
        children = pool_children(first)
        killed_at = time.monotonic()
        os.kill(first.pid, signal.SIGKILL)
        time.sleep(2)
        orphans = [pid for pid in children if alive(pid)]
        site.start_worker("w2")
        wait(lambda: job_finished(job), JOB_SECONDS, "the labelling job to end")
        recovered_s = round(time.monotonic() - killed_at, 1)
    verified, problems = _verify_labelling(job, dataset, world)
    return {
        "injected": [
            f"SIGKILL to the worker's main process (pid {first.pid}) midway through labelling job "
            f"{job}; {len(orphans)} of its {len(children)} pool children outlived it 2 s"
        ],
        "verified": [*verified, f"the job ended {recovered_s} s after the kill, under a second worker"],
        "problems": problems,
    }


def probe_redis_restarted(world: World, args: argparse.Namespace, port: int) -> dict[str, Any]:
    """The broker is restarted midway (saving first), then killed with its saved state deleted."""
    if shutil.which("redis-server") is None:
        return {"injected": [], "verified": [], "problems": [], "skipped": "no redis-server on this machine"}
    redis = RedisServer(world.folder / "redis", args.redis_port)
    redis.start()
    dataset = _labelling_dataset(world, "to-label-redis", args.label_dialogues)
    injected = []
    try:
        with _site(world, "redis-restarted", port, broker=redis.url) as site:
            admin = Api(site.base, world.admin_token)
            site.start_web(admin)
            worker = site.start_worker("w1")
            job = _start_labelling(admin, dataset, world.model)
            _wait_midway(job)
            kept = redis.restart_keeping_state()
            injected.append(f"redis restarted (SHUTDOWN SAVE) with {kept} keys, midway through job {job}")
            done = _progress(job)
            wait(
                lambda: job_finished(job) or _progress(job) > done, JOB_SECONDS, "progress after the restart"
            )
            if not job_finished(job):
                lost = redis.kill_losing_state()
                injected.append(f"redis SIGKILLed, its saved state deleted: {lost} keys lost")
            wait(lambda: job_finished(job), JOB_SECONDS, "the labelling job to end")
            worker_alive = worker.poll() is None
    finally:
        redis.stop()
    verified, problems = _verify_labelling(job, dataset, world)
    if not worker_alive:
        problems.append("the worker exited")
    return {
        "injected": injected,
        "verified": [*verified, f"the worker survived: {worker_alive}"],
        "problems": problems,
    }


def _progress(job_id: int) -> int:
    from jobs.models import Job

    return int(Job.objects.values_list("progress_done", flat=True).get(pk=job_id))


def _terminate_import_writers() -> list[str]:
    """pg_terminate_backend on every other session of this database that is writing the corpus's
    tables (COPY or INSERT into annotations_*): the import's writer, inside its transaction. Returns
    the statements cut short."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT left(query, 60), pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
            " AND (query ILIKE 'COPY %%annotations_%%' OR query ILIKE 'INSERT INTO %%annotations_%%')"
        )
        return [statement for statement, _ in cursor.fetchall()]


def probe_connection_terminated_mid_import(
    world: World, args: argparse.Namespace, port: int
) -> dict[str, Any]:
    """The import's database connection is terminated midway; the failed job is retried through the
    job's API, and the dataset must then hold every dialogue of the file once."""
    from jobs.models import Job

    if database_backend() != "postgresql":
        return {
            "injected": [],
            "verified": [],
            "problems": [],
            "skipped": "pg_terminate_backend needs PostgreSQL",
        }
    with _site(world, "connection-terminated", port) as site:
        admin = Api(site.base, world.admin_token)
        site.start_web(admin)
        site.start_worker("w1")
        job = _start_import(admin, world, "incoming-terminated")
        terminated: list[str] = []
        deadline = time.monotonic() + JOB_SECONDS
        while not terminated and not job_finished(job) and time.monotonic() < deadline:
            terminated = _terminate_import_writers()
            time.sleep(0.02)
        wait(lambda: job_finished(job), JOB_SECONDS, "the import to end after the termination")
        first = Job.objects.get(pk=job)
        # A failed import runs again from its kept upload (the retry resets the job before it answers).
        retried = (
            admin.call("POST", f"/api/jobs/{job}/retry/") if first.status != Job.Status.SUCCEEDED else None
        )
        if retried and retried[0] < 300:
            wait(lambda: job_finished(job), JOB_SECONDS, "the retried import to end")
    problems = [] if terminated else ["no import connection was caught writing: nothing injected"]
    if retried and retried[0] >= 300:
        problems.append(f"the failed import could not be retried: {retried[0]} {retried[1]}")
    verified = [f"after the termination the job was {first.status} ({first.error[:120]})"]
    for check in (jobs_succeeded([job]), dialogues_exactly_once("incoming-terminated", world.import_lines)):
        verified.append(check[0])
        problems += check[1]
    return {
        "injected": [
            f"pg_terminate_backend on the session of import job {job} running {each!r}" for each in terminated
        ],
        "verified": verified
        + ([f"retried through POST /api/jobs/{job}/retry/: {retried[0]}"] if retried else []),
        "problems": problems,
    }


if __name__ == "__main__":
    main()

"""A soak under faults: 20 reviewers deciding on overlapping labels while jobs run and a pool child dies.

    python bench/faults.py [--seconds 60] [--reviewers 20] [--port 8216]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/faults.py

On loopback: gunicorn serves the site and a real Celery worker (two pool children, the default broker
in a SQLite file of the run's own unless CELERY_BROKER_URL is set) runs the jobs, on a fresh database.
N reviewers, each with an API token, read a review dialogue through the API and decide on one of its
labels at the revision they read, over and over, on a small set of dialogues so that they collide. At
the same time a labelling job (a tiny model, one dialogue per chunk) and an import run, and a pool child
of the worker is killed (SIGKILL) twice, each time while a job runs (another import is started when
none is running).

Checked at the end, each a failure of the run when broken:
- no 5xx, and every decision either applied (200) or refused as stale (409);
- no lost update: the revisions that applied decisions returned for a label are all different, each
  above the one the decision was made at, and the label's revision is the highest of them;
- the labelling job wrote exactly one label per turn and kind (none missing, none twice), every import
  holds every dialogue of its file exactly once;
- no job is left running (pending or running): every one succeeded;
- the worker is still the one that started (it survived its children).

Prints one JSON line: decisions per second, p50 and p95 save latency, the counts, the faults survived.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, database_backend, emit, fresh_database

sys.path.insert(0, str(ROOT))

REVIEW_DIALOGUES = 8  # the reviewers share these: collisions are the point
KILLS = 2


class Api:
    """A tiny JSON client over http.client (through urllib), one per reviewer."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any, float]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Token {self.token}")
        if data is not None:
            request.add_header("Content-Type", content_type)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        seconds = time.perf_counter() - started
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload[:200]
        return status, parsed, seconds


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.save_seconds: list[float] = []
        # label id -> [(revision sent, revision returned)] of applied decisions
        self.applied: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.errors: list[str] = []


def reviewer_loop(
    api: Api, dataset: str, dialogues: list[int], stop: threading.Event, tally: Tally, seed: int
) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        dialogue = rng.choice(dialogues)
        status, page, _ = api.call("GET", f"/api/datasets/{dataset}/review/dialogues/{dialogue}/")
        with tally.lock:
            tally.statuses[status] += 1
        if status != 200:
            with tally.lock:
                tally.errors.append(f"page {dialogue}: {status} {str(page)[:200]}")
            continue
        labels = [label for label in page["labels"] if label.get("kind") in ("intent", "defect")]
        if not labels:
            continue
        label = rng.choice(labels)
        action = rng.choice(["accept", "reject"])
        status, outcome, seconds = api.call(
            "POST",
            f"/api/datasets/{dataset}/review/labels/{label['id']}/decision/",
            {"action": action, "revision": label["revision"]},
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


def pool_children(worker: subprocess.Popen) -> list[int]:
    pids: list[int] = []
    for children in Path(f"/proc/{worker.pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            pids += [int(pid) for pid in children.read_text().split()]
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--port", type=int, default=8216)
    parser.add_argument("--label-dialogues", type=int, default=600, help="dialogues the labelling job labels")
    parser.add_argument("--import-dialogues", type=int, default=2000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="selflearn-faults-"))
    os.environ.setdefault("SELFLEARN_VAR_DIR", str(folder))
    os.environ.setdefault("CELERY_BROKER_URL", f"sqla+sqlite:///{folder / 'broker.sqlite3'}")
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
        raise SystemExit(f"problems found; the logs are in {folder / 'logs'}")


def run(args: argparse.Namespace, folder: Path) -> bool:
    from django.contrib.auth import get_user_model

    from accounts.services import api_token_create
    from annotations.models import Dialogue, Label, Membership, Role, Turn
    from jobs.models import Job
    from models_app.ml.config import ModelConfig, TrainConfig
    from models_app.ml.encoder import build_tiny_encoder
    from models_app.recipes import run as recipes
    from models_app.services import model_train

    with contextlib.redirect_stdout(sys.stderr):
        training = recipes.simulated_dataset("train", 24, users=6, seed=3)
        encoder = build_tiny_encoder(folder / "encoder")
        model = model_train(
            name="tiny",
            datasets=[training],
            model_config=ModelConfig(
                encoder=encoder, context_width=32, context_layers=1, context_heads=2, max_tokens=32
            ),
            train_config=TrainConfig(epochs=1, batch_size=16, validation_fraction=0.25, threads=1),
        )
        review = recipes.simulated_dataset("review", 40, users=10, seed=4)
        to_label = recipes.simulated_dataset("to-label", args.label_dialogues, users=50, seed=5)
        import_file = folder / "incoming.jsonl"
        recipes._simulate(import_file, dialogues=args.import_dialogues, users=100, seed=6)
    import_lines = sum(1 for line in import_file.open() if line.strip())

    users = get_user_model().objects
    admin = users.create_user("soak-admin")
    for dataset in (review, to_label, training):
        Membership.objects.get_or_create(dataset=dataset, user=admin, defaults={"role": Role.ADMIN})
    tokens = []
    for number in range(args.reviewers):
        user = users.create_user(f"soak-reviewer-{number}")
        Membership.objects.create(dataset=review, user=user, role=Role.REVIEWER)
        tokens.append(api_token_create(user=user, name="soak")[1])
    admin_token = api_token_create(user=admin, name="soak")[1]
    dialogues = list(Dialogue.objects.filter(dataset=review).order_by("pk").values_list("pk", flat=True))
    shared = dialogues[:REVIEW_DIALOGUES]

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SELFLEARN_TORCH_THREADS": "1"}
    logs = folder / "logs"
    logs.mkdir()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "selflearn_site.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            "3",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        stdout=(logs / "gunicorn.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "selflearn_site",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--hostname",
            "soak@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=(logs / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    admin_api = Api(base, admin_token)
    try:
        _wait(lambda: _up(admin_api), 60, "gunicorn to answer")
        _wait(lambda: len(pool_children(worker)) == 2, 120, "the worker's pool")
        started_jobs: list[tuple[str, int, str]] = []  # (kind, job id, dataset)

        def start_import(name: str) -> None:
            admin_api.call("POST", "/api/datasets/", {"name": name})
            status, job, _ = admin_api.call(
                "POST",
                f"/api/datasets/{name}/imports/",
                raw=import_file.read_bytes(),
                content_type="application/x-ndjson",
            )
            assert status == 202, (status, job)
            started_jobs.append(("import", job["id"], name))

        status, job, _ = admin_api.call(
            "POST", "/api/datasets/to-label/labelling-jobs/", {"model": model.name}
        )
        assert status == 202, (status, job)
        started_jobs.append(("label", job["id"], "to-label"))
        start_import("incoming-0")

        tally = Tally()
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=reviewer_loop,
                args=(Api(base, token), "review", shared, stop, tally, number),
                daemon=True,
            )
            for number, token in enumerate(tokens)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        kills: list[dict[str, Any]] = []
        for kill in range(1, KILLS + 1):
            _sleep_until(began + args.seconds * kill / (KILLS + 1))
            if not Job.objects.filter(status=Job.Status.RUNNING).exists():
                start_import(f"incoming-{kill}")
                _wait(lambda: Job.objects.filter(status=Job.Status.RUNNING).exists(), 30, "a running job")
            running = list(Job.objects.filter(status=Job.Status.RUNNING).values_list("pk", "kind"))
            children = pool_children(worker)
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            kills.append(
                {
                    "at_s": round(time.monotonic() - began, 1),
                    "children": len(children),
                    "running_jobs": [f"{kind} {pk}" for pk, kind in running],
                }
            )
        _sleep_until(began + args.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        soak_seconds = time.monotonic() - began

        ids = [job_id for _, job_id, _ in started_jobs]
        _wait(
            lambda: not Job.objects.filter(pk__in=ids, status__in=("pending", "running")).exists(),
            300,
            "the jobs to end",
        )
        jobs_seconds = time.monotonic() - began
        worker_alive = worker.poll() is None
    finally:
        for process in (server, worker):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    problems: list[str] = list(tally.errors[:10])
    server_errors = sum(count for status, count in tally.statuses.items() if status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers were 5xx")
    lost_updates = 0
    for label_id, applied in tally.applied.items():
        returned = [after for _, after in applied]
        if len(set(returned)) != len(returned) or any(after <= sent for sent, after in applied):
            lost_updates += 1
        now = Label.objects.get(pk=label_id).revision
        if now != max(returned):
            lost_updates += 1
    if lost_updates:
        problems.append(f"{lost_updates} labels lost an update")
    jobs = {job.pk: job for job in Job.objects.filter(pk__in=ids)}
    not_succeeded = {
        pk: f"{job.status}: {job.error[:200]}"
        for pk, job in jobs.items()
        if job.status != Job.Status.SUCCEEDED
    }
    if not_succeeded:
        problems.append(f"jobs that did not succeed: {not_succeeded}")
    from django.db.models import Count

    turns = Turn.objects.filter(dialogue__dataset=to_label).count()
    model_labels = Label.objects.filter(model_version=model, dialogue__dataset=to_label)
    intents = model_labels.filter(kind="intent").count()
    doubled = (
        model_labels.values("dialogue_id", "turn_id", "kind").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    if intents != turns or doubled:
        problems.append(f"labelling: {intents} intent labels for {turns} turns, {doubled} written twice")
    for kind, _, name in started_jobs:
        if kind != "import":
            continue
        imported = Dialogue.objects.filter(dataset__name=name)
        count = imported.count()
        distinct = imported.values("external_id").distinct().count()
        if count != import_lines or distinct != count:
            problems.append(f"import {name}: {count} dialogues ({distinct} distinct) of {import_lines}")
    if not worker_alive:
        problems.append("the worker exited")

    decisions = sum(len(applied) for applied in tally.applied.values())
    refused = tally.statuses.get(409, 0)
    saves = sorted(tally.save_seconds)
    emit(
        {
            "benchmark": "faults",
            "database": database_backend(),
            "broker": os.environ["CELERY_BROKER_URL"].split("+")[0].split(":")[0],
            "reviewers": args.reviewers,
            "seconds": round(soak_seconds, 1),
            "decisions_per_s": round(len(saves) / soak_seconds, 1),
            "applied": decisions,
            "refused_409": refused,
            "save_ms": {
                "p50": round(saves[len(saves) // 2] * 1000, 1) if saves else None,
                "p95": round(saves[int(len(saves) * 0.95)] * 1000, 1) if saves else None,
            },
            "statuses": {str(status): count for status, count in sorted(tally.statuses.items())},
            "faults_survived": len(kills) if worker_alive else 0,
            "kills": kills,
            "jobs": {f"{kind} {job_id}": jobs[job_id].status for kind, job_id, _ in started_jobs},
            "jobs_done_after_s": round(jobs_seconds, 1),
            "labelled_turns": turns,
            "imported_dialogues_each": import_lines,
            "ok": not problems,
            "problems": problems,
        }
    )
    return not problems


def _up(api: Api) -> bool:
    try:
        return api.call("GET", "/api/jobs/")[0] == 200
    except OSError:
        return False


def _wait(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise SystemExit(f"timed out after {seconds} s waiting for {what}")


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


if __name__ == "__main__":
    main()

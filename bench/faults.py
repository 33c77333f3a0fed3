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
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _faults_reviewers import probe_pool_children_killed
from _faults_support import (
    Api,
    RedisServer,
    alive,
    dialogues_exactly_once,
    job_finished,
    jobs_succeeded,
    pool_children,
    wait,
)
from _faults_world import (
    JOB_SECONDS,
    World,
    _labelling_dataset,
    _site,
    _start_import,
    _start_labelling,
    _verify_labelling,
    _wait_midway,
    prepare,
)
from _setup import ROOT, database_backend, emit, fresh_database

sys.path.insert(0, str(ROOT))

PROBES = ("pool-children", "worker-killed", "redis-restarted", "connection-terminated")


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
    """The broker is restarted midway (saving first), then killed with its saved state deleted. A
    worker that exits on losing its broker is started again, as a supervisor (systemd's
    ``Restart=always``) would; the job must still end exactly once."""
    if shutil.which("redis-server") is None:
        return {"injected": [], "verified": [], "problems": [], "skipped": "no redis-server on this machine"}
    redis = RedisServer(world.folder / "redis", args.redis_port)
    redis.start()
    dataset = _labelling_dataset(world, "to-label-redis", args.label_dialogues)
    injected: list[str] = []
    exits: list[str] = []
    try:
        with _site(world, "redis-restarted", port, broker=redis.url) as site:
            admin = Api(site.base, world.admin_token)
            site.start_web(admin)
            workers = [site.start_worker("w1")]

            def supervise() -> bool:
                """Restart the worker if it exited; True once the job ended."""
                if workers[-1].poll() is not None:
                    code = workers[-1].returncode
                    exits.append(f"worker {len(workers)} exited with {code} ({_last_error(site)})")
                    workers.append(site.start_worker(f"w{len(workers) + 1}"))
                return job_finished(job)

            job = _start_labelling(admin, dataset, world.model)
            _wait_midway(job)
            kept = redis.restart_keeping_state()
            injected.append(f"redis restarted (SHUTDOWN SAVE) with {kept} keys, midway through job {job}")
            done = _progress(job)
            wait(lambda: supervise() or _progress(job) > done, JOB_SECONDS, "progress after the restart")
            if not job_finished(job):
                lost = redis.kill_losing_state()
                injected.append(f"redis SIGKILLed, its saved state deleted: {lost} keys lost")
            wait(supervise, JOB_SECONDS, "the labelling job to end")
    finally:
        redis.stop()
    verified, problems = _verify_labelling(job, dataset, world)
    return {
        "injected": injected,
        "verified": [*verified, f"worker restarts, as a supervisor would: {len(exits)}"],
        "problems": problems,
        "worker_exits": exits,
    }


def _last_error(site: Any) -> str:
    """The last error line the site's newest worker log holds (what made it exit)."""
    logs = sorted((site.folder / "logs").glob("w*.log"), key=lambda path: path.stat().st_mtime)
    lines = [line for line in logs[-1].read_text().splitlines() if "Error" in line] if logs else []
    return lines[-1].strip()[:200] if lines else "no error logged"


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

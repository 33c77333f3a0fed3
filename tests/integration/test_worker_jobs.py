"""Jobs run by a real Celery worker process, through Redis or the default broker, on PostgreSQL.

These start `celery worker` as a separate process against this machine's Redis (or the default
broker, a SQLite file of the test's own) and the test PostgreSQL database. They run in the
PostgreSQL pass of the suite (`DATABASE_URL=postgres://...`); under CI=true a missing Redis or
PostgreSQL fails them instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from annotations.models import Dataset, Label, LabelKind, Turn
from jobs.models import Job, JobChunk
from jobs.services import job_request_cancel
from models_app.job_services import label_job_create
from selflearn_site.celery import app as celery_app
from selflearn_site.celery import switch_broker
from tests.model_fixtures import simulated

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SELFLEARN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Short leases, so that a lost worker is noticed in seconds here (30 s by default).
LEASE_SECONDS, REAP_SECONDS = "4", "1"
IN_CI = os.environ.get("CI") == "true"


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI needs this for the integration tests: {reason}")
    pytest.skip(reason)


@pytest.fixture
def broker_url() -> str:
    import redis

    if connection.vendor != "postgresql":
        # Not a missing service: this is the SQLite pass. CI's PostgreSQL pass (.ci/run) runs these,
        # and .ci/run fails if PostgreSQL is unreachable.
        pytest.skip("the integration tests run in the PostgreSQL pass (DATABASE_URL=postgres://...)")
    try:
        client = redis.Redis.from_url(REDIS_URL)
        client.flushdb()  # no message of an earlier run may be taken for one of this run
    except redis.RedisError as error:
        _require(False, f"Redis is unreachable at {REDIS_URL}: {error}")
    return REDIS_URL


@pytest.fixture
def default_broker_url(tmp_path) -> str:
    """The default broker (kombu's SQLAlchemy transport on a SQLite file), in a file of the test's own."""
    if connection.vendor != "postgresql":
        pytest.skip("the integration tests run in the PostgreSQL pass (DATABASE_URL=postgres://...)")
    return f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"


@pytest.fixture
def worker(broker_url, settings, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start real worker processes on the test database; the test process sends tasks to the same
    broker (Redis)."""
    yield from _workers(broker_url, settings, tmp_path)


@pytest.fixture
def worker_on_default_broker(
    default_broker_url, settings, tmp_path
) -> Iterator[Callable[..., subprocess.Popen]]:
    """The same, on the default broker."""
    yield from _workers(default_broker_url, settings, tmp_path)


def _workers(broker_url: str, settings, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    database = connection.settings_dict
    database_url = (
        f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "SELFLEARN_MODELS_DIR": str(settings.SELFLEARN_MODELS_DIR),
        "SELFLEARN_VAR_DIR": str(tmp_path / "worker-var"),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
        "SELFLEARN_JOB_LEASE_SECONDS": LEASE_SECONDS,
        "SELFLEARN_JOB_REAP_SECONDS": REAP_SECONDS,
    }
    previous_broker = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    switch_broker(broker_url)
    started: list[subprocess.Popen] = []

    def start(name: str = "w1", concurrency: int = 1) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            start_new_session=True,  # its own process group: a test can kill the whole worker
            args=[
                sys.executable,
                "-m",
                "celery",
                "-A",
                "selflearn_site",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    switch_broker(previous_broker)


@pytest.fixture
def many_dialogues(db, tmp_path) -> Dataset:
    """Enough one-dialogue chunks that a job is still running when a test acts on it."""
    return simulated("many", 240, seed=5)


def wait_for(condition: Callable[[], bool], *, seconds: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def finished(job: Job) -> Callable[[], bool]:
    return lambda: Job.objects.get(pk=job.pk).is_finished


def pool_processes(worker_process: subprocess.Popen) -> list[int]:
    """The worker's pool children: those of every thread (a child that replaces a dead one is forked
    by the pool's supervisor thread, not the main one)."""
    tasks = Path(f"/proc/{worker_process.pid}/task")
    pids: list[int] = []
    for children in tasks.glob("*/children"):
        try:
            pids += [int(pid) for pid in children.read_text().split()]
        except OSError:  # the thread ended meanwhile
            continue
    return pids


def test_a_labelling_job_completes_with_an_exact_label_count(worker, model, simulated_dataset, admin_user):
    worker()
    job = label_job_create(dataset=simulated_dataset, model_version=model, user=admin_user, chunk_dialogues=4)

    wait_for(finished(job), what="the labelling job")

    job.refresh_from_db()
    turns = Turn.objects.filter(dialogue__dataset=simulated_dataset).count()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.progress_done == job.progress_total == turns
    assert Label.objects.filter(model_version=model, kind=LabelKind.INTENT).count() == turns
    assert Label.objects.filter(model_version=model, kind=LabelKind.GOAL_SEGMENTS).count() == 24


def test_a_worker_killed_mid_job_loses_and_duplicates_nothing(worker, model, many_dialogues, admin_user):
    first = worker("w1")
    worker("w2")
    job = label_job_create(dataset=many_dialogues, model_version=model, user=admin_user, chunk_dialogues=1)
    wait_for(lambda: Job.objects.get(pk=job.pk).progress_done > 0, what="the first chunk")

    pids = pool_processes(first)
    assert pids and not Job.objects.get(pk=job.pk).is_finished
    for pid in pids:
        os.kill(pid, signal.SIGKILL)  # the process running a chunk dies without a word

    wait_for(finished(job), seconds=240, what="the job to finish after the kill")
    job.refresh_from_db()
    turns = Turn.objects.filter(dialogue__dataset=many_dialogues).count()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.progress_done == turns
    assert Label.objects.filter(model_version=model, kind=LabelKind.INTENT).count() == turns
    assert Label.objects.filter(model_version=model, kind=LabelKind.GOAL_SEGMENTS).count() == 240
    assert JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE).count() == 240


def test_a_whole_worker_lost_mid_job_is_noticed_and_another_finishes_the_job_exactly_once(
    worker, model, many_dialogues, admin_user
):
    first = worker("w1")
    job = label_job_create(dataset=many_dialogues, model_version=model, user=admin_user, chunk_dialogues=1)
    wait_for(lambda: Job.objects.get(pk=job.pk).progress_done > 0, what="the first chunk")

    # The machine dies: the worker and its pool, at once. Redis would hand back their unacknowledged
    # messages only after its visibility timeout (an hour); the leases must do it within a minute.
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    lost_at = time.monotonic()
    worker("w2")

    wait_for(finished(job), seconds=240, what="the other worker to finish the job")
    job.refresh_from_db()
    turns = Turn.objects.filter(dialogue__dataset=many_dialogues).count()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.progress_done == turns
    assert Label.objects.filter(model_version=model, kind=LabelKind.INTENT).count() == turns
    assert Label.objects.filter(model_version=model, kind=LabelKind.GOAL_SEGMENTS).count() == 240
    assert JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE).count() == 240
    assert time.monotonic() - lost_at < 240


def test_a_worker_whose_pool_child_is_killed_finishes_the_job_itself(
    worker, model, many_dialogues, admin_user
):
    only = worker("w1")
    job = label_job_create(dataset=many_dialogues, model_version=model, user=admin_user, chunk_dialogues=1)
    wait_for(lambda: Job.objects.get(pk=job.pk).progress_done > 0, what="the first chunk")

    for pid in pool_processes(only):
        os.kill(pid, signal.SIGKILL)

    wait_for(finished(job), seconds=240, what="the same worker to finish the job")
    job.refresh_from_db()
    assert only.poll() is None, "the worker exited when its child was killed"
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE).count() == 240
    assert Label.objects.filter(model_version=model, kind=LabelKind.GOAL_SEGMENTS).count() == 240


def test_on_the_default_broker_a_worker_whose_pool_children_are_killed_finishes_the_job_itself(
    worker_on_default_broker, model, many_dialogues, admin_user, tmp_path
):
    only = worker_on_default_broker("w1", concurrency=2)
    log = tmp_path / "w1.log"
    wait_for(lambda: " ready." in log.read_text() and len(pool_processes(only)) == 2, what="the worker")
    # Idle children: one of them waits for work holding the lock of the pool's task pipe.
    kill_children(only)
    job = label_job_create(dataset=many_dialogues, model_version=model, user=admin_user, chunk_dialogues=1)
    wait_for(lambda: Job.objects.get(pk=job.pk).progress_done > 0, what="a chunk after the first kill")
    # Busy children: the replacements, mid-chunk (the broker requeues their messages).
    kill_children(only)

    wait_for(finished(job), seconds=240, what="the same worker to finish the job")
    job.refresh_from_db()
    text = log.read_text()
    assert only.poll() is None, f"the worker exited when its children were killed:\n{text[-3000:]}"
    assert "Unrecoverable error" not in text
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE).count() == 240
    assert Label.objects.filter(model_version=model, kind=LabelKind.GOAL_SEGMENTS).count() == 240


def kill_children(worker_process: subprocess.Popen) -> None:
    pids = pool_processes(worker_process)
    assert pids, "the worker has no pool children"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


def test_cancelling_a_running_job_keeps_what_was_written(worker, model, many_dialogues, admin_user):
    worker()
    job = label_job_create(dataset=many_dialogues, model_version=model, user=admin_user, chunk_dialogues=1)
    wait_for(lambda: Job.objects.get(pk=job.pk).progress_done > 0, what="the first chunk")

    job_request_cancel(job=Job.objects.get(pk=job.pk))

    wait_for(finished(job), what="the job to stop")
    job.refresh_from_db()
    done = JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE)
    assert job.status == Job.Status.CANCELLED
    assert 0 < done.count() < 240
    assert Label.objects.filter(model_version=model, kind=LabelKind.INTENT).count() == sum(
        c.size for c in done
    )
    # Progress never goes back: a chunk stopped after it counted keeps what it showed, so the job's
    # progress is what its chunks counted (written ones at their size), never less than what was written.
    assert job.progress_done == sum(JobChunk.objects.filter(job=job).values_list("progress", flat=True))
    assert job.progress_done >= sum(c.size for c in done)


def test_a_failing_chunk_fails_the_job_with_its_error_and_keeps_finished_chunks(
    worker, model, many_dialogues, admin_user
):
    first = worker()
    job = label_job_create(dataset=many_dialogues, model_version=model, user=admin_user, chunk_dialogues=1)
    # A chunk written, not progress alone: progress moves inside a chunk before it is written, so a
    # kill right after the first progress could leave no chunk finished.
    first_written = JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE)
    wait_for(first_written.exists, what="the first chunk")

    # The model's storage goes away and the process holding the loaded model dies: the process that
    # replaces it cannot load the model, so every chunk it takes fails.
    shutil.rmtree(model.checkpoint_path)
    for pid in pool_processes(first):
        os.kill(pid, signal.SIGKILL)

    wait_for(finished(job), seconds=180, what="the job to fail")
    job.refresh_from_db()
    done = JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE)
    assert job.status == Job.Status.FAILED
    assert "checkpoint of model 'tiny' is missing" in job.error
    assert done.exists()
    assert Label.objects.filter(model_version=model, kind=LabelKind.INTENT).count() == sum(
        c.size for c in done
    )
    # Progress never goes back: a chunk stopped after it counted keeps what it showed, so the job's
    # progress is what its chunks counted (written ones at their size), never less than what was written.
    assert job.progress_done == sum(JobChunk.objects.filter(job=job).values_list("progress", flat=True))
    assert job.progress_done >= sum(c.size for c in done)

"""No job stays running without a worker: a worker claims a chunk with a lease and renews it; any
worker's reaper (jobs_reap_lost) sends out again the chunks of a worker that died, child or whole
process, and fails a one-task job whose heartbeat stopped, within a lease."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.services import IMPORT_JOB
from jobs import services
from jobs.models import Job, JobChunk
from jobs.services import JobNotRunnable, job_chunk_claim, jobs_reap_lost, leases
from models_app.job_services import LABEL_JOB, TRAIN_JOB

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[tuple[int, list[int]]]:
    """The chunks the reaper sends to the workers."""
    calls: list[tuple[int, list[int]]] = []
    monkeypatch.setattr(
        leases, "job_chunks_enqueue", lambda *, job_id, indices: calls.append((job_id, list(indices)))
    )
    return calls


@pytest.fixture
def labelling(dataset, settings) -> Job:
    """A running labelling job of three chunks whose last heartbeat is a minute old (lease: 30 s)."""
    settings.SELFLEARN_JOB_LEASE_SECONDS = 30
    job = Job.objects.create(
        kind=LABEL_JOB,
        dataset=dataset,
        status=Job.Status.RUNNING,
        heartbeat_at=timezone.now() - timedelta(minutes=1),
    )
    JobChunk.objects.bulk_create(JobChunk(job=job, index=index, items=[index]) for index in range(3))
    return job


def chunk(job: Job, index: int) -> JobChunk:
    return JobChunk.objects.get(job=job, index=index)


def test_a_chunk_held_under_a_live_lease_is_not_taken_by_a_second_delivery(labelling):
    first = job_chunk_claim(job=labelling, chunk_pk=chunk(labelling, 0).pk)
    second = job_chunk_claim(job=labelling, chunk_pk=chunk(labelling, 0).pk)

    assert (first, second) == (True, False)
    assert chunk(labelling, 0).attempts == 1


def test_a_chunk_whose_lease_expired_is_taken_again(labelling):
    JobChunk.objects.filter(job=labelling, index=0).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1), attempts=1
    )

    assert job_chunk_claim(job=labelling, chunk_pk=chunk(labelling, 0).pk)
    assert chunk(labelling, 0).attempts == 2


def test_the_chunks_of_a_lost_worker_are_sent_out_again(labelling, sent):
    # Chunk 0 was being worked on by the dead worker; 1 was held, unclaimed, in its prefetch; 2 is done.
    JobChunk.objects.filter(job=labelling, index=0).update(
        lease_expires_at=timezone.now() - timedelta(seconds=5), attempts=1
    )
    JobChunk.objects.filter(job=labelling, index=2).update(status=JobChunk.Status.DONE)

    counts = jobs_reap_lost()

    assert sent == [(labelling.pk, [0, 1])]
    assert counts["chunks_requeued"] == 2
    assert chunk(labelling, 0).lease_expires_at is None
    labelling.refresh_from_db()
    assert labelling.status == Job.Status.RUNNING
    assert labelling.heartbeat_at > timezone.now() - timedelta(seconds=5)


def test_a_second_reaper_at_the_same_moment_sends_nothing_more(labelling, sent):
    jobs_reap_lost()
    jobs_reap_lost()

    assert len(sent) == 1


def test_a_job_whose_worker_is_alive_is_left_alone(labelling, sent):
    Job.objects.filter(pk=labelling.pk).update(heartbeat_at=timezone.now())
    JobChunk.objects.filter(job=labelling, index=0).update(
        lease_expires_at=timezone.now() + timedelta(seconds=20), attempts=1
    )

    assert jobs_reap_lost() == {"chunks_requeued": 0, "chunks_failed": 0, "jobs_failed": 0, "jobs_resent": 0}
    assert sent == []


def test_a_chunk_that_loses_its_worker_again_and_again_fails(labelling, sent):
    JobChunk.objects.filter(job=labelling).update(status=JobChunk.Status.DONE)
    JobChunk.objects.filter(job=labelling, index=1).update(
        status=JobChunk.Status.PENDING,
        lease_expires_at=timezone.now() - timedelta(seconds=5),
        attempts=services.MAX_CHUNK_ATTEMPTS,
    )

    counts = jobs_reap_lost()

    assert counts["chunks_failed"] == 1
    assert chunk(labelling, 1).status == JobChunk.Status.FAILED
    assert "lost 3 times" in chunk(labelling, 1).error


def test_a_one_task_job_whose_heartbeat_stopped_fails_with_the_reason(dataset, settings, sent):
    settings.SELFLEARN_JOB_LEASE_SECONDS = 30
    job = Job.objects.create(
        kind=TRAIN_JOB,
        dataset=dataset,
        status=Job.Status.RUNNING,
        heartbeat_at=timezone.now() - timedelta(minutes=2),
    )

    assert jobs_reap_lost()["jobs_failed"] == 1

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "worker was lost" in job.error


def test_a_job_started_records_its_heartbeat(dataset):
    job = Job.objects.create(kind=TRAIN_JOB, dataset=dataset)

    services.job_start(job=job)

    job.refresh_from_db()
    assert job.heartbeat_at is not None


def running_train_job(dataset, *, runner: str, heartbeat_age: timedelta) -> Job:
    return Job.objects.create(
        kind=TRAIN_JOB,
        dataset=dataset,
        status=Job.Status.RUNNING,
        runner=runner,
        heartbeat_at=timezone.now() - heartbeat_age,
    )


def test_a_second_delivery_does_not_run_a_job_that_a_live_worker_runs(dataset, settings):
    settings.SELFLEARN_JOB_LEASE_SECONDS = 30
    job = running_train_job(dataset, runner="other-machine:4242", heartbeat_age=timedelta(seconds=5))

    with pytest.raises(JobNotRunnable):
        services.job_start(job=job)
    assert Job.objects.get(pk=job.pk).runner == "other-machine:4242"


def test_a_delivery_takes_over_a_job_whose_process_died_on_this_host(dataset, settings):
    settings.SELFLEARN_JOB_LEASE_SECONDS = 30
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    job = running_train_job(dataset, runner=f"{socket.gethostname()}:{gone.pid}", heartbeat_age=timedelta(0))

    services.job_start(job=job)

    assert Job.objects.get(pk=job.pk).runner == services.runner_id()


def test_a_delivery_takes_over_a_job_without_a_heartbeat_for_a_lease(dataset, settings):
    settings.SELFLEARN_JOB_LEASE_SECONDS = 30
    job = running_train_job(dataset, runner="other-machine:4242", heartbeat_age=timedelta(minutes=1))

    services.job_start(job=job)

    assert Job.objects.get(pk=job.pk).runner == services.runner_id()


def test_a_process_may_start_its_own_job_again(dataset):
    job = Job.objects.create(kind=TRAIN_JOB, dataset=dataset)
    services.job_start(job=job, phase="preparing")

    services.job_start(job=job, phase="training")

    assert Job.objects.get(pk=job.pk).phase == "training"


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """The jobs the reaper sends to the workers again."""
    calls: list[int] = []
    monkeypatch.setattr(leases, "job_enqueue", lambda *, job_id: calls.append(job_id))
    return calls


def pending_job(dataset, *, waited: timedelta, last_sent: timedelta) -> Job:
    job = Job.objects.create(kind=IMPORT_JOB, dataset=dataset)
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(created_at=now - waited, updated_at=now - last_sent)
    return job


def test_a_job_still_pending_a_lease_after_it_was_sent_is_sent_again_once(dataset, settings, enqueued):
    settings.SELFLEARN_JOB_LEASE_SECONDS = 30
    job = pending_job(dataset, waited=timedelta(minutes=1), last_sent=timedelta(minutes=1))

    assert jobs_reap_lost()["jobs_resent"] == 1
    assert jobs_reap_lost()["jobs_resent"] == 0
    assert enqueued == [job.pk]


def test_a_job_waiting_long_is_sent_again_less_and_less_often(dataset, settings, enqueued):
    settings.SELFLEARN_JOB_LEASE_SECONDS = 30
    pending_job(dataset, waited=timedelta(hours=2), last_sent=timedelta(minutes=10))
    pending_job(dataset, waited=timedelta(seconds=20), last_sent=timedelta(seconds=20))

    assert jobs_reap_lost()["jobs_resent"] == 0
    assert enqueued == []

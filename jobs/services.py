"""Writes to Job rows: creation (enqueued once the creating transaction commits), the worker's
progress, and how a job ends."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from jobs.dispatch import job_chunks_enqueue, job_enqueue
from jobs.models import Job, JobChunk

logger = logging.getLogger(__name__)


def job_create(
    *,
    kind: Job.Kind,
    params: dict[str, Any],
    dataset: Any = None,
    user: User | None = None,
    reads: Sequence[Any] = (),
) -> Job:
    """Create a pending job and send it to the workers (its kind's task, ``jobs.dispatch``) once the
    surrounding transaction commits, so a worker never looks for a row that is not there yet (or that
    was rolled back). ``reads`` are the datasets the job reads besides its own (a training job's)."""
    job = Job(kind=kind, params=params, dataset=dataset, created_by=user)
    job.full_clean()
    job.save()
    job.reads.set({read for read in (dataset, *reads) if read is not None})
    job_enqueue_on_commit(job=job)
    return job


def job_chunks_enqueue_on_commit(*, job: Job, indices: list[int]) -> None:
    """Send these chunks of the job to the workers once the surrounding transaction commits."""
    transaction.on_commit(lambda: job_chunks_enqueue(job_id=job.pk, kind=job.kind, indices=indices))


def job_enqueue_on_commit(*, job: Job) -> None:
    """Send the job to its kind's task again, from the top, once the surrounding transaction commits."""
    transaction.on_commit(lambda: job_enqueue(job_id=job.pk, kind=job.kind))


class JobNotRunnable(Exception):
    """The job ended (a cancel came first, say) before this run could take it: the run must stop and
    leave the job as it is."""


def job_start(*, job: Job, phase: str = "") -> Job:
    """Mark the job running in this process, by one conditional UPDATE: from pending, or from running
    when this process already runs it or the process that ran it is gone (a redelivery after its
    worker died: dead on this host, or no heartbeat for a lease; every job is written to make a rerun
    safe). A cancel that came first always wins, and a second delivery of a job that a live worker
    runs does not run it twice: then this raises ``JobNotRunnable`` and the caller stops."""
    now = timezone.now()
    me = runner_id()
    takeable = Q(status=Job.Status.PENDING) | Q(status=Job.Status.RUNNING, runner=me)
    takeable |= Q(status=Job.Status.RUNNING, heartbeat_at__isnull=True)
    takeable |= Q(status=Job.Status.RUNNING, heartbeat_at__lt=now - timedelta(seconds=lease_seconds()))
    current = Job.objects.filter(pk=job.pk).values_list("status", "runner").first()
    if current and current[0] == Job.Status.RUNNING and _runner_is_dead_here(current[1]):
        takeable |= Q(status=Job.Status.RUNNING, runner=current[1])
    started = Job.objects.filter(takeable, pk=job.pk).update(
        status=Job.Status.RUNNING,
        phase=phase,
        started_at=job.started_at or now,
        error="",
        updated_at=now,
        heartbeat_at=now,
        runner=me,
    )
    if not started:
        job.refresh_from_db()
        raise JobNotRunnable(f"job {job.pk} is {job.status}" + (f" by {job.runner}" if job.runner else ""))
    job.status, job.phase, job.error, job.runner = Job.Status.RUNNING, phase, "", me
    job.started_at = job.started_at or now
    return job


def runner_id() -> str:
    """This process, as a job records who runs it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _runner_is_dead_here(runner: str) -> bool:
    """True if ``runner`` names a process of this host that no longer exists (a killed pool child)."""
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, as another user's
        return False
    return False


def job_succeed(*, job: Job, result: dict[str, Any] | None = None) -> Job:
    return _job_finish(job=job, status=Job.Status.SUCCEEDED, result=result)


def job_fail(*, job: Job, error: str, result: dict[str, Any] | None = None) -> Job:
    return _job_finish(job=job, status=Job.Status.FAILED, error=error, result=result)


def job_cancelled(*, job: Job, result: dict[str, Any] | None = None) -> Job:
    return _job_finish(job=job, status=Job.Status.CANCELLED, result=result)


def _job_finish(*, job: Job, status: Job.Status, error: str = "", result: dict[str, Any] | None) -> Job:
    """End the job unless it has ended already (a cancel that came first stays)."""
    now = timezone.now()
    changed = Job.objects.filter(pk=job.pk, status__in=(Job.Status.PENDING, Job.Status.RUNNING)).update(
        status=status, error=error, result=result, finished_at=now, updated_at=now, phase=job.phase
    )
    if changed:
        job.status, job.error, job.result, job.finished_at = status, error, result, now
    else:
        job.refresh_from_db()
    return job


def job_finish_if_running(
    *, job: Job, status: Job.Status, error: str = "", result: dict[str, Any] | None = None
) -> bool:
    """End a running job with ``status``, unless something else ended it first; True if this call did."""
    now = timezone.now()
    changed = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
        status=status, error=error, result=result, finished_at=now, updated_at=now
    )
    if changed:
        job.status, job.error, job.result, job.finished_at = status, error, result, now
    return bool(changed)


def job_request_cancel(*, job: Job) -> Job:
    """Cancel a pending job at once; ask a running one to stop. Both are conditional UPDATEs, so a
    worker that takes the job at the same moment either finds it cancelled or sees the request."""
    now = timezone.now()
    pending = Q(pk=job.pk, status=Job.Status.PENDING)
    if Job.objects.filter(pending).update(
        status=Job.Status.CANCELLED, cancel_requested=True, finished_at=now, updated_at=now
    ):
        job.refresh_from_db()
        return job
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(cancel_requested=True, updated_at=now)
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------------------
# Leases and heartbeats: no job stays running without a worker
# ---------------------------------------------------------------------------------------------------


def lease_seconds() -> float:
    return float(settings.SELFLEARN_JOB_LEASE_SECONDS)


def job_chunk_claim(*, job: Job, chunk_pk: int) -> bool:
    """Take a pending chunk for this worker, unless another holds an unexpired lease on it: one
    conditional UPDATE, so of two deliveries of a chunk only one runs it. True if this call took it."""
    now = timezone.now()
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    claimed = JobChunk.objects.filter(free, pk=chunk_pk, status=JobChunk.Status.PENDING).update(
        lease_expires_at=now + timedelta(seconds=lease_seconds()), attempts=F("attempts") + 1
    )
    if claimed:
        Job.objects.filter(pk=job.pk).update(heartbeat_at=now)
    return bool(claimed)


class job_heartbeat:
    """While the block runs, renew the job's heartbeat (and the chunk's lease) every third of a
    lease, from a thread of its own (with its own database connection), so a long step (a model
    forward pass, a training epoch) never looks like a lost worker. If the process dies, the renewals
    stop, and ``jobs_reap_lost`` in any worker notices within a lease."""

    def __init__(self, job: Job, *, chunk_pk: int | None = None) -> None:
        self.job_pk, self.chunk_pk = job.pk, chunk_pk
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-job-{job.pk}", daemon=True)

    def __enter__(self) -> job_heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=lease_seconds())

    def _beat(self) -> None:
        try:
            while not self._stop.wait(lease_seconds() / 3):
                now = timezone.now()
                Job.objects.filter(pk=self.job_pk).update(heartbeat_at=now)
                if self.chunk_pk is not None:
                    JobChunk.objects.filter(pk=self.chunk_pk, status=JobChunk.Status.PENDING).update(
                        lease_expires_at=now + timedelta(seconds=lease_seconds())
                    )
        except Exception:  # a heartbeat that fails is a lost heartbeat; the reaper decides
            logger.exception("heartbeat of job %s failed", self.job_pk)
        finally:
            connection.close()


# A chunk whose worker was lost this many times fails (a chunk that kills its worker every time).
MAX_CHUNK_ATTEMPTS = 3


def jobs_reap_lost(*, now: datetime | None = None) -> dict[str, int]:
    """Find running jobs whose worker died and act, within a lease: run by every worker on a timer
    (``selflearn_site.celery.JobReaper``); safe to run anywhere at once (conditional UPDATEs).

    - A chunk whose lease has expired goes back to the workers (or fails after MAX_CHUNK_ATTEMPTS).
    - A chunked job with no heartbeat for a lease has its pending chunks sent out again: their
      messages may sit unacknowledged with a dead worker until the broker's visibility timeout.
    - A one-task job with no heartbeat for a lease fails, saying its worker was lost.
    - A job still pending a lease after it was sent is sent again (``_jobs_resend_pending``).
    """
    from jobs.dispatch import CHUNK_TASKS

    now = now or timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    counts = {"chunks_requeued": 0, "chunks_failed": 0, "jobs_failed": 0}
    running = Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=stale)
    for job in running.filter(kind__in=list(CHUNK_TASKS)):
        expired = JobChunk.objects.filter(job=job, status=JobChunk.Status.PENDING, lease_expires_at__lt=now)
        worn_out = list(expired.filter(attempts__gte=MAX_CHUNK_ATTEMPTS).values_list("index", flat=True))
        if worn_out:
            counts["chunks_failed"] += JobChunk.objects.filter(
                job=job, index__in=worn_out, status=JobChunk.Status.PENDING, lease_expires_at__lt=now
            ).update(
                status=JobChunk.Status.FAILED,
                error=f"its worker was lost {MAX_CHUNK_ATTEMPTS} times",
                finished_at=now,
            )
        expired.update(lease_expires_at=None)
        # Taken by this reaper (a conditional UPDATE): another reaper running now skips the job.
        if not Job.objects.filter(pk=job.pk, heartbeat_at=job.heartbeat_at).update(heartbeat_at=now):
            continue
        pending = list(
            JobChunk.objects.filter(
                job=job, status=JobChunk.Status.PENDING, lease_expires_at__isnull=True
            ).values_list("index", flat=True)
        )
        if pending:
            logger.warning("job %s lost its worker: sending chunks %s out again", job.pk, pending)
            job_chunks_enqueue(job_id=job.pk, kind=job.kind, indices=pending)
            counts["chunks_requeued"] += len(pending)
        elif worn_out:
            job_chunks_enqueue(job_id=job.pk, kind=job.kind, indices=worn_out[:1])  # ends the job
    counts["jobs_resent"] = _jobs_resend_pending(now=now)
    for job in running.exclude(kind__in=list(CHUNK_TASKS)):
        seconds = int(lease_seconds())
        if job_finish_if_running(
            job=job,
            status=Job.Status.FAILED,
            error=f"Its worker was lost (no heartbeat for {seconds} s); start the job again.",
        ):
            logger.warning("job %s lost its worker: failed", job.pk)
            counts["jobs_failed"] += 1
    return counts


def _jobs_resend_pending(*, now: datetime) -> int:
    """Send again the jobs still pending a lease after they were last sent: their message may be held,
    unacknowledged, by a worker that died before it started them (Redis hands it back only after its
    visibility timeout). A job waiting behind other work is sent again too, each time after waiting as
    long again as it has waited (a few times in all); the extra deliveries find it taken (``job_start``)
    and stop."""
    lease = timedelta(seconds=lease_seconds())
    resent = 0
    for job in Job.objects.filter(status=Job.Status.PENDING, updated_at__lt=now - lease):
        if now - job.updated_at < job.updated_at - job.created_at:
            continue  # sent again lately, relative to how long it has waited
        # Taken by this reaper (a conditional UPDATE): another reaper running now skips the job.
        if Job.objects.filter(pk=job.pk, status=Job.Status.PENDING, updated_at=job.updated_at).update(
            updated_at=now
        ):
            logger.warning("job %s still pending after %s: sending it again", job.pk, now - job.created_at)
            job_enqueue(job_id=job.pk, kind=job.kind)
            resent += 1
    return resent


class JobCancelCheck:
    """Asks the database whether the job was asked to stop, at most every ``interval`` seconds, so a
    hot loop may ask after every item and still stop within a second of a cancel."""

    def __init__(self, job: Job, *, interval: float = 0.5) -> None:
        self.job, self.interval = job, interval
        self.cancelled = False
        self._checked = time.monotonic()

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.cancelled and now - self._checked >= self.interval:
            self._checked = now
            self.cancelled = Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
        return self.cancelled


class JobProgress:
    """Records a job's progress on its row at most every ``interval`` seconds (and always at the end
    of a phase), so a hot loop can report every item without a write per item.

    Work that runs inside one long transaction (an import) would hide its progress until it commits.
    On PostgreSQL the progress is therefore written through a connection of its own, which others
    see at once. SQLite allows one writer at a time, so there the progress of such work shows when
    it commits; the phase before it (validation) runs outside any transaction and shows live.
    """

    def __init__(self, job: Job, *, interval: float = 0.5) -> None:
        self.job = job
        self.interval = interval
        self._last_write = 0.0
        self._last_phase = job.phase
        self._side_connection: Any = None

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        phase_done = total is not None and done >= total
        if phase == self._last_phase and not phase_done and now - self._last_write < self.interval:
            return
        self._last_write, self._last_phase = now, phase
        self.job.phase, self.job.progress_done, self.job.progress_total = phase, done, total
        if connection.in_atomic_block and connection.vendor == "postgresql":
            self._write_aside(phase, done, total)
        else:
            Job.objects.filter(pk=self.job.pk).update(
                phase=phase, progress_done=done, progress_total=total, updated_at=timezone.now()
            )

    def _write_aside(self, phase: str, done: int, total: int | None) -> None:
        if self._side_connection is None:
            self._side_connection = connections.create_connection(DEFAULT_DB_ALIAS)
        with self._side_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Job._meta.db_table} SET phase = %s, progress_done = %s, progress_total = %s, "
                "updated_at = %s WHERE id = %s",
                [phase, done, total, timezone.now(), self.job.pk],
            )

    def close(self) -> None:
        if self._side_connection is not None:
            self._side_connection.close()
            self._side_connection = None

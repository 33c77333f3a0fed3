"""Writes to Job rows: creation (enqueued once the creating transaction commits), the worker's
progress, and how a job ends."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from jobs.dispatch import job_chunks_enqueue, job_enqueue
from jobs.models import Job

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
    """Mark the job running, only from pending (or running: a redelivery after its worker died, which
    every job is written to make safe). The change is one conditional UPDATE, so a cancel that came
    first always wins: then this raises ``JobNotRunnable`` and the caller stops."""
    now = timezone.now()
    started = Job.objects.filter(pk=job.pk, status__in=(Job.Status.PENDING, Job.Status.RUNNING)).update(
        status=Job.Status.RUNNING,
        phase=phase,
        started_at=job.started_at or now,
        error="",
        updated_at=now,
    )
    if not started:
        job.refresh_from_db()
        raise JobNotRunnable(f"job {job.pk} is {job.status}")
    job.status, job.phase, job.error = Job.Status.RUNNING, phase, ""
    job.started_at = job.started_at or now
    return job


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

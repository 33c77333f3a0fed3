"""A job's life on its row: created (and sent to the workers once the creating transaction commits),
started, ended, cancelled and retried. Every change of status is one conditional UPDATE, so a cancel
that comes first always wins and of two retries at once one runs the job."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jobs.dispatch import job_chunks_enqueue, job_enqueue
from jobs.models import Job, JobChunk
from jobs.registry import job_kind
from selflearn_site.exceptions import ApplicationError

logger = logging.getLogger(__name__)
ENDED_UNFINISHED = (Job.Status.FAILED, Job.Status.CANCELLED)


def job_create(
    *,
    kind: str,
    params: dict[str, Any],
    dataset: Any = None,
    user: User | None = None,
    reads: Sequence[Any] = (),
    enqueue: bool = True,
) -> Job:
    """Create a pending job of a registered kind and send it to the workers (``jobs.dispatch``) once
    the surrounding transaction commits, so a worker never looks for a row that is not there yet (or
    that was rolled back). ``reads`` are the datasets the job reads besides its own (a training job's).
    ``enqueue=False``: the job waits, pending, until something sends it (``job_enqueue_on_commit``),
    such as the end of a job it must follow."""
    job_kind(kind)  # an unregistered kind fails here, not in a worker
    job = Job(kind=kind, params=params, dataset=dataset, created_by=user)
    job.full_clean()
    job.save()
    job.reads.set({read for read in (dataset, *reads) if read is not None})
    if enqueue:
        job_enqueue_on_commit(job=job)
    return job


def job_chunks_enqueue_on_commit(*, job: Job, indices: list[int]) -> None:
    """Send these chunks of the job to the workers once the surrounding transaction commits."""
    transaction.on_commit(lambda: job_chunks_enqueue(job_id=job.pk, indices=indices))


def job_enqueue_on_commit(*, job: Job) -> None:
    """Send the job to the workers again, from the top, once the surrounding transaction commits."""
    transaction.on_commit(lambda: job_enqueue(job_id=job.pk))


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


def lease_seconds() -> float:
    """How long a job's heartbeat, or a chunk's lease, holds without renewal."""
    return float(settings.SELFLEARN_JOB_LEASE_SECONDS)


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


@transaction.atomic
def job_retry(*, job: Job) -> list[int]:
    """Run a failed or cancelled job again, in the workers, once this transaction commits.

    A chunked job runs its unfinished chunks only: the finished ones, and what they wrote, are kept
    (a chunk marks itself done in the transaction that writes, so nothing is written twice). A job
    with no chunks yet (cancelled before it was planned) and a one-task job run from the top; every
    kind's run is written to be safe to run again. The kind may refuse first, saying why (an import
    whose upload was removed). Returns the chunks to do (empty for a run from the top)."""
    entry = job_kind(job.kind)
    if job.status not in ENDED_UNFINISHED:
        status = job.get_status_display().lower()
        raise ApplicationError(f"Only a failed or cancelled job can be retried; job {job.pk} is {status}.")
    if entry.before_retry is not None:
        entry.before_retry(job)
    # A planned job with chunks left goes on running them; any other starts over from pending, as a
    # new job does (a plan whose chunks are all done ends the job when the plan task finds none left).
    planned = entry.is_chunked and JobChunk.objects.filter(job=job).exists()
    unfinished = JobChunk.objects.filter(job=job).exclude(status=JobChunk.Status.DONE)
    goes_on = planned and unfinished.exists()
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": Job.Status.RUNNING if goes_on else Job.Status.PENDING,
        "cancel_requested": False,
        "error": "",
        "result": None,
        "finished_at": None,
        "heartbeat_at": now if goes_on else None,
        "updated_at": now,
    }
    if not planned:
        # A run from the top counts from the start again: its progress is a new run's.
        changes.update(phase="", progress_done=0, progress_total=None)
    # One conditional UPDATE: of two retries at once, one runs the job.
    retried = Job.objects.filter(pk=job.pk, status__in=ENDED_UNFINISHED).update(**changes)
    if not retried:
        raise ApplicationError(f"Job {job.pk} was retried or changed at the same moment; look again.")
    job.refresh_from_db()
    if not goes_on:
        job_enqueue_on_commit(job=job)
        return []
    pending = list(unfinished.order_by("index").values_list("index", flat=True))
    unfinished.update(status=JobChunk.Status.PENDING, error="", lease_expires_at=None)
    job_chunks_enqueue_on_commit(job=job, indices=pending)
    return pending


def job_params_update(*, job: Job, **changes: Any) -> Job:
    """Change some of the job's parameters (what its kind keeps there: an import's upload, say)."""
    job.params = {**job.params, **changes}
    Job.objects.filter(pk=job.pk).update(params=job.params, updated_at=timezone.now())
    return job

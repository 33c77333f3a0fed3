"""Leases and heartbeats: no job stays running without a worker. Work on a job renews its heartbeat
(and its chunk's lease) from a thread; every worker's reaper (``jobs.worker.JobReaper``) sends out
again what a lost worker held, and runs the kinds' housekeeping about once an hour."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from jobs.dispatch import job_chunks_enqueue, job_enqueue
from jobs.models import Job, JobChunk
from jobs.registry import job_kinds
from jobs.services.lifecycle import job_finish_if_running, lease_seconds

logger = logging.getLogger(__name__)


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
    now = now or timezone.now()
    chunked = [entry.kind for entry in job_kinds() if entry.is_chunked]
    stale = now - timedelta(seconds=lease_seconds())
    counts = {"chunks_requeued": 0, "chunks_failed": 0, "jobs_failed": 0}
    running = Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=stale)
    for job in running.filter(kind__in=chunked):
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
            job_chunks_enqueue(job_id=job.pk, indices=pending)
            counts["chunks_requeued"] += len(pending)
        elif worn_out:
            job_chunks_enqueue(job_id=job.pk, indices=worn_out[:1])  # ends the job
    counts["jobs_resent"] = _jobs_resend_pending(now=now)
    for job in running.exclude(kind__in=chunked):
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
            job_enqueue(job_id=job.pk)
            resent += 1
    return resent


_last_housekeeping = [0.0]


def jobs_housekeeping(*, now: datetime | None = None, force: bool = False) -> dict[str, int]:
    """Run every kind's periodic clean-up (an import's upload kept after a failure, once its retention
    has passed), at most every ``SELFLEARN_JOB_HOUSEKEEPING_SECONDS`` in this process unless ``force``
    (``manage.py jobs_housekeeping``). Returns what each kind removed."""
    clock = time.monotonic()
    if not force and clock - _last_housekeeping[0] < settings.SELFLEARN_JOB_HOUSEKEEPING_SECONDS:
        return {}
    _last_housekeeping[0] = clock
    now = now or timezone.now()
    done = {}
    for entry in job_kinds():
        if entry.housekeeping is not None:
            done[entry.kind] = entry.housekeeping(now)
    return done

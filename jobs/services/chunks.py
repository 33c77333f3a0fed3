"""A chunked job's life: planned once into chunks (JobChunk rows), each chunk claimed by one worker,
its work written in the same transaction that marks it done, and the job ended once no chunk is left.

Whatever happens (a retried chunk, a worker killed mid-chunk and its message redelivered, a job
retried after a failure), a chunk's work is written once, its progress counts once, and the job's
progress never goes back: an attempt counts only what goes beyond what earlier attempts counted.
The kind supplies the work (``jobs.registry.ChunkWork``); this module does the rest.
"""

from __future__ import annotations

import logging
import time
import traceback

from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from jobs.models import Job, JobChunk
from jobs.registry import ChunkTotals, ChunkWork, job_kind
from jobs.services.leases import job_chunk_claim, job_heartbeat
from jobs.services.lifecycle import job_finish_if_running, job_start

logger = logging.getLogger(__name__)


def _work(job: Job) -> ChunkWork:
    work = job_kind(job.kind).chunks
    if work is None:
        raise ValueError(f"Jobs of kind {job.kind!r} are not planned into chunks.")
    return work


def job_plan(*, job: Job) -> list[int]:
    """Split the job into chunks (once: a redelivered plan finds them made), mark it running, and
    return the indices of the chunks still to do, for the caller to enqueue. A plan with nothing left
    to do ends the job."""
    work = _work(job)
    with transaction.atomic():
        if not JobChunk.objects.filter(job=job).exists():
            planned = list(work.plan(job))
            JobChunk.objects.bulk_create(
                JobChunk(job=job, index=index, items=list(chunk.items), size=chunk.size)
                for index, chunk in enumerate(planned)
            )
            total = sum(chunk.size for chunk in planned)
            Job.objects.filter(pk=job.pk).update(progress_total=total, progress_done=0)
        job_start(job=job, phase=work.phase)
    pending = list(
        JobChunk.objects.filter(job=job, status=JobChunk.Status.PENDING).values_list("index", flat=True)
    )
    if not pending:
        job_finish_if_complete(job=job)
    return pending


def job_chunk_run(*, job: Job, index: int) -> None:
    """Do one chunk of the job, unless it is done already, another worker holds it, or the job was
    asked to stop (the chunk is then cancelled and the job ends once no chunk is left)."""
    chunk = JobChunk.objects.get(job=job, index=index)
    if chunk.status != JobChunk.Status.PENDING:
        return
    if Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
        JobChunk.objects.filter(pk=chunk.pk, status=JobChunk.Status.PENDING).update(
            status=JobChunk.Status.CANCELLED, finished_at=timezone.now()
        )
        job_finish_if_complete(job=job)
        return
    if not job_chunk_claim(job=job, chunk_pk=chunk.pk):
        return  # another worker holds it; if that worker is lost, the reaper sends the chunk out again
    work = _work(job)
    started = time.monotonic()
    count = _ChunkCount(job, chunk)
    try:
        with job_heartbeat(job, chunk_pk=chunk.pk):
            prepared = work.prepare(job, chunk.items, count)
    except BaseException:
        # This attempt is over: its claim goes with it, so a retry need not wait for the lease to run
        # out (a killed process cannot do this; the reaper frees its chunk when the lease expires).
        JobChunk.objects.filter(pk=chunk.pk, status=JobChunk.Status.PENDING).update(lease_expires_at=None)
        raise
    with transaction.atomic():
        written = work.write(job, prepared)
        counted = JobChunk.objects.filter(pk=chunk.pk).values_list("progress", flat=True).get()
        marked = JobChunk.objects.filter(pk=chunk.pk, status=JobChunk.Status.PENDING).update(
            status=JobChunk.Status.DONE,
            seconds=time.monotonic() - started,
            finished_at=timezone.now(),
            written=written,
            progress=max(counted, chunk.size),
        )
        if marked:
            # The chunk counts its planned size once; what its attempts counted is part of it.
            now = timezone.now()
            Job.objects.filter(pk=job.pk).update(
                progress_done=F("progress_done") + max(0, chunk.size - counted),
                updated_at=now,
                heartbeat_at=now,
            )
    logger.info("job %s chunk %s: %s written", job.pk, index, written)
    job_finish_if_complete(job=job)


class _ChunkCount:
    """``count(units)``: an attempt's progress within its chunk, added to the job's as it goes. The
    chunk keeps the most any attempt counted, and an attempt adds only what goes beyond it, so a chunk
    redone after its worker died never takes back what the job showed (nor counts it twice)."""

    def __init__(self, job: Job, chunk: JobChunk) -> None:
        self.job_pk, self.chunk_pk = job.pk, chunk.pk
        self.attempt = 0

    def __call__(self, units: int) -> None:
        self.attempt += units
        with transaction.atomic():
            counted = JobChunk.objects.filter(pk=self.chunk_pk).values_list("progress", flat=True).get()
            if self.attempt <= counted:
                return
            # Compare and set: of two attempts counting at once (a lease that ran out under a slow
            # one), each adds only what the other had not.
            if JobChunk.objects.filter(pk=self.chunk_pk, progress=counted).update(progress=self.attempt):
                Job.objects.filter(pk=self.job_pk).update(
                    progress_done=F("progress_done") + (self.attempt - counted), updated_at=timezone.now()
                )


def job_chunk_failed(*, job: Job, index: int, error: BaseException) -> None:
    """Record a chunk that failed for good; the job fails with its error, finished chunks are kept."""
    message = "".join(traceback.format_exception_only(type(error), error)).strip()
    JobChunk.objects.filter(job=job, index=index, status=JobChunk.Status.PENDING).update(
        status=JobChunk.Status.FAILED, error=message, finished_at=timezone.now()
    )
    job_finish_if_complete(job=job)


def job_finish_if_complete(*, job: Job) -> None:
    """Once no chunk is pending, end the job: failed if a chunk failed, cancelled if any was, else
    succeeded, with the kind's result. Safe to call from every chunk: only one call ends the job."""
    counts = dict(JobChunk.objects.filter(job=job).order_by().values_list("status").annotate(n=Count("id")))
    if counts.get(JobChunk.Status.PENDING):
        return
    job.refresh_from_db()
    if job.is_finished:
        return
    work = _work(job)
    done = JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE)
    sums = done.aggregate(units=Sum("size"), written=Sum("written"), seconds=Sum("seconds"))
    totals = ChunkTotals(
        chunks=counts, units=sums["units"] or 0, written=sums["written"] or 0, seconds=sums["seconds"] or 0.0
    )
    failed = JobChunk.objects.filter(job=job, status=JobChunk.Status.FAILED).order_by("index").first()
    if failed is not None:
        status, error = Job.Status.FAILED, f"Chunk {failed.index} failed: {failed.error}"
    elif counts.get(JobChunk.Status.CANCELLED):
        status, error = Job.Status.CANCELLED, ""
    else:
        status, error = Job.Status.SUCCEEDED, ""
    # Only one of the chunks that may get here at once ends the job.
    job_finish_if_running(job=job, status=status, error=error, result=work.result(job, totals))
    if work.finished is not None:
        work.finished(job)

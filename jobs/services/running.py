"""Running a job in a worker, whatever its kind: what the Celery tasks in ``jobs.tasks`` call."""

from __future__ import annotations

import logging

from django.db import connection

from jobs.models import Job
from jobs.registry import job_kind
from jobs.services.chunks import job_plan
from jobs.services.leases import job_heartbeat
from jobs.services.lifecycle import JobNotRunnable, job_fail

logger = logging.getLogger(__name__)


def job_run(*, job_id: int) -> list[int]:
    """Run the job from the top (skipping one that has finished): a one-task job to its end; a
    chunked job is planned, and the chunks still to do are returned for the caller to send out. An
    unexpected error of a one-task run fails the job with its message instead of leaving it "running"
    for ever (a chunked job's errors are its chunks')."""
    job = Job.objects.select_related("dataset", "created_by").get(pk=job_id)
    if job.is_finished:
        return []
    entry = job_kind(job.kind)
    if entry.run is None:
        try:
            return job_plan(job=job)
        except JobNotRunnable:
            logger.info("job %s ended before it was planned; not run", job.pk)
            return []
    try:
        with job_heartbeat(job):
            entry.run(job=job)
    except JobNotRunnable:
        # A cancel (or another end) came before the run could start: the job stays as it is.
        logger.info("job %s ended before it started; not run", job.pk)
    except Exception as error:
        logger.exception("job %s failed", job.pk)
        if not connection.in_atomic_block:
            # A connection the error left unusable (the server ended it) is opened again to record why.
            connection.close_if_unusable_or_obsolete()
        job_fail(job=job, error=f"{type(error).__name__}: {error}")
    return []

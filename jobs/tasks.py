"""The Celery tasks that run every job, whatever its kind (``jobs.registry``): thin, they take ids and
call the jobs services, which call the kind's work."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import OperationalError

from jobs.dispatch import job_chunks_enqueue
from jobs.models import Job
from jobs.registry import background_action
from jobs.services import job_chunk_failed, job_chunk_run, job_run

logger = logging.getLogger(__name__)
# A busy database (SQLite's lock, a dropped connection) is worth a few retries; a bug is not.
TRANSIENT_ERRORS = (OperationalError,)


@shared_task(name="jobs.run", bind=True, max_retries=5)
def job_run_task(self: Any, job_id: int) -> None:
    """A one-task job to its end, or a chunked job's plan (its chunks then go out one task each)."""
    try:
        pending = job_run(job_id=job_id)
    except TRANSIENT_ERRORS as error:
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
    if pending:
        job_chunks_enqueue(job_id=job_id, indices=pending)


@shared_task(name="jobs.chunk", bind=True, max_retries=3)
def job_chunk_task(self: Any, job_id: int, index: int) -> None:
    job = Job.objects.select_related("dataset", "created_by").get(pk=job_id)
    if job.is_finished:
        return
    try:
        job_chunk_run(job=job, index=index)
    except TRANSIENT_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=2**self.request.retries) from error
        job_chunk_failed(job=job, index=index, error=error)
    except Exception as error:
        logger.exception("job %s chunk %s failed", job_id, index)
        job_chunk_failed(job=job, index=index, error=error)


@shared_task(name="jobs.background")
def background_action_task(name: str, kwargs: dict[str, Any]) -> None:
    background_action(name)(**kwargs)

"""Celery tasks of the teachable app: thin, they take ids and call the services."""

from __future__ import annotations

import logging

from celery import shared_task

from jobs.models import Job
from jobs.services import job_fail
from teachable.services import moments_find_job_run

logger = logging.getLogger(__name__)


@shared_task(name="teachable.find_moments_job")
def find_moments_job_task(job_id: int) -> None:
    job = Job.objects.select_related("dataset", "created_by").get(pk=job_id)
    if job.is_finished:
        return
    try:
        moments_find_job_run(job=job)
    except Exception as error:
        # An unexpected error fails the job with its message instead of leaving it "running".
        logger.exception("job %s failed", job.pk)
        job_fail(job=job, error=f"{type(error).__name__}: {error}")

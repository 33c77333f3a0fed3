"""Celery tasks of the rewrites app: thin, they take ids and call the services."""

from __future__ import annotations

import logging

from celery import shared_task

from jobs.models import Job
from jobs.services import job_fail
from rewrites.building import rewriter_build_job_run
from rewrites.services import rewrites_mine_job_run

logger = logging.getLogger(__name__)


@shared_task(name="rewrites.mine_job")
def mine_rewrites_job_task(job_id: int) -> None:
    job = Job.objects.select_related("dataset", "created_by").get(pk=job_id)
    if job.is_finished:
        return
    try:
        rewrites_mine_job_run(job=job)
    except Exception as error:
        # An unexpected error fails the job with its message instead of leaving it "running".
        logger.exception("job %s failed", job.pk)
        job_fail(job=job, error=f"{type(error).__name__}: {error}")


@shared_task(name="rewrites.build_rewriter_job")
def build_rewriter_job_task(job_id: int) -> None:
    job = Job.objects.select_related("dataset", "created_by").get(pk=job_id)
    if job.is_finished:
        return
    try:
        rewriter_build_job_run(job=job)
    except Exception as error:
        logger.exception("job %s failed", job.pk)
        job_fail(job=job, error=f"{type(error).__name__}: {error}")

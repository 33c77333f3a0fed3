"""Celery tasks of the model registry: thin, they take ids and call the job services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from jobs.dispatch import job_chunks_enqueue
from jobs.models import Job
from jobs.running import job_run_to_the_end
from jobs.services import JobNotRunnable
from models_app.job_services import (
    evaluate_job_run,
    label_job_chunk_failed,
    label_job_plan,
    label_job_run_chunk,
    train_job_run,
)

logger = logging.getLogger(__name__)
# A busy database (SQLite's lock, a dropped connection) is worth a few retries; a bug is not.
TRANSIENT_ERRORS = (OperationalError,)


def _job(job_id: int) -> Job:
    return Job.objects.select_related("dataset", "created_by").get(pk=job_id)


@shared_task(name="models_app.label_job_plan", bind=True, max_retries=5)
def label_job_plan_task(self, job_id: int) -> None:
    job = _job(job_id)
    if job.is_finished:
        return
    try:
        pending = label_job_plan(job=job)
    except JobNotRunnable:
        return  # cancelled before it was planned
    except TRANSIENT_ERRORS as error:
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
    job_chunks_enqueue(job_id=job_id, kind=job.kind, indices=pending)


@shared_task(name="models_app.label_chunk", bind=True, max_retries=3)
def label_chunk_task(self, job_id: int, index: int) -> None:
    job = _job(job_id)
    if job.is_finished:
        return
    try:
        label_job_run_chunk(job=job, index=index)
    except TRANSIENT_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=2**self.request.retries) from error
        label_job_chunk_failed(job=job, index=index, error=error)
    except Exception as error:
        logger.exception("job %s chunk %s failed", job_id, index)
        label_job_chunk_failed(job=job, index=index, error=error)


@shared_task(name="models_app.train_job")
def train_job_task(job_id: int) -> None:
    job_run_to_the_end(job_id, train_job_run)


@shared_task(name="models_app.evaluate_job")
def evaluate_job_task(job_id: int) -> None:
    job_run_to_the_end(job_id, evaluate_job_run)

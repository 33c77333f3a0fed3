"""Celery tasks of the teachable app: thin, they take ids and call the services."""

from __future__ import annotations

from celery import shared_task

from jobs.running import job_run_to_the_end
from teachable.services import moments_find_job_run


@shared_task(name="teachable.find_moments_job")
def find_moments_job_task(job_id: int) -> None:
    job_run_to_the_end(job_id, moments_find_job_run)

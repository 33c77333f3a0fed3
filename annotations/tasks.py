"""Celery tasks of the annotations app: thin, they take an id and call a service."""

from __future__ import annotations

from celery import shared_task

from annotations.services import import_job_run
from jobs.running import job_run_to_the_end


@shared_task(name="annotations.import_dialogues")
def import_dialogues_task(job_id: int) -> None:
    # An unexpected error (a bug, a lost file) fails the job with its message, never leaves it running.
    job_run_to_the_end(job_id, import_job_run)

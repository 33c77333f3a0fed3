"""Celery tasks of the annotations app: thin, they take an id and call a service."""

from __future__ import annotations

from celery import shared_task

from annotations.models import Dataset
from annotations.services import dataset_stats_refresh, import_job_run, import_upload_discard
from jobs.models import Job
from jobs.running import job_run_to_the_end


@shared_task(name="annotations.import_dialogues")
def import_dialogues_task(job_id: int) -> None:
    # An unexpected error (a bug, a lost file) fails the job with its message, never leaves it running.
    job_run_to_the_end(job_id, import_job_run)
    # A job cancelled while pending never ran: its upload goes all the same.
    import_upload_discard(job=Job.objects.get(pk=job_id))


@shared_task(name="annotations.dataset_stats_refresh")
def dataset_stats_refresh_task(dataset_id: int) -> None:
    if Dataset.objects.filter(pk=dataset_id).exists():
        dataset_stats_refresh(dataset_id=dataset_id)

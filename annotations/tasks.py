"""Celery tasks of the annotations app: thin, they take an id and call a service."""

from __future__ import annotations

from celery import shared_task

from annotations.models import Dataset
from annotations.services import dataset_stats_refresh, import_job_run
from jobs.models import Job


@shared_task(name="annotations.import_dialogues")
def import_dialogues_task(job_id: int) -> None:
    job = Job.objects.select_related("dataset").get(pk=job_id)
    if job.is_finished:
        # A redelivered message for a job that already ended: nothing to do.
        return
    import_job_run(job=job)


@shared_task(name="annotations.dataset_stats_refresh")
def dataset_stats_refresh_task(dataset_id: int) -> None:
    if Dataset.objects.filter(pk=dataset_id).exists():
        dataset_stats_refresh(dataset_id=dataset_id)

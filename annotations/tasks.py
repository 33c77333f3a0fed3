"""Celery tasks of the annotations app: thin, they take an id and call a service."""

from __future__ import annotations

from celery import shared_task

from annotations.services import import_job_run
from jobs.models import Job


@shared_task(name="annotations.import_dialogues")
def import_dialogues_task(job_id: int) -> None:
    job = Job.objects.select_related("dataset").get(pk=job_id)
    if job.is_finished:
        # A redelivered message for a job that already ended: nothing to do.
        return
    import_job_run(job=job)

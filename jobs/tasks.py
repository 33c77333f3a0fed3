"""Celery tasks of the jobs app."""

from __future__ import annotations

from celery import shared_task
from django.db.models import F

from jobs.models import Job


@shared_task(name="jobs.tick")
def job_tick_task(job_id: int) -> None:
    """Count one unit of progress on a job and do nothing else: a task that costs only the broker's and
    the bookkeeping's time, which is what bench/label_scaling.py measures with it."""
    Job.objects.filter(pk=job_id).update(progress_done=F("progress_done") + 1)

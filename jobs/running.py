"""Running a one-task job from a Celery task: what every app's thin task shares."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from jobs.models import Job
from jobs.services import JobNotRunnable, job_fail, job_heartbeat

logger = logging.getLogger(__name__)


def job_run_to_the_end(job_id: int, run: Callable[..., Any]) -> None:
    """Run the job (skipping one that has finished); an unexpected error fails it with its message
    instead of leaving it "running" for ever."""
    job = Job.objects.select_related("dataset", "created_by").get(pk=job_id)
    if job.is_finished:
        return
    try:
        with job_heartbeat(job):
            run(job=job)
    except JobNotRunnable:
        # A cancel (or another end) came before the run could start: the job stays as it is.
        logger.info("job %s ended before it started; not run", job.pk)
    except Exception as error:
        logger.exception("job %s failed", job.pk)
        job_fail(job=job, error=f"{type(error).__name__}: {error}")

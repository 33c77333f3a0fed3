"""The worker's side of jobs: a bootstep that every Celery worker runs (added by ``JobsConfig.ready``,
before the worker builds its steps)."""

from __future__ import annotations

import logging
from typing import Any

from celery import bootsteps

from jobs.services import jobs_housekeeping, jobs_reap_lost

logger = logging.getLogger(__name__)


class JobReaper(bootsteps.StartStopStep):
    """Every worker looks, every SELFLEARN_JOB_REAP_SECONDS, for running jobs whose worker died
    (``jobs.services.jobs_reap_lost``), so no job waits for the broker's visibility timeout; and about
    once an hour runs the kinds' housekeeping (``jobs.services.jobs_housekeeping``)."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref: Any = None

    def start(self, worker: Any) -> None:
        from django.conf import settings

        self.timer_ref = worker.timer.call_repeatedly(
            settings.SELFLEARN_JOB_REAP_SECONDS, self.reap, priority=10
        )

    def stop(self, worker: Any) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()

    def reap(self) -> None:
        from django.db import close_old_connections, connection

        try:
            close_old_connections()
            counts = jobs_reap_lost()
            if any(counts.values()):
                logger.warning("reaped jobs of lost workers: %s", counts)
            cleaned = jobs_housekeeping()
            if any(cleaned.values()):
                logger.info("housekeeping: %s", cleaned)
        except Exception:  # the next tick tries again; a reaper error must not stop the worker
            logger.exception("reaping jobs of lost workers failed")
        finally:
            connection.close()

"""The Celery app: configured from Django settings (the ``CELERY_`` ones), tasks found in every app.

Start a worker with::

    celery -A selflearn_site worker --loglevel INFO
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, bootsteps

from selflearn_site.broker import use_thread_safe_sqlalchemy_transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selflearn_site.settings")

app = Celery("selflearn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


class JobReaper(bootsteps.StartStopStep):
    """Every worker looks, every SELFLEARN_JOB_REAP_SECONDS, for running jobs whose worker died
    (``jobs.services.jobs_reap_lost``), so no job waits for the broker's visibility timeout."""

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

        from jobs.services import jobs_reap_lost

        try:
            close_old_connections()
            counts = jobs_reap_lost()
            if any(counts.values()):
                logger.warning("reaped jobs of lost workers: %s", counts)
        except Exception:  # the next tick tries again; a reaper error must not stop the worker
            logger.exception("reaping jobs of lost workers failed")
        finally:
            connection.close()


app.steps["worker"].add(JobReaper)


# The default broker's URLs (sqla+...) name kombu's SQLAlchemy transport made safe for a worker's
# threads; without it, a killed pool child stops the whole worker (selflearn_site.broker).
use_thread_safe_sqlalchemy_transport()


def switch_broker(url: str) -> None:
    """Send this process's tasks to another broker from now on.

    For the integration tests and benchmarks, which compare brokers in one process. Celery caches
    the broker connection pool and a producer pool on the app; both references are dropped here, as
    Celery's own fork handler does, so that the next task takes a pool for ``url``. (The pools stay
    open in kombu's registry: switching back to a broker reuses its pool.)
    """
    app._pool = None  # type: ignore[attr-defined]  # private: celery-types does not declare it
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    # What ``app.conf.broker_url = url`` does (the settings' __setattr__ sets the item), without
    # assigning to the read-only ``broker_url`` property that celery-types declares.
    app.conf["broker_url"] = url

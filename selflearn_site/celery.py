"""The Celery app: configured from Django settings (the ``CELERY_`` ones), tasks found in every app
(``jobs.tasks`` runs every job; ``jobs`` adds its reaper to the worker when Django is ready).

Start a worker with::

    celery -A selflearn_site worker --loglevel INFO
"""

from __future__ import annotations

import os

from celery import Celery

from selflearn_site.broker import use_thread_safe_sqlalchemy_transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selflearn_site.settings")

app = Celery("selflearn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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

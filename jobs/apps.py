from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        # Celery's worker imports Django (and so calls this) before it builds its steps.
        from jobs.worker import JobReaper
        from selflearn_site.celery import app

        app.steps["worker"].add(JobReaper)

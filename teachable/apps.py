from __future__ import annotations

from django.apps import AppConfig


class TeachableConfig(AppConfig):
    name = "teachable"
    verbose_name = "Teachable preferences"

    def ready(self) -> None:
        # The teachable-moments job (jobs.registry).
        from teachable.job_kinds import register

        register()

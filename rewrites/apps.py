from __future__ import annotations

from django.apps import AppConfig


class RewritesConfig(AppConfig):
    name = "rewrites"
    verbose_name = "Query rewriting"

    def ready(self) -> None:
        # The mining and build jobs (jobs.registry).
        from rewrites.job_kinds import register

        register()

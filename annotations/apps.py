from __future__ import annotations

from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Datasets, dialogues, turns and labels"

    def ready(self) -> None:
        # The import job's kind, who belongs to a dataset and the kept counts' refresh (jobs.registry).
        from annotations.job_kinds import register

        register()

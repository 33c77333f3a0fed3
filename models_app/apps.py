from __future__ import annotations

from django.apps import AppConfig


class ModelsAppConfig(AppConfig):
    name = "models_app"
    verbose_name = "Label generation models"

    def ready(self) -> None:
        # Labelling, training and evaluation jobs (jobs.registry).
        from models_app.job_kinds import register

        register()

from __future__ import annotations

from django.apps import AppConfig
from django.urls import register_converter


class TeachableConfig(AppConfig):
    name = "teachable"
    verbose_name = "Teachable preferences"

    def ready(self) -> None:
        from teachable.job_kinds import register
        from teachable.person_keys import PersonKeyConverter

        # The teachable-moments job (jobs.registry).
        register()
        # ``<person:user_id>`` in teachable's URLs (pages and API): any id reaches its person.
        register_converter(PersonKeyConverter, "person")

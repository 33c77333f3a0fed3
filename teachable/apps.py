from django.apps import AppConfig
from django.urls import register_converter


class TeachableConfig(AppConfig):
    name = "teachable"
    verbose_name = "Teachable preferences"

    def ready(self) -> None:
        from teachable.person_keys import PersonKeyConverter

        # ``<person:user_id>`` in teachable's URLs (pages and API): any id reaches its person.
        register_converter(PersonKeyConverter, "person")

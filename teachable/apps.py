from django.apps import AppConfig


class TeachableConfig(AppConfig):
    name = "teachable"
    verbose_name = "Teachable preferences"

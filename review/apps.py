from django.apps import AppConfig


class ReviewConfig(AppConfig):
    """Reviewing: the queue and its holds, decisions and undo, corroboration and adjudication,
    agreement and auto-accept rules, with their pages and API."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "review"

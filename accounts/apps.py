from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "API tokens"

    def ready(self) -> None:
        # Registers how the OpenAPI schema describes the token authentication.
        from accounts import schema  # noqa: F401

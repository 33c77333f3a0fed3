"""The one domain error type: services raise it, the API and the pages turn it into a clear message."""

from __future__ import annotations

from django.forms import Form


class ApplicationError(Exception):
    """A request that the domain refuses, with a message meant for the person who made it."""

    def __init__(self, message: str, *, extra: dict | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        self.status = status


def body_too_large(limit: int) -> ApplicationError:
    """The refusal of a request body over ``limit`` bytes (413, in the API's error format)."""
    return ApplicationError(
        f"The request body is larger than this operation takes ({limit:,} bytes).",
        extra={"field": "body"},
        status=413,
    )


def form_field_of(error: ApplicationError, form: Form) -> str | None:
    """The form field a refusal is about, when the form has it; else None (the form as a whole)."""
    field = error.extra.get("field")
    return field if field in form.fields else None

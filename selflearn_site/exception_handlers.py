"""Maps domain and Django errors to DRF responses with a JSON body that names what went wrong."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from selflearn_site.exceptions import ApplicationError, body_too_large


def domain_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **exc.extra}, status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        # Read before the view's parser ran: Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE).
        return domain_exception_handler(body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE), context)
    if isinstance(exc, SuspiciousOperation):
        # Too many fields or files in a form body, or a malformed multipart: bad input, answered in
        # JSON (Django's own answer is an HTML page), and logged where Django logs such requests.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").warning("%s", exc)
        return Response({"detail": str(exc) or "Bad request.", "field": "body"}, status=400)
    if isinstance(exc, exceptions.ParseError):
        # A body that is not valid JSON (or multipart): the field at fault is the body itself.
        return Response({"detail": str(exc.detail), "field": "body"}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return exception_handler(exc, context)

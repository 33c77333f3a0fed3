"""Django's own 404 (a URL that matches no route) and 400 (a request Django refused before any view,
such as a body over DATA_UPLOAD_MAX_MEMORY_SIZE read by a middleware) as JSON under /api/, so that an
API client never has to read an HTML page; the site's pages keep Django's pages."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from selflearn_site.exceptions import body_too_large

API_PREFIX = "/api/"


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        if isinstance(exception, RequestDataTooBig):
            refusal = body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            return JsonResponse({"detail": refusal.message, **refusal.extra}, status=refusal.status)
        return JsonResponse({"detail": str(exception) or "Bad request.", "field": "body"}, status=400)
    return defaults.bad_request(request, exception)

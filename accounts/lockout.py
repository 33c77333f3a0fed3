"""What django-axes answers once a login or an API token is locked out (``AXES_LOCKOUT_CALLABLE``).

Under /api/ the answer is the API's JSON error (429, with Retry-After), as DRF's own throttling
answers; on the login page it is a page that says how to get in at once: the password-reset link,
which clears the lock (``accounts.services.login_lockout_clear``).
"""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from selflearn_site.error_views import API_PREFIX

STATUS = 429
# DRF's Throttled adds "Expected available in N seconds." to it, as this module does.
TOKEN_LOCKED_OUT = "Too many failed attempts with this token from this address."


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds()) if cool_off else None
    if request.path.startswith(API_PREFIX):
        detail = TOKEN_LOCKED_OUT
        if seconds:
            detail += f" Expected available in {seconds} seconds."
        response: HttpResponse = JsonResponse({"detail": detail}, status=STATUS)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"minutes": math.ceil((seconds or 0) / 60)},
            status=STATUS,
        )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response

"""Request types for the views only signed-in people reach: pages under ``login_required`` and API
views under the default permission (``IsAuthenticated``). There ``request.user`` is a ``User``, never
``AnonymousUser``, so it goes straight to the services that record who did something.

For the type checker only: at run time a view still gets Django's or DRF's own request.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.request import Request


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class AuthenticatedRequest(Request):
    user: User

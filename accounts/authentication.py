"""DRF authentication by ``Authorization: Token <key>`` against the person's named API tokens."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.selectors import api_token_find
from accounts.services import api_token_touch

KEYWORD = "Token"
# Failed token attempts count, with django-axes, as failed logins of this pseudo-username from the
# client's address: past AXES_FAILURE_LIMIT that address gets 401 for every token until the cool-off.
TOKEN_CREDENTIALS = {"username": "api-token"}


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: the session may authenticate the request
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: give 'Token <key>'."))
        http_request = request._request
        if not AxesProxyHandler.is_allowed(http_request, TOKEN_CREDENTIALS):
            raise exceptions.AuthenticationFailed(_("Too many failed attempts; try again later."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            key = ""
        token = api_token_find(key) if key else None
        if token is None or not token.user.is_active:
            user_login_failed.send(sender=__name__, credentials=TOKEN_CREDENTIALS, request=http_request)
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes an unauthenticated request a 401 (with this challenge) rather than a 403.
        return KEYWORD

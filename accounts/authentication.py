"""DRF authentication by ``Authorization: Token <key>`` against the person's named API tokens."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.lockout import TOKEN_LOCKED_OUT
from accounts.selectors import api_token_find
from accounts.services import PREFIX_SHOWN, api_token_touch

KEYWORD = "Token"
# Failed token attempts count, with django-axes, as failed logins of a pseudo-username made of the
# presented key's prefix (the part the tokens page shows), from the client's address. So a script
# that keeps sending a revoked or mistyped key is held back, while every other token from the same
# address (a shared NAT, a proxy whose forwarded address is not configured) goes on working.
TOKEN_USERNAME = "api-token:{prefix}"


def token_credentials(key: str) -> dict[str, str]:
    return {"username": TOKEN_USERNAME.format(prefix=key[:PREFIX_SHOWN])}


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: the session may authenticate the request
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: give 'Token <key>'."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            key = ""
        http_request = request._request
        credentials = token_credentials(key)
        if not AxesProxyHandler.is_allowed(http_request, credentials):
            cool_off = get_cool_off(http_request)
            raise exceptions.Throttled(
                wait=cool_off.total_seconds() if cool_off else None,
                detail=TOKEN_LOCKED_OUT,
            )
        token = api_token_find(key) if key else None
        if token is None or not token.user.is_active:
            user_login_failed.send(sender=__name__, credentials=credentials, request=http_request)
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes an unauthenticated request a 401 (with this challenge) rather than a 403.
        return KEYWORD

"""Writes for API tokens: create (the key is returned once, never stored), revoke, and note use; and
the clearing of a login lockout by the owner's password reset."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from selflearn_site.exceptions import ApplicationError

KEY_PREFIX = "sl_"
PREFIX_SHOWN = 10
# How stale ``last_used_at`` may get: a busy script would otherwise write on every request.
TOUCH_INTERVAL = timedelta(minutes=1)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the person; returns it with its key, which is shown once and then only its
    digest is kept."""
    name = name.strip()
    if ApiToken.objects.filter(user=user, name=name).exists():
        raise ApplicationError(f"You already have a token named {name!r}.", extra={"field": "name"})
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken(user=user, name=name, key_digest=key_digest(key), key_prefix=key[:PREFIX_SHOWN])
    try:
        token.full_clean()
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), extra={"field": "name"}) from error
    token.save()
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    """The key stops working at once: the row goes."""
    token.delete()


def api_token_touch(*, token: ApiToken) -> None:
    """Record that the token was used, unless that was recorded less than a minute ago."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def login_lockout_clear(*, user: User) -> int:
    """Forget the failed logins of the person's username from every address (django-axes), so that
    the owner, who proved it with a password-reset link, is never kept out by someone else's wrong
    passwords. Returns how many lockout records went."""
    return int(axes_reset(username=user.get_username()))

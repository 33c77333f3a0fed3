"""Reads of API tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import ApiToken
from accounts.services import key_digest
from selflearn_site.prepared import PreparedRead


def api_token_list(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_get_for_user(user: User, pk: int) -> ApiToken:
    """One of the person's own tokens; anyone else's is a 404."""
    token = api_token_list(user).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    return token


def api_token_find(key: str) -> ApiToken | None:
    """The token whose key this is, with its user, or None. Every API request asks it, so its SQL is
    compiled once per process (``selflearn_site.prepared``)."""
    found = _token_by_digest.instances(key_digest(key))
    return found[0] if found else None


_token_by_digest = PreparedRead(
    lambda digest: ApiToken.objects.select_related("user").filter(key_digest=digest).order_by()[:1],
    "digest-of-no-key",
)

"""API tokens: a person holds any number of named tokens (one per script or pipeline) and revokes one
without breaking the others.

Only a SHA-256 digest of each key is stored, so a copy of the database gives no one a working key.
A key is random and long (240 bits), so a fast unsalted digest is enough: there is nothing to guess.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The hex SHA-256 digest of the key; authentication looks the digest up.
    key_digest = models.CharField(max_length=64, unique=True)
    # The key's first characters, shown so that a person can tell their tokens apart.
    key_prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute (see services.api_token_touch): not a write per request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="apitoken_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…) of {self.user}"

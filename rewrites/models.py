"""Rewrites learned from people's rephrases, per dataset.

- ``RewritePair``: a failing utterance (normalised) and the wording that served the people who said it,
  with the absorption probability, its support and evidence dialogues; reviewed like a label
  (proposed, accepted, edited, rejected). Accepted and edited pairs are served.
- ``RewriteBlock``: utterances that must never be rewritten (nor be a rewrite).
- ``RewriteLog``: every answer of the rewriter, so that its outcome can be measured later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from annotations.models import Dataset

UTTERANCE_LENGTH = 500


class RewritePair(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        EDITED = "edited", "Edited"
        REJECTED = "rejected", "Rejected"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="rewrite_pairs")
    source = models.CharField(max_length=UTTERANCE_LENGTH)  # normalised
    target = models.CharField(max_length=UTTERANCE_LENGTH)
    # What the solve proposed, kept when a reviewer edits the target.
    proposed_target = models.CharField(max_length=UTTERANCE_LENGTH)
    probability = models.FloatField()
    support = models.PositiveIntegerField()
    users = models.PositiveIntegerField()
    # Up to a few dialogues (external ids) whose chains went through the source.
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    mined_by_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # The pair served to every logged first attempt of its source, judged by the assistant that logged
    # them (simulated logs only: null when the logs carry no such truth). Refreshed by each mining.
    assistant_attempts = models.PositiveIntegerField(null=True, blank=True)
    assistant_wins = models.PositiveIntegerField(null=True, blank=True)
    assistant_losses = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-probability", "-support", "source"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "source"], name="rewrite_pair_one_per_source"),
            models.CheckConstraint(
                condition=Q(probability__gte=0.0, probability__lte=1.0), name="rewrite_pair_probability_0_1"
            ),
        ]
        indexes = [models.Index(fields=["dataset", "status"], name="rewrite_pair_status")]

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"

    @property
    def served(self) -> bool:
        return self.status in (self.Status.ACCEPTED, self.Status.EDITED)


class RewriteBlock(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="rewrite_blocks")
    utterance = models.CharField(max_length=UTTERANCE_LENGTH)  # normalised
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["utterance"]
        constraints = [models.UniqueConstraint(fields=["dataset", "utterance"], name="rewrite_block_unique")]

    def __str__(self) -> str:
        return self.utterance


class RewriteLog(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="rewrite_logs")
    user_key = models.CharField(max_length=200, blank=True)
    utterance = models.CharField(max_length=UTTERANCE_LENGTH)
    rewrite = models.CharField(max_length=UTTERANCE_LENGTH, blank=True)  # empty: passed through
    layer = models.CharField(max_length=16, blank=True)
    score = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    # When the request was answered: set as it is logged, not when its batch is written
    # (rewrites.serving_log), which auto_now_add would do.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["dataset", "created_at"], name="rewrite_log_time")]

    def __str__(self) -> str:
        return f"{self.utterance} -> {self.rewrite or '(as is)'}"


class RewriterVersion(models.Model):
    """A built online rewriter (the served-utterance index, the ranker and its thresholds); the newest
    active one answers, and a process swaps to it on its next request, without a restart."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="rewriter_versions")
    path = models.CharField(max_length=500)
    stats = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    built_by_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["dataset", "active"], name="rewriter_version_active")]

    def __str__(self) -> str:
        return f"rewriter {self.pk} of {self.dataset_id}"

"""Reviewing: each reviewer's verdict on a label, each reviewer's part in a dialogue, where every
dialogue stands in the review queue, the labels that wait for an adjudicator, and a dataset's
auto-accept rules.

The tables are the ones these models had in ``annotations`` (``db_table``): the move to this app was a
change of Django's state only (``review/migrations/0001_initial.py``).

``ReviewEvent``, the audit of every change to a label, stays in ``annotations.models`` beside the
labels it audits: imports (a re-import that replaces a label) and labelling (auto-accept) write it
too, and a label's history must outlive any one way of changing it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotations.models import Dataset, Dialogue, Label, LabelKind


class AutoAcceptRule(models.Model):
    """Model labels of this kind at or above the threshold are accepted without review (the label's
    history shows it was automatic). The threshold's precision is what the review queue's random
    sample measures."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="auto_accept_rules")
    kind = models.CharField(max_length=20, choices=LabelKind.choices)
    threshold = models.FloatField()

    class Meta:
        # The table it had in annotations/: the move to review/ changed no table (migration 0001).
        db_table = "annotations_autoacceptrule"
        constraints = [
            models.UniqueConstraint(fields=["dataset", "kind"], name="autoaccept_unique_kind"),
            models.CheckConstraint(
                condition=Q(threshold__gte=0, threshold__lte=1), name="autoaccept_threshold_in_unit_interval"
            ),
        ]

    def __str__(self) -> str:
        return f"auto-accept {self.kind} >= {self.threshold} in {self.dataset}"


class ReviewDecision(models.TextChoices):
    ACCEPT = "accept", "Accept"
    CORRECT = "correct", "Correct"
    REJECT = "reject", "Reject"


class LabelReview(models.Model):
    """One reviewer's verdict on one label.

    With the dataset's ``required_reviews`` at one, the verdict is applied to the label at once. With
    more, verdicts are collected independently (no reviewer sees another's) and the label changes only
    when the last one is in: gold when they all agree, otherwise an Adjudication for a dataset admin.
    """

    # The unique (label, reviewer) constraint serves lookups by label.
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="reviews", db_index=False)
    # Denormalised from the label: the review page and the queue read a dialogue's reviews at once.
    dialogue = models.ForeignKey(
        Dialogue, on_delete=models.CASCADE, related_name="label_reviews", db_index=False
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="label_reviews"
    )
    decision = models.CharField(max_length=8, choices=ReviewDecision.choices)
    # What the label said when the reviewer first decided (the model's proposal, for agreement
    # statistics), and the value the reviewer holds to be right (None for a rejection).
    proposed = models.JSONField(null=True, blank=True)
    value = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        # The table it had in annotations/: the move to review/ changed no table (migration 0001).
        db_table = "annotations_labelreview"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["label", "reviewer"], name="labelreview_unique_reviewer")
        ]
        indexes = [models.Index(fields=["dialogue", "reviewer"], name="labelreview_dialogue_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.decision}s label {self.label_id}"


class DialogueReview(models.Model):
    """A reviewer's part in a dialogue: done (every label decided) or skipped (left to others; the
    queue does not offer it to them again)."""

    class Status(models.TextChoices):
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    # The unique (dialogue, reviewer) constraint serves the queue's "not mine already" test.
    dialogue = models.ForeignKey(
        Dialogue, on_delete=models.CASCADE, related_name="dialogue_reviews", db_index=False
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dialogue_reviews"
    )
    status = models.CharField(max_length=8, choices=Status.choices)
    updated_at = models.DateTimeField()

    class Meta:
        # The table it had in annotations/: the move to review/ changed no table (migration 0001).
        db_table = "annotations_dialoguereview"
        constraints = [
            models.UniqueConstraint(fields=["dialogue", "reviewer"], name="dialoguereview_unique_reviewer")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.status} {self.dialogue_id}"


class DialogueReviewState(models.Model):
    """Where a dialogue stands in its dataset's review queue, kept up to date by every service that
    writes labels or decisions (review.services.state.review_state_refresh).

    Denormalised so that "the next dialogue for me" is a walk down one index, not a scan and sort of
    millions of labels. A dialogue without model labels has no row: there is nothing to review.
    """

    dialogue = models.OneToOneField(
        Dialogue, on_delete=models.CASCADE, primary_key=True, related_name="review_state"
    )
    # The queue indexes below lead with it.
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Some label still waits for a reviewer's verdict (a proposal, or an auto-accepted label nobody
    # looked at, so that the random sample measures the auto-accept threshold's precision too).
    is_open = models.BooleanField(default=False)
    awaiting = models.PositiveIntegerField(default=0)
    # The lowest confidence among the waiting labels (1 when none has one).
    min_confidence = models.FloatField(default=1.0)
    # Reviewers' corrections and rejections of model labels, and model proposals that differ from a
    # reviewed or imported label of the same target.
    disagreement = models.PositiveIntegerField(default=0)
    reviews_done = models.PositiveSmallIntegerField(default=0)
    # Uniform in [0, 2**31): the random-sample policy walks the dialogues in this order.
    random_key = models.IntegerField()
    # Served by the small partial index below (most rows are held by nobody).
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        # The table it had in annotations/: the move to review/ changed no table (migration 0001).
        db_table = "annotations_dialoguereviewstate"
        # One per queue policy, each in the exact order that policy reads, and partial: only open
        # dialogues are in them (the queries name the same condition, so both databases use them).
        indexes = [
            models.Index(
                fields=["dataset", "min_confidence", "dialogue"],
                condition=Q(is_open=True),
                name="reviewqueue_confidence",
            ),
            models.Index(
                fields=["dataset", "-disagreement", "min_confidence", "dialogue"],
                condition=Q(is_open=True),
                name="reviewqueue_disagreement",
            ),
            models.Index(
                fields=["dataset", "random_key"], condition=Q(is_open=True), name="reviewqueue_random"
            ),
            # "The dialogue I hold": only held rows are in it.
            models.Index(
                fields=["locked_by", "dataset"],
                condition=Q(locked_by__isnull=False),
                name="reviewqueue_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"review state of {self.dialogue_id}"


class Adjudication(models.Model):
    """A label whose independent reviews disagree, waiting for a dataset admin to decide."""

    label = models.OneToOneField(Label, on_delete=models.CASCADE, related_name="adjudication")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField()
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table it had in annotations/: the move to review/ changed no table (migration 0001).
        db_table = "annotations_adjudication"
        ordering = ["id"]
        indexes = [models.Index(fields=["dataset", "resolved_at", "id"], name="adjudication_open")]

    def __str__(self) -> str:
        return f"adjudication of label {self.label_id}"

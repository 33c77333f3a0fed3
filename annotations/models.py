"""Datasets of assistant dialogues, their turns, the labels written on them, and the audit of every
decision on a label.

A label is one row per (target, kind, source): the target is a turn, or the whole dialogue for goal
segments; the source is an import (gold from a file), a model version, or a person.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


def validate_dataset_name(name: str) -> None:
    """A name is part of the dataset's URLs: no slash, no surrounding spaces, not a word the URLs use."""
    if "/" in name or name != name.strip() or not name:
        raise ValidationError("A dataset name may not contain '/' or start or end with a space.")
    if name in RESERVED_DATASET_NAMES:
        raise ValidationError(f"{name!r} is reserved; choose another name.")


RESERVED_DATASET_NAMES = frozenset({"new"})


class Dataset(models.Model):
    name = models.CharField(max_length=200, unique=True, validators=[validate_dataset_name])
    description = models.TextField(blank=True)
    # How many independent reviews a dialogue needs before its labels become gold (3 for a gold set).
    required_reviews = models.PositiveSmallIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "user"], name="membership_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.dataset}"


class Dialogue(models.Model):
    """One line of a FORMAT.md file. Fields the format leaves optional are NULL when absent, so an
    export writes back exactly the keys that were imported."""

    # The unique (dataset, external_id) constraint serves lookups by dataset: no index of its own.
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="dialogues", db_index=False)
    external_id = models.CharField(max_length=200)
    # The format's `user_id`: a pseudonymous key of the person speaking (not a Selflearn account).
    user_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 (absent != "")
    device = models.JSONField(null=True, blank=True)
    locale = models.CharField(max_length=35, null=True, blank=True)  # noqa: DJ001
    # Times are kept as written (ISO 8601 text), so a round trip gives back the same bytes.
    started_at = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    metadata = models.JSONField(null=True, blank=True)
    # Unknown top-level fields and unknown keys of `labels`, kept so that they are exported as they came.
    extra = models.JSONField(default=dict, blank=True)
    labels_extra = models.JSONField(default=dict, blank=True)
    import_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="imported_dialogues"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "external_id"], name="dialogue_unique_external_id")
        ]
        indexes = [models.Index(fields=["dataset", "id"], name="dialogue_dataset_order")]

    def __str__(self) -> str:
        return self.external_id


class Turn(models.Model):
    # The unique (dialogue, position) constraint serves lookups by dialogue.
    dialogue = models.ForeignKey(Dialogue, on_delete=models.CASCADE, related_name="turns", db_index=False)
    position = models.PositiveIntegerField()
    external_id = models.CharField(max_length=200)
    timestamp = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    utterance = models.TextField(blank=True)
    response = models.TextField(null=True, blank=True)  # noqa: DJ001
    asr_confidence = models.FloatField(null=True, blank=True)
    nlu_confidence = models.FloatField(null=True, blank=True)
    # What the assistant did at the time, which may be wrong: what should have happened is a Label.
    domain = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    intent = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    slots = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    barge_in = models.BooleanField(null=True, blank=True)
    feedback = models.CharField(max_length=8, null=True, blank=True)  # noqa: DJ001
    metadata = models.JSONField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    # Unknown keys of this turn's entry in `labels.turns`.
    labels_extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dialogue_id", "position"]
        constraints = [models.UniqueConstraint(fields=["dialogue", "position"], name="turn_unique_position")]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.utterance[:60]}"


class LabelKind(models.TextChoices):
    INTENT = "intent", "Intent"
    SLOTS = "slots", "Slots"
    FAILURE_POINT = "failure_point", "Failure point"
    REPHRASE_OF = "rephrase_of", "Rephrase of"
    DEFECT = "defect", "Defect"
    # Dialogue-level: the goal segments, value [{"turns": [...]}, ...] in order.
    GOAL_SEGMENTS = "goal_segments", "Goal segments"
    # One per goal, targeting the goal's first turn: whether the goal was achieved.
    GOAL_SUCCESS = "goal_success", "Goal success"


TURN_LABEL_KINDS = (
    LabelKind.INTENT,
    LabelKind.SLOTS,
    LabelKind.FAILURE_POINT,
    LabelKind.REPHRASE_OF,
    LabelKind.DEFECT,
)


class LabelStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    CORRECTED = "corrected", "Corrected"
    REJECTED = "rejected", "Rejected"
    GOLD = "gold", "Gold"


REVIEWED_STATUSES = (LabelStatus.ACCEPTED, LabelStatus.CORRECTED, LabelStatus.GOLD)


class LabelSource(models.TextChoices):
    IMPORT = "import", "Import"
    MODEL = "model", "Model"
    PERSON = "person", "Person"


class Label(models.Model):
    # Foreign keys whose lookups a composite index below already serves carry no index of their own:
    # every index costs time on each of the millions of rows an import writes.
    dialogue = models.ForeignKey(Dialogue, on_delete=models.CASCADE, related_name="labels", db_index=False)
    # NULL for dialogue-level kinds (goal segments).
    turn = models.ForeignKey(Turn, null=True, blank=True, on_delete=models.CASCADE, related_name="labels")
    kind = models.CharField(max_length=20, choices=LabelKind.choices)
    value = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=LabelStatus.choices, default=LabelStatus.PROPOSED)
    source_type = models.CharField(max_length=8, choices=LabelSource.choices)
    model_version = models.ForeignKey(
        "models_app.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="labels",
        db_index=False,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Bumped on every change: a save that names an older revision is refused (optimistic concurrency).
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["turn", "kind"],
                condition=Q(source_type="import", turn__isnull=False),
                name="label_unique_import_turn",
            ),
            models.UniqueConstraint(
                fields=["dialogue", "kind"],
                condition=Q(source_type="import", turn__isnull=True),
                name="label_unique_import_dialogue",
            ),
            models.UniqueConstraint(
                fields=["turn", "kind", "model_version"],
                condition=Q(source_type="model", turn__isnull=False),
                name="label_unique_model_turn",
            ),
            models.UniqueConstraint(
                fields=["dialogue", "kind", "model_version"],
                condition=Q(source_type="model", turn__isnull=True),
                name="label_unique_model_dialogue",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="label_confidence_in_unit_interval",
            ),
        ]
        indexes = [
            # Export and the dialogue page read all labels of a batch of dialogues.
            models.Index(fields=["dialogue", "kind"], name="label_dialogue_kind"),
            # The review queue ranks a model's proposals by confidence.
            # Partial: imported and people's labels, the bulk of the table, stay out of it.
            models.Index(
                fields=["model_version", "kind", "status", "confidence"],
                name="label_model_queue",
                condition=Q(model_version__isnull=False),
            ),
            # Incremental export pulls what changed since a time.
            models.Index(fields=["updated_at"], name="label_updated_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}={self.value!r} ({self.status})"


class AutoAcceptRule(models.Model):
    """Model labels of this kind at or above the threshold are accepted without review (the label's
    history shows it was automatic). The threshold's precision is what the review queue's random
    sample measures."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="auto_accept_rules")
    kind = models.CharField(max_length=20, choices=LabelKind.choices)
    threshold = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "kind"], name="autoaccept_unique_kind"),
            models.CheckConstraint(
                condition=Q(threshold__gte=0, threshold__lte=1), name="autoaccept_threshold_in_unit_interval"
            ),
        ]

    def __str__(self) -> str:
        return f"auto-accept {self.kind} >= {self.threshold} in {self.dataset}"


class ReviewEvent(models.Model):
    """Append-only audit: every change to a label leaves one row with what it was and what it became.

    ``before`` and ``after`` hold the label's ``status``, ``value`` and ``revision`` (and, for a
    reviewer's decision, that reviewer's verdict as ``review``), so undo can put back exactly what was.
    """

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        ACCEPT = "accept", "Accept"
        AUTO_ACCEPT = "auto_accept", "Auto-accept"
        CORRECT = "correct", "Correct"
        REJECT = "reject", "Reject"
        REPLACE = "replace", "Replace (re-import)"
        UNDO = "undo", "Undo"
        # A goal success label that follows its goal to the goal's new first turn.
        RETARGET = "retarget", "Moved with its goal"
        # The independent reviews agreed: the label became gold (or was rejected by all).
        CORROBORATE = "corroborate", "Corroborated"
        ADJUDICATE = "adjudicate", "Adjudicated"

    dialogue = models.ForeignKey(Dialogue, on_delete=models.CASCADE, related_name="review_events")
    label = models.ForeignKey(Label, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    kind = models.CharField(max_length=20, choices=LabelKind.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # The events one action wrote together (accept all, a goal change and its success labels): undo
    # takes back a whole group. Empty for events written outside the review services.
    group = models.CharField(max_length=32, blank=True, default="")
    # On an undo event: the event it took back.
    reverts = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reverted_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["dialogue", "created_at"], name="reviewevent_dialogue_time")]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} by {self.actor}"


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
        constraints = [
            models.UniqueConstraint(fields=["dialogue", "reviewer"], name="dialoguereview_unique_reviewer")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.status} {self.dialogue_id}"


class DialogueReviewState(models.Model):
    """Where a dialogue stands in its dataset's review queue, kept up to date by every service that
    writes labels or decisions (annotations.review_state.review_state_refresh).

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
        ordering = ["id"]
        indexes = [models.Index(fields=["dataset", "resolved_at", "id"], name="adjudication_open")]

    def __str__(self) -> str:
        return f"adjudication of label {self.label_id}"

"""Datasets of assistant dialogues, their turns, the labels written on them, and the audit of every
decision on a label.

A label is one row per (target, kind, source): the target is a turn, or the whole dialogue for goal
segments; the source is an import (gold from a file), a model version, or a person.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from annotations.names import dataset_name_key, dataset_name_problem


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


def validate_dataset_name(name: str) -> None:
    """A name is part of the dataset's URLs: no slash, no surrounding spaces, not a word the URLs use;
    and it must not pass for another (``annotations.names``)."""
    if "/" in name or name != name.strip() or not name:
        raise ValidationError("A dataset name may not contain '/' or start or end with a space.")
    if name in RESERVED_DATASET_NAMES:
        raise ValidationError(f"{name!r} is reserved; choose another name.")
    problem = dataset_name_problem(name)
    if problem is not None:
        raise ValidationError(problem)


class NameKeyField(models.TextField):
    """The key of the row's ``name`` (``annotations.names.dataset_name_key``), written whenever the
    row is saved, as ``auto_now`` writes a time: every way a dataset is made (the services, the
    admin, a test's ``objects.create``) is held to the unique key. A key that a migration set apart
    (two names that were the same name before keys existed) is kept."""

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        key = dataset_name_key(model_instance.name)  # type: ignore[attr-defined]
        current = getattr(model_instance, self.attname) or ""
        if current.split(LEGACY_KEY_SEPARATOR)[0] != key:
            setattr(model_instance, self.attname, key)
            return key
        return str(current)


# Between a key and the id that sets a legacy duplicate apart: a control character, which no key of a
# new name can contain (dataset_name_key drops them).
LEGACY_KEY_SEPARATOR = "\x1f"


RESERVED_DATASET_NAMES = frozenset({"new"})
# A description is a few lines for the datasets list, not a document: a 9 MB one was accepted once.
DATASET_DESCRIPTION_MAX_LENGTH = 2000
# The most independent reviews a dataset may ask of each label; the review pages, the API and the
# review service that changes the number all read it from here.
MAX_REQUIRED_REVIEWS = 10


class Dataset(models.Model):
    name = models.CharField(max_length=200, unique=True, validators=[validate_dataset_name])
    # Unique: no two datasets have names that read the same ("Alpha" and "alpha", "alpha" with a
    # zero-width space); see annotations/names.py.
    name_key = NameKeyField(unique=True, editable=False)
    description = models.TextField(
        blank=True,
        max_length=DATASET_DESCRIPTION_MAX_LENGTH,
        validators=[MaxLengthValidator(DATASET_DESCRIPTION_MAX_LENGTH)],
    )
    # How many independent reviews a dialogue needs before its labels become gold (3 for a gold set).
    required_reviews = models.PositiveSmallIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped (``dataset_serving_changed``) by every change to what the served endpoints answer from:
    # rewrite pairs, the blocklist, the active rewriter, preferences, resolution rules, catalogues.
    # Each process keeps those in memory under the revision it loaded them at; the dataset's row,
    # which every request reads anyway for the person's role, tells it when to load them again.
    serving_revision = models.PositiveBigIntegerField(default=0, editable=False)

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


class Invitation(models.Model):
    """A role in a dataset offered to a username: it becomes a membership only when the person with
    that username accepts, so nobody is put into a dataset without their consent. It is kept by
    username, not by account, and made the same way whether or not the username exists: whoever
    invites learns nothing about who has an account."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="invitations")
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "username"], name="invitation_unique_username")
        ]
        # A person's pending invitations are found by their username.
        indexes = [models.Index(fields=["username"], name="invitation_username")]

    def __str__(self) -> str:
        return f"{self.username} invited as {self.role} of {self.dataset}"


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
        indexes = [
            models.Index(fields=["dataset", "id"], name="dialogue_dataset_order"),
            # The people of a dataset (teachable) and ?user_id= filters find a person's dialogues.
            models.Index(fields=["dataset", "user_key"], name="dialogue_dataset_user"),
        ]

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
    # The preferences the person states or confirms in the turn: [{"domain", "key", "value",
    # "polarity", optional "start" and "end"}, ...]; an empty list (or no label) states none.
    PREFERENCES = "preferences", "Preferences"
    # For a turn that failed: the utterance that would have served the person, or null.
    REWRITE = "rewrite", "Rewrite"
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
    LabelKind.PREFERENCES,
    LabelKind.REWRITE,
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
    # What a model's label rests on, for the reviewer (a failure point's evidence: a list of
    # {"kind", "says", "points_to"}, models_app.ml.explain); NULL for gold and people's labels.
    evidence = models.JSONField(null=True, blank=True)
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
    # Indexed by the partial label_author index below (people's labels only).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
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
            # The labels a person wrote (the reviewer filter). Partial: a full index held one entry
            # per label, nearly all NULL, and after ANALYZE SQLite took `author_id = ?` to match
            # every label and scanned the table (the filter's query: 412 ms to 7 ms at 20,000
            # dialogues); imports no longer write an entry per label either.
            models.Index(fields=["author"], name="label_author", condition=Q(author__isnull=False)),
            # The dataset page's ?status= filter finds a rare status (corrected, rejected) from its
            # labels. The value filters' (kind, value, dialogue) index differs by database: it is
            # migration 0017's, not declared here.
            models.Index(fields=["status", "dialogue"], name="label_status_dialogue"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}={self.value!r} ({self.status})"


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


# Confidences are kept and plotted in bins of 1/20: an auto-accept threshold chosen on a plot is a bin's
# lower edge, so the counts at it are exact, and 20 points draw a smooth enough curve.
CONFIDENCE_BINS = 20


class DatasetStats(models.Model):
    """A dataset's counts, kept so that the datasets list and the overview never count millions of
    labels while a person waits (nine COUNTs over all labels took over 5 s on a cold database of
    100,000 dialogues). Refreshed in the workers after an import or a labelling job, and whenever a
    page finds a label changed since ``computed_at`` (a look at the ``updated_at`` index only)."""

    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, primary_key=True, related_name="stats")
    dialogues = models.PositiveIntegerField(default=0)
    turns = models.PositiveIntegerField(default=0)
    # [[kind, status, source_type, count], ...]: every combination present.
    labels = models.JSONField(default=list, blank=True)
    # What the quality dashboards plot, counted with the rest (annotations.stats.quality_counts):
    # {"failures_by_day": [[day, failure point, turns]], "defects_by_day": [[day, defects, turns]],
    # "failing_intents": [[intent, failed turns, turns]], "proposed_confidence": [[kind, bin, n]]}.
    quality = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()
    # When a page last asked for a refresh, so many pages ask for one refresh, not one each.
    refresh_requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"counts of {self.dataset_id} at {self.computed_at}"

    def label_count(
        self, *, kind: str | None = None, statuses: tuple[str, ...] = (), source: str = ""
    ) -> int:
        return sum(
            n
            for row_kind, status, row_source, n in self.labels
            if (kind is None or row_kind == kind)
            and (not statuses or status in statuses)
            and (not source or row_source == source)
        )

"""What people teach the assistant about themselves, per dataset and assistant user.

- ``Catalogue`` and ``CatalogueEntry``: the entities a value resolves to ("the warriors" is
  "Golden State Warriors"), shared by every dataset.
- ``Preference``: one thing known about one assistant user (the FORMAT.md ``user_id``) within a
  dataset, so that dataset roles decide who sees it, under an open key ("team", "film", "actor").
  A newer like of the same key supersedes the older one, which is kept inactive for the record;
  dislikes are kept side by side. A value no catalogue knows is kept as written, ``resolved=False``,
  until a catalogue named after its key learns it.
- ``PreferenceEvent``: every change, audited like a label (who, before, after).
- ``QuestionSet`` and ``Question``: guided Q&A ("learn my preferences"), per dataset and domain.
- ``GuidedSession``: one walk through a question set for one assistant user.
- ``ResolutionRule``: which preference completes which reading (intent, slot type).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotations.models import Dataset, Label, Turn

USER_KEY_LENGTH = 200  # as annotations.Dialogue.user_key


class Catalogue(models.Model):
    name = models.SlugField(max_length=64, unique=True)
    description = models.CharField(max_length=200, blank=True)
    # New on every change to the entries: a process's cached index is current while the stamp is the
    # same (a number would repeat when a catalogue is deleted and made again).
    stamp = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CatalogueEntry(models.Model):
    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="entries")
    value = models.CharField(max_length=200)  # the canonical value: "Golden State Warriors"
    aliases = models.JSONField(default=list, blank=True)  # how people say it: ["the warriors", ...]
    tag = models.CharField(max_length=64, blank=True)  # a facet: the league, a city's state

    class Meta:
        ordering = ["catalogue", "value"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "value"], name="catalogue_entry_unique_value")
        ]

    def __str__(self) -> str:
        return self.value


class Polarity(models.TextChoices):
    LIKE = "like", "Like"
    DISLIKE = "dislike", "Dislike"


class Source(models.TextChoices):
    STATEMENT = "statement", "Statement in the logs"
    GUIDED = "guided", "Guided question"
    MOMENT = "moment", "Teachable moment"
    REVIEWER = "reviewer", "Reviewer"
    IMPORT = "import", "Import"


class Preference(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="preferences")
    user_key = models.CharField(max_length=USER_KEY_LENGTH)
    domain = models.CharField(max_length=64)
    key = models.CharField(max_length=64)
    value = models.CharField(max_length=200)
    entity = models.ForeignKey(
        CatalogueEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="preferences"
    )
    # Whether a catalogue entry stands behind the value. False: kept as the person said it, because
    # no catalogue named after the key knows it (yet); loading a catalogue resolves it then.
    resolved = models.BooleanField(default=True)
    polarity = models.CharField(max_length=8, choices=Polarity.choices, default=Polarity.LIKE)
    source = models.CharField(max_length=16, choices=Source.choices)
    confidence = models.FloatField(default=1.0)
    # The turn that said it, where one did (a statement, a confirmed moment).
    turn = models.ForeignKey(Turn, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The reviewed ``preferences`` label it was learned from, at that label's revision: a label is
    # learned once per revision, however often the store is synced.
    label = models.ForeignKey(Label, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label_revision = models.PositiveIntegerField(null=True, blank=True)
    # False once superseded or deleted: the record stays, the resolver ignores it.
    active = models.BooleanField(default=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain", "key", "-created_at"]
        indexes = [
            models.Index(fields=["dataset", "user_key", "active"], name="preference_user_active"),
            # What a catalogue that learns entries looks through: the unresolved values of its key.
            models.Index(
                fields=["key"], condition=Q(resolved=False, active=True), name="preference_unresolved_key"
            ),
        ]
        constraints = [
            # One liked value per key and person; dislikes may be many, but each value once.
            models.UniqueConstraint(
                fields=["dataset", "user_key", "domain", "key"],
                condition=Q(active=True, polarity="like"),
                name="preference_one_active_like_per_key",
            ),
            models.UniqueConstraint(
                fields=["dataset", "user_key", "domain", "key", "value"],
                condition=Q(active=True, polarity="dislike"),
                name="preference_one_active_dislike_per_value",
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0.0, confidence__lte=1.0), name="preference_confidence_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_key}: {self.domain}.{self.key} {self.polarity} {self.value}"

    def as_dict(self) -> dict[str, object]:
        """The preference as the audit trail and the API write it."""
        return {
            "domain": self.domain,
            "key": self.key,
            "value": self.value,
            "polarity": self.polarity,
            "source": self.source,
            "confidence": self.confidence,
            "active": self.active,
            "resolved": self.resolved,
        }


class PreferenceEvent(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", "Learned"
        SUPERSEDE = "supersede", "Superseded"
        CORRECT = "correct", "Corrected"
        DELETE = "delete", "Deleted"
        RESOLVE = "resolve", "Resolved by a catalogue"
        UNRESOLVE = "unresolve", "No longer in a catalogue"

    preference = models.ForeignKey(Preference, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.preference_id}"


class AnswerType(models.TextChoices):
    ENTITY = "entity", "An entity of the question's catalogue"
    TEXT = "text", "Free text"


class QuestionSet(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="question_sets")
    name = models.SlugField(max_length=64)
    domain = models.CharField(max_length=64)
    first_question = models.ForeignKey(
        "Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="question_set_unique_name")]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    question_set = models.ForeignKey(QuestionSet, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=64)
    domain = models.CharField(max_length=64, blank=True)  # blank: the set's domain
    text = models.CharField(max_length=300)
    # How the session says back what it understood ("So you live in {value}."); blank: "So you like
    # {value}." Only for likes: a dislike is said as "So you don't like {value}." whatever the question.
    confirm = models.CharField(max_length=300, blank=True)
    answer_type = models.CharField(max_length=8, choices=AnswerType.choices, default=AnswerType.ENTITY)
    catalogue = models.ForeignKey(
        Catalogue, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    next_question = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["question_set", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question_set", "key"], name="question_unique_key_per_set")
        ]

    def __str__(self) -> str:
        return self.text


class GuidedSession(models.Model):
    class Status(models.TextChoices):
        ASKING = "asking", "Asking"
        CONFIRMING = "confirming", "Confirming an answer"
        DONE = "done", "Done"
        STOPPED = "stopped", "Stopped"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="guided_sessions")
    user_key = models.CharField(max_length=USER_KEY_LENGTH)
    question_set = models.ForeignKey(QuestionSet, on_delete=models.CASCADE, related_name="sessions")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ASKING)
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What the last answer was understood as, awaiting "yes" ({"value": ..., "entity": pk or None}).
    pending = models.JSONField(null=True, blank=True)
    # One entry per answer: {"key", "question" (what the session said just before: the question, a
    # confirmation or a choice), "answer", "value", "resolved", "outcome": stored|skipped|unresolved|...}.
    transcript = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["dataset", "user_key"], name="guided_session_user")]

    def __str__(self) -> str:
        return f"{self.user_key} · {self.question_set}"


class ResolutionRule(models.Model):
    """When the assistant reads ``intent`` without a ``slot_type`` slot, the person's liked
    ``domain``/``key`` fills it; when the slot's value is ambiguous in ``catalogue``, the preference
    picks among the candidates."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resolution_rules")
    intent = models.CharField(max_length=200)
    slot_type = models.CharField(max_length=64)
    domain = models.CharField(max_length=64)
    key = models.CharField(max_length=64)
    catalogue = models.ForeignKey(
        Catalogue, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["intent", "slot_type"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "intent", "slot_type"], name="resolution_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.intent}.{self.slot_type} <- {self.domain}.{self.key}"


class TeachableMoment(models.Model):
    """A question the assistant should have asked, found in the logs, with its evidence; confirming it
    (with a value) teaches the preference."""

    class Kind(models.TextChoices):
        AMBIGUOUS_ENTITY = "ambiguous_entity", "Ambiguous entity"
        NEGATIVE_FEEDBACK = "negative_feedback", "Negative feedback after a guess"
        BARGE_IN = "barge_in", "Interrupted a guess"
        REPEAT = "repeat", "Repeated the request"
        FAILED_CHAIN = "failed_chain", "Rephrased and never served"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="teachable_moments")
    user_key = models.CharField(max_length=USER_KEY_LENGTH)
    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    domain = models.CharField(max_length=64)
    key = models.CharField(max_length=64)
    question = models.CharField(max_length=500)
    proposed_value = models.CharField(max_length=200, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    preference = models.ForeignKey(
        Preference, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["dataset", "user_key", "status"], name="moment_user_status")]
        constraints = [
            # Mining again finds the same moment: it is kept once, with its decision.
            models.UniqueConstraint(fields=["turn", "kind", "key"], name="moment_unique_per_turn_kind_key")
        ]

    def __str__(self) -> str:
        return f"{self.user_key}: {self.kind} ({self.key})"

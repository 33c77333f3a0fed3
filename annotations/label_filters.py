"""Which labels a request asks for: one filter shared by the label list, the export (HTTP and CLI),
and the incremental pull's ``changed_since``.

A ``LabelFilter`` narrows labels (kind, status, source or model version, confidence range, reviewer).
``changed_since`` is kept apart because it means different things to different readers: the label
list shows the labels changed since then; an export sends the *whole current state* of every
dialogue that changed since then (imported, or any label of it changed), so that a pipeline that
replaces each dialogue it receives by id ends up with exactly what a full export would give it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from annotations.models import Label, LabelKind, LabelSource, ReviewEvent
from models_app.models import ModelVersion

# What a reviewer does to a label: the decisions the reviewer filter looks for.
REVIEW_ACTIONS = (ReviewEvent.Action.ACCEPT, ReviewEvent.Action.CORRECT, ReviewEvent.Action.REJECT)


@dataclass(frozen=True)
class LabelFilter:
    kinds: Sequence[str] = ()  # any of these kinds; empty = every kind
    statuses: Sequence[str] = ()  # any of these statuses; empty = every status
    source: LabelSource | None = None  # import, model or person
    model_version: ModelVersion | None = None  # labels this model version wrote
    # Labels without a confidence (imported ones, people's) fall outside any confidence range.
    confidence_min: float | None = None
    confidence_max: float | None = None
    # Labels the person wrote, or accepted, corrected or rejected.
    reviewer: User | None = None

    @property
    def is_empty(self) -> bool:
        return self == LabelFilter()

    def q(self) -> Q:
        """The condition on Label rows."""
        condition = Q()
        if self.kinds:
            condition &= Q(kind__in=list(self.kinds))
        if self.statuses:
            condition &= Q(status__in=list(self.statuses))
        if self.source is not None:
            condition &= Q(source_type=self.source)
        if self.model_version is not None:
            condition &= Q(model_version=self.model_version)
        if self.confidence_min is not None:
            condition &= Q(confidence__gte=self.confidence_min)
        if self.confidence_max is not None:
            condition &= Q(confidence__lte=self.confidence_max)
        if self.reviewer is not None:
            decided = ReviewEvent.objects.filter(
                label=OuterRef("pk"), actor=self.reviewer, action__in=REVIEW_ACTIONS
            )
            condition &= Q(author=self.reviewer) | Q(Exists(decided))
        return condition


@dataclass(frozen=True)
class DialogueFilter:
    """Which dialogues the dataset page lists: those with a label that passes ``labels``, and for each
    value asked (an intent, a failure point, a defect), a label of that kind with that value that
    passes ``labels`` but for its kinds (a label has one kind; ``kind=slots&intent=x`` asks for an
    intent label saying x *and* a slots label, each passing the rest)."""

    labels: LabelFilter = LabelFilter()
    intent: str | None = None
    failure_point: str | None = None
    defect: bool | None = None

    @property
    def is_empty(self) -> bool:
        return self == DialogueFilter()

    def q(self) -> Q:
        """The condition on Dialogue rows: one condition per label asked for (``_dialogues_having``:
        the matching labels' dialogues when they are few, else a probe of each dialogue's labels)."""
        values = [
            Q(kind=kind, value=value)
            for kind, value in (
                (LabelKind.INTENT, self.intent),
                (LabelKind.FAILURE_POINT, self.failure_point),
                (LabelKind.DEFECT, self.defect),
            )
            if value is not None
        ]
        if not values and self.labels.is_empty:
            return Q()
        condition = Q()
        rest = replace(self.labels, kinds=())
        for value in values:
            condition &= _dialogues_having(value & rest.q(), indexed=True)
        if not values or self.labels.kinds:
            # A status names the labels through the (status, dialogue) index; kinds alone, a source
            # or a confidence range match most dialogues, which the walk in id order finds at once.
            condition &= _dialogues_having(self.labels.q(), indexed=bool(self.labels.statuses))
        reviewer = self.labels.reviewer
        if reviewer is not None:
            # Found first through the person's own rows (the actor and label_author indexes), so that
            # a reviewer of a few hundred dialogues does not cost a probe of every dialogue's labels.
            # One IN of a UNION, not an OR of two INs: PostgreSQL read an OR as a filter on every
            # dialogue of the dataset (and its cost estimate switched JIT on: 1 s at 20,000 dialogues).
            decided = ReviewEvent.objects.filter(actor=reviewer, action__in=REVIEW_ACTIONS).order_by()
            written = Label.objects.filter(author=reviewer).order_by()
            mine = decided.values("dialogue_id").union(written.values("dialogue_id"))
            condition &= Q(pk__in=mine)
        return condition


# Up to this many labels match a value (or a status), the dialogues are found from those labels;
# above it, by probing each dialogue's labels in id order.
FEW_MATCHING_LABELS = 20_000


def _dialogues_having(labels: Q, *, indexed: bool) -> Q:
    """The condition on Dialogue rows: one of its labels passes ``labels``.

    Neither way of answering serves every value. Probing each dialogue's labels in id order (the
    (dialogue, kind) index) stops at the page's last row, which is soon for a common value, but walks
    the whole dataset for a rare one (2.6 s at a million dialogues). Reading the matching
    labels first (the (kind, value, dialogue) or (status, dialogue) index, ``indexed``) costs what
    matches: little for a rare value, most of the dataset for a common one.

    PostgreSQL chooses between the two itself, from its statistics of each value's frequency (a hash
    of the matching labels for a rare value, a merge along the dialogue ids for a common one), given
    the ``Exists``. SQLite keeps no such statistics and always probes, so here a look at the index
    that stops at ``FEW_MATCHING_LABELS`` says which the value is: above it, at least one dialogue in
    50 at a million has it, and a page is found within a few thousand probes."""
    matching = Label.objects.filter(labels).order_by()
    probe = Q(Exists(matching.filter(dialogue=OuterRef("pk"))))
    if connection.vendor != "sqlite" or not indexed:
        return probe
    if matching[FEW_MATCHING_LABELS : FEW_MATCHING_LABELS + 1].exists():
        return probe
    return Q(pk__in=matching.values("dialogue_id"))


def labels_changed_since_q(since: datetime) -> Q:
    return Q(updated_at__gte=since)


# Up to this many labels changed since a time, the changed dialogues are found from the changed labels
# (the ``updated_at`` index, read once per query); above it, by probing each dialogue's labels.
FEW_CHANGED_LABELS = 20_000


def dialogues_changed_since_q(since: datetime) -> Q:
    """The condition on Dialogue rows: imported since then, or any of its labels changed since then.

    An incremental pull usually finds few changes: the changed labels, read by the ``updated_at`` index,
    name their dialogues (an IN list the database builds once per query). Probing every dialogue's labels
    instead read all of them (SQLite: 0.45 s for 20,000 dialogues with nothing changed, 10 ms this way).
    When many labels changed, an IN list would be built again for every batch of an export, so each
    dialogue is probed, which stops at its first changed label.
    """
    recent = Label.objects.filter(updated_at__gte=since)
    if not recent.order_by()[FEW_CHANGED_LABELS : FEW_CHANGED_LABELS + 1].exists():
        return Q(created_at__gte=since) | Q(id__in=recent.order_by().values("dialogue_id"))
    changed = Label.objects.filter(dialogue=OuterRef("pk"), updated_at__gte=since)
    return Q(created_at__gte=since) | Q(Exists(changed))

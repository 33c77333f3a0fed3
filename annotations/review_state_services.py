"""Keeps each dialogue's place in the review queue (DialogueReviewState) true to its labels.

Every service that writes labels or verdicts calls ``review_state_refresh`` with the dialogues it
touched: the labelling job after writing a chunk's proposals, the review services after each decision.
It reads those dialogues' labels and verdicts in a fixed number of queries and writes one row per
dialogue, so the queue can find "the next dialogue for me" by walking an index instead of ranking
millions of labels on every request.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils import timezone

from annotations.models import (
    Dialogue,
    DialogueReview,
    DialogueReviewState,
    Label,
    LabelReview,
    LabelSource,
    LabelStatus,
    ReviewDecision,
)
from annotations.review_rules import current_labels, is_awaiting, same_value

# Rows per statement when a whole dataset is refreshed.
REFRESH_BATCH_SIZE = 2000
_random = random.Random()


@dataclass(frozen=True)
class LabelRow:
    """The columns of a label that the queue's state depends on."""

    id: int
    dialogue_id: int
    turn_id: int | None
    kind: str
    value: Any
    confidence: float | None
    status: str
    source_type: str
    model_version_id: int | None


_LABEL_COLUMNS = tuple(LabelRow.__dataclass_fields__)


@dataclass
class DialogueFacts:
    """A dialogue's labels as review sees them: what waits, for whom, and how contested it is."""

    dialogue_id: int
    dataset_id: int
    required: int
    current: dict[tuple[int | None, str], Any] = field(default_factory=dict)
    # Reviewer ids with a verdict, by label id (every label of the dialogue, current or not).
    reviewers_of: dict[int, set[int | None]] = field(default_factory=dict)
    disagreements: int = 0
    has_reviewable_labels: bool = False

    @property
    def awaiting(self) -> list[Any]:
        return [
            label
            for label in self.current.values()
            if is_awaiting(label, len(self.reviewers_of.get(label.id, ())), self.required)
        ]

    def awaiting_for(self, reviewer_id: int) -> list[Any]:
        """The waiting labels this reviewer has not given a verdict on."""
        return [label for label in self.awaiting if reviewer_id not in self.reviewers_of.get(label.id, ())]

    def has_verdict_from(self, reviewer_id: int) -> bool:
        return any(reviewer_id in reviewers for reviewers in self.reviewers_of.values())


def dialogue_facts(
    dialogue_ids: Sequence[int], *, datasets: dict[int, tuple[int, int]] | None = None
) -> dict[int, DialogueFacts]:
    """The review facts of these dialogues, in three queries whatever their number and length (two
    when ``datasets`` gives each dialogue's dataset id and required reviews already)."""
    if datasets is None:
        dialogues = list(
            Dialogue.objects.filter(pk__in=dialogue_ids).values_list(
                "pk", "dataset_id", "dataset__required_reviews"
            )
        )
    else:
        dialogues = [(pk, *datasets[pk]) for pk in dialogue_ids]
    labels_of: dict[int, list[LabelRow]] = defaultdict(list)
    for row in Label.objects.filter(dialogue_id__in=dialogue_ids).values_list(*_LABEL_COLUMNS):
        labels_of[row[1]].append(LabelRow(*row))
    reviews_of: dict[int, list[tuple[int, int | None, str]]] = defaultdict(list)
    for label_id, dialogue_id, reviewer_id, decision in LabelReview.objects.filter(
        dialogue_id__in=dialogue_ids
    ).values_list("label_id", "dialogue_id", "reviewer_id", "decision"):
        reviews_of[dialogue_id].append((label_id, reviewer_id, decision))
    return {
        pk: build_facts(
            dialogue_id=pk,
            dataset_id=dataset_id,
            required=required,
            labels=labels_of.get(pk, []),
            reviews=reviews_of.get(pk, []),
        )
        for pk, dataset_id, required in dialogues
    }


def build_facts(
    *,
    dialogue_id: int,
    dataset_id: int,
    required: int,
    labels: Sequence[Any],
    reviews: Iterable[tuple[int, int | None, str]],
) -> DialogueFacts:
    """Facts from rows already read: ``labels`` (LabelRow or Label) and ``reviews`` as
    (label id, reviewer id, decision)."""
    facts = DialogueFacts(dialogue_id=dialogue_id, dataset_id=dataset_id, required=max(1, required))
    corrections = 0
    for label_id, reviewer_id, decision in reviews:
        facts.reviewers_of.setdefault(label_id, set()).add(reviewer_id)
        corrections += decision != ReviewDecision.ACCEPT
    facts.current = current_labels(labels)
    facts.has_reviewable_labels = any(label.source_type != LabelSource.IMPORT for label in labels)
    facts.disagreements = corrections + _differs_from_reference(facts, labels)
    return facts


def _differs_from_reference(facts: DialogueFacts, labels: Iterable[Any]) -> int:
    """Waiting labels whose value differs from a settled label of the same target: imported gold, or
    what a reviewer decided on another source's label."""
    reference: dict[tuple[int | None, str], Any] = {}
    for label in labels:
        settled = label.status in (LabelStatus.GOLD, LabelStatus.CORRECTED) or (
            label.status == LabelStatus.ACCEPTED and label.id in facts.reviewers_of
        )
        if settled:
            reference.setdefault((label.turn_id, label.kind), label)
    return sum(
        1
        for label in facts.awaiting
        if (ref := reference.get((label.turn_id, label.kind))) is not None
        and ref.id != label.id
        and not same_value(label.kind, ref.value, label.value)
    )


def review_state_refresh(
    *, dialogue_ids: Sequence[int], facts: dict[int, DialogueFacts] | None = None
) -> dict[int, int]:
    """Recompute the queue state of these dialogues (pass ``facts`` when already loaded) and return
    how many reviewers finished each. A dialogue with nothing but imported labels gets no row; the
    hold on an existing row is left as it is."""
    if not dialogue_ids:
        return {}
    facts = facts if facts is not None else dialogue_facts(dialogue_ids)
    done = dict(
        DialogueReview.objects.filter(dialogue_id__in=dialogue_ids, status=DialogueReview.Status.DONE)
        .values("dialogue_id")
        .annotate(n=Count("*"))
        .values_list("dialogue_id", "n")
    )
    now = timezone.now()
    rows = []
    without = []
    for pk, item in facts.items():
        if not item.has_reviewable_labels:
            without.append(pk)
            continue
        awaiting = item.awaiting
        confidences = [label.confidence for label in awaiting if label.confidence is not None]
        rows.append(
            DialogueReviewState(
                dialogue_id=pk,
                dataset_id=item.dataset_id,
                is_open=bool(awaiting),
                awaiting=len(awaiting),
                min_confidence=min(confidences, default=1.0),
                disagreement=item.disagreements,
                reviews_done=done.get(pk, 0),
                random_key=_random.getrandbits(31),
                updated_at=now,
            )
        )
    if rows:
        DialogueReviewState.objects.bulk_create(
            rows,
            batch_size=REFRESH_BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["dialogue"],
            update_fields=[
                "is_open",
                "awaiting",
                "min_confidence",
                "disagreement",
                "reviews_done",
                "updated_at",
            ],
        )
    if without:
        # Their reviewable labels are gone (a model version deleted, say): nothing waits any more.
        DialogueReviewState.objects.filter(dialogue_id__in=without).update(is_open=False, awaiting=0)
    return done


def review_state_refresh_dataset(*, dataset_id: int) -> int:
    """Refresh every dialogue of a dataset (after its required number of reviews changed), a batch at a
    time; returns how many dialogues were looked at."""
    ids = list(Dialogue.objects.filter(dataset_id=dataset_id).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), REFRESH_BATCH_SIZE):
        review_state_refresh(dialogue_ids=ids[start : start + REFRESH_BATCH_SIZE])
    return len(ids)

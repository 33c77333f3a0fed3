"""What review knows about a dialogue: its current labels, who gave a verdict on which, what still
waits and how contested it is. Read in a fixed number of queries; the queue state, the review page and
every decision start from these facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotations.models import Dialogue, Label, LabelSource, LabelStatus
from review.models import LabelReview, ReviewDecision
from review.rules import current_labels, is_awaiting, same_value


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

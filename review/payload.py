"""What the review page and the review API say about labels, turns and progress, as plain JSON data.

One shape for both: the page embeds it (json_script) and the API answers with it, so the page's
script redraws from a save's answer exactly as it drew from the page. The script repeats no rule of
review: the kinds and their names come from ``kinds_payload`` and which label of each target is the
one under review from ``under_review_payload`` (``review.rules.current_labels`` decides it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from annotations.models import TURN_LABEL_KINDS, Label, LabelKind, LabelSource, LabelStatus, Turn
from review.facts import DialogueFacts
from review.rules import LOW_CONFIDENCE


@dataclass(frozen=True, slots=True)
class ReviewLabel:
    """A label with its source's name, read as a plain row: a page draws a few hundred of them, and
    building model instances (and their model version and author) took most of its time."""

    id: int
    dialogue_id: int
    turn_id: int | None
    kind: str
    value: Any
    confidence: float | None
    evidence: list[dict[str, str]] | None  # what a model's label rests on (Label.evidence)
    status: str
    source_type: str
    model_version_id: int | None
    revision: int
    model_name: str | None
    author_name: str | None

    @property
    def pk(self) -> int:
        return self.id


_COLUMNS = (
    *(name for name in ReviewLabel.__dataclass_fields__ if name not in ("model_name", "author_name")),
    "model_version__name",
    "author__username",
)


def review_labels(labels: QuerySet[Label]) -> list[ReviewLabel]:
    """The labels of ``labels`` as ReviewLabel rows, by id, in one query."""
    return [ReviewLabel(*row) for row in labels.order_by("pk").values_list(*_COLUMNS)]


def source_name(label: ReviewLabel) -> str:
    """Import, the model version's name, or the person's username."""
    if label.source_type == LabelSource.MODEL:
        return label.model_name or "model"
    if label.source_type == LabelSource.PERSON:
        return label.author_name or "person"
    return "import"


def label_payload(label: ReviewLabel, *, facts: DialogueFacts, mine: Any, awaiting: bool) -> dict:
    """``mine``: this reviewer's verdict (anything with ``decision`` and ``value``) or None;
    ``awaiting``: the label waits for this reviewer's verdict."""
    reviewers = facts.reviewers_of.get(label.pk, set())
    settled = label.status in (LabelStatus.GOLD, LabelStatus.REJECTED) or (
        facts.required > 1 and len(reviewers) >= facts.required
    )
    return {
        "id": label.pk,
        "kind": label.kind,
        "turn": label.turn_id,
        "value": label.value,
        "status": label.status,
        "confidence": label.confidence,
        "low": label.confidence is not None and label.confidence < LOW_CONFIDENCE,
        # Shown beside the label, so that a reviewer judges a failure point by what it rests on.
        "evidence": label.evidence or [],
        "source": label.source_type,
        "source_name": source_name(label),
        "revision": label.revision,
        "reviews": len(reviewers),
        "required": facts.required,
        "settled": settled,
        "awaiting": awaiting,
        # With several reviews required, the reviewer sees their own verdict, not the others'.
        "mine": None if mine is None else {"decision": mine.decision, "value": mine.value},
    }


def turn_payload(turn: Turn) -> dict:
    return {
        "pk": turn.pk,
        "id": turn.external_id,
        "position": turn.position,
        "utterance": turn.utterance,
        "response": turn.response,
        "timestamp": turn.timestamp,
        "asr_confidence": turn.asr_confidence,
        "nlu_confidence": turn.nlu_confidence,
        "domain": turn.domain,
        "intent": turn.intent,
        "slots": turn.slots,
        "status": turn.status,
        "barge_in": turn.barge_in,
        "feedback": turn.feedback,
    }


def progress_payload(facts: DialogueFacts, reviewer_id: int, *, done: bool, reviews_done: int) -> dict:
    return {
        "awaiting_for_me": len(facts.awaiting_for(reviewer_id)),
        "awaiting": len(facts.awaiting),
        "done": done,
        "reviews_done": reviews_done,
        "required": facts.required,
    }


def labels_payload(
    labels: list[ReviewLabel], *, facts: DialogueFacts, my_reviews: dict[int, Any], reviewer_id: int
) -> list[dict[str, Any]]:
    awaiting = {label.id for label in facts.awaiting_for(reviewer_id)}
    return [
        label_payload(label, facts=facts, mine=my_reviews.get(label.pk), awaiting=label.pk in awaiting)
        for label in labels
    ]


# Turn kinds whose absence says "none" (FORMAT.md): most turns state no preference and need no
# rewrite, so a turn lists them only where it has one.
OPTIONAL_KINDS = (LabelKind.PREFERENCES, LabelKind.REWRITE)


def kinds_payload() -> list[dict[str, Any]]:
    """Every label kind, in its usual order, with its display name, what it targets: ``turn`` (one
    of the labels listed under each turn), ``goal`` (a goal's success, on the goal's first turn) or
    ``dialogue`` (the goal segmentation), and whether it is ``optional``: listed only where a turn
    has a label of it."""
    return [
        {
            "kind": kind.value,
            "name": str(kind.label),
            "target": _target(kind),
            "optional": kind in OPTIONAL_KINDS,
        }
        for kind in LabelKind
    ]


def _target(kind: LabelKind) -> str:
    if kind in TURN_LABEL_KINDS:
        return "turn"
    return "dialogue" if kind == LabelKind.GOAL_SEGMENTS else "goal"


def under_review_payload(facts: DialogueFacts) -> list[int]:
    """The ids of the dialogue's labels under review, one per target and kind, as
    ``review.rules.current_labels`` chose them. Every answer carries the whole list, not only the
    labels it changed: a save can change which label of a target is under review without touching
    the one it replaces (a person's new label supersedes a model's; undoing it brings that one back)."""
    return sorted(label.id for label in facts.current.values())

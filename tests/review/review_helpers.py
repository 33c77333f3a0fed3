"""Dialogues with a model's proposals of every kind, ready to review (no model involved: the labels are
written as a labelling job writes them, and the queue state refreshed as it refreshes it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from annotations.models import Dataset, Dialogue, Label, LabelKind, LabelSource, LabelStatus
from models_app.models import ModelVersion
from review.services.decisions import DecisionInput
from review.services.state import review_state_refresh
from tests.annotations.page_helpers import make_dialogue

INTENTS = ["PlayMusic", "GetWeather", "SetAlarm", "AddToPlaylist"]
SLOT_TYPES = ["song", "artist", "city", "time"]


def make_model(name: str = "labeller-v2") -> ModelVersion:
    model, _ = ModelVersion.objects.get_or_create(
        name=name,
        defaults={
            "tasks": [kind.value for kind in LabelKind],
            "inventories": {"intents": INTENTS, "slot_types": SLOT_TYPES},
        },
    )
    return model


def make_reviewable(
    dataset: Dataset,
    external_id: str,
    utterances: Sequence[str],
    *,
    confidence: float = 0.9,
    goals: Sequence[Sequence[int]] | None = None,
    model: ModelVersion | None = None,
) -> Dialogue:
    """A dialogue whose every turn has a proposal of each turn kind (intent PlayMusic, the first word
    as a song, failure point none, no rephrase, no defect) and whose goals (positions, by default the
    first half and the rest) each have a proposed segmentation and success, all at ``confidence``."""
    dialogue = make_dialogue(dataset, external_id, list(utterances), with_labels=False)
    turns = list(dialogue.turns.order_by("position"))
    model = model or make_model()
    now = timezone.now()

    def proposal(kind: str, value: Any, turn: Any = None) -> Label:
        return Label(
            dialogue=dialogue,
            turn=turn,
            kind=kind,
            value=value,
            confidence=confidence,
            status=LabelStatus.PROPOSED,
            source_type=LabelSource.MODEL,
            model_version=model,
            created_at=now,
            updated_at=now,
        )

    labels = []
    for turn in turns:
        first_word = len(turn.utterance.split(" ")[0])
        labels += [
            proposal(LabelKind.INTENT, "PlayMusic", turn),
            proposal(LabelKind.SLOTS, [{"start": 0, "end": first_word, "type": "song"}], turn),
            proposal(LabelKind.FAILURE_POINT, "none", turn),
            proposal(LabelKind.REPHRASE_OF, None, turn),
            proposal(LabelKind.DEFECT, False, turn),
        ]
    if goals is None:
        half = max(1, len(turns) // 2)
        goals = [range(half), range(half, len(turns))] if len(turns) > 1 else [range(1)]
    segments = [[turns[position].external_id for position in goal] for goal in goals if len(goal)]
    labels.append(proposal(LabelKind.GOAL_SEGMENTS, [{"turns": goal} for goal in segments]))
    for number, goal in enumerate(goals):
        if len(goal):
            labels.append(proposal(LabelKind.GOAL_SUCCESS, number % 2 == 0, turns[goal[0]]))
    Label.objects.bulk_create(labels)
    review_state_refresh(dialogue_ids=[dialogue.pk])
    return dialogue


def label_of(dialogue: Dialogue, kind: str, turn_external_id: str | None = None) -> Label:
    """The model's label of this kind on the turn (or the dialogue), as it is now."""
    target = {"turn__external_id": turn_external_id} if turn_external_id else {"turn__isnull": True}
    return Label.objects.get(dialogue=dialogue, kind=kind, source_type=LabelSource.MODEL, **target)


def decision(label: Label, action: str, value: Any = None, *, with_value: bool = False) -> DecisionInput:
    """A decision at the label's current revision (``value`` is sent for corrections)."""
    if action == "correct" or with_value:
        return DecisionInput(label.pk, action, label.revision, value)
    return DecisionInput(label.pk, action, label.revision)

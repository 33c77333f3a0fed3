"""Shapes a dialogue (with its turns and labels already loaded) into what the dialogue page shows:
the turns grouped into goal bands, each turn with its labels by kind. Pure Python: no queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from annotations.models import TURN_LABEL_KINDS, Dialogue, Label, LabelKind, LabelStatus, Turn

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from annotations.selectors import DialogueLabels

# Which goal segmentation to draw when several sources wrote one: a person's decision first.
_STATUS_PREFERENCE: dict[str, int] = {
    LabelStatus.CORRECTED: 0,
    LabelStatus.GOLD: 1,
    LabelStatus.ACCEPTED: 2,
    LabelStatus.PROPOSED: 3,
}
_KIND_ORDER = {kind.value: index for index, kind in enumerate(TURN_LABEL_KINDS)}


@dataclass
class TurnView:
    turn: Turn
    labels: list[Label] = field(default_factory=list)


@dataclass
class GoalBand:
    """A run of consecutive turns: one goal (``number`` from 1), or turns that belong to no goal."""

    number: int | None
    turns: list[TurnView] = field(default_factory=list)
    success_labels: list[Label] = field(default_factory=list)


@dataclass
class Conversation:
    bands: list[GoalBand]
    # The goal segmentation the bands follow, and every dialogue-level label (all sources).
    segmentation: Label | None
    dialogue_labels: list[Label]


def _goal_segments(label: Label) -> list[list[str]]:
    value = label.value if isinstance(label.value, list) else []
    goals = []
    for goal in value:
        turns = goal.get("turns") if isinstance(goal, dict) else None
        goals.append([str(turn_id) for turn_id in turns] if isinstance(turns, list) else [])
    return goals


def _preferred_segmentation(labels: list[Label]) -> Label | None:
    candidates = [
        label
        for label in labels
        if label.kind == LabelKind.GOAL_SEGMENTS and label.status in _STATUS_PREFERENCE
    ]
    candidates.sort(key=lambda label: (_STATUS_PREFERENCE[label.status], -label.updated_at.timestamp()))
    return candidates[0] if candidates else None


def conversation_build(dialogue: WithAnnotations[Dialogue, DialogueLabels]) -> Conversation:
    """Expects ``dialogue`` from ``selectors.dialogue_get_with_labels``."""
    all_labels = dialogue.all_labels
    turns: list[Turn] = list(dialogue.turns.all())
    views = {turn.pk: TurnView(turn) for turn in turns}
    success_by_turn: dict[int, list[Label]] = {}
    dialogue_labels = []
    for label in all_labels:
        if label.turn_id is None:
            dialogue_labels.append(label)
        elif label.kind == LabelKind.GOAL_SUCCESS:
            success_by_turn.setdefault(label.turn_id, []).append(label)
        elif label.turn_id in views:
            views[label.turn_id].labels.append(label)
    for view in views.values():
        view.labels.sort(key=lambda label: (_KIND_ORDER.get(label.kind, 99), label.pk))

    segmentation = _preferred_segmentation(dialogue_labels)
    goal_of_turn: dict[str, int] = {}
    if segmentation is not None:
        for goal_number, turn_ids in enumerate(_goal_segments(segmentation), start=1):
            for turn_id in turn_ids:
                goal_of_turn.setdefault(turn_id, goal_number)

    bands: list[GoalBand] = []
    for turn in turns:
        number = goal_of_turn.get(turn.external_id)
        if not bands or bands[-1].number != number:
            bands.append(GoalBand(number=number))
            if number is not None:
                # goal_success targets the goal's first turn.
                bands[-1].success_labels = success_by_turn.pop(turn.pk, [])
        bands[-1].turns.append(views[turn.pk])
    # A success label on a turn that starts no goal of the drawn segmentation stays visible on its turn.
    for turn_pk, labels in success_by_turn.items():
        if turn_pk in views:
            views[turn_pk].labels.extend(labels)
    return Conversation(bands=bands, segmentation=segmentation, dialogue_labels=dialogue_labels)

"""Self-training: a trained model labels unlabelled logs, and its confident labels become training gold.

Real logs arrive unlabelled and in the thousands; the model that reads them best is one that has seen
their language. After the supervised round, ``pseudo_labelled`` keeps, per turn and per label, only
the predictions whose calibrated confidence reaches the threshold; everything below it stays "no
gold" (None), so an unsure label teaches nothing rather than something wrong. Goal segments are kept
only when the whole segmentation is confident, since one wrong boundary moves two goals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from models_app.ml.data import DialogueExample, DialoguePrediction, Predicted, TurnTargets

# The turn labels self-training may learn from, in TurnTargets' field names.
TURN_LABELS = ("intent", "slots", "failure_point", "rephrase_of", "defect")


def _confident(predicted: Predicted, threshold: float) -> Any:
    return predicted.value if predicted.confidence >= threshold else None


def pseudo_labelled(
    examples: Sequence[DialogueExample],
    predictions: Sequence[DialoguePrediction],
    threshold: float,
    labels: Sequence[str] = TURN_LABELS,
) -> list[DialogueExample]:
    """``examples`` with the confident part of ``predictions`` as their gold (in the same order).

    ``labels`` limits which turn labels are taken (a log's own gold, where it has some, is kept and
    never overwritten). Dialogues that end up with no confident label at all are left out."""
    if not 0 < threshold <= 1:
        raise ValueError(f"the self-training threshold must be in (0, 1], not {threshold}")
    unknown = set(labels) - set(TURN_LABELS)
    if unknown:
        raise ValueError(f"unknown turn labels for self-training: {', '.join(sorted(unknown))}")
    out: list[DialogueExample] = []
    for example, prediction in zip(examples, predictions, strict=True):
        gold = example.targets or [TurnTargets() for _ in example.turns]
        targets: list[TurnTargets] = []
        found = False
        for own, turn in zip(gold, prediction.turns, strict=True):
            values: dict[str, Any] = {}
            for name in labels:
                if getattr(own, name) is not None:
                    continue
                value = _confident(getattr(turn, name), threshold)
                if value is not None:
                    values[name] = value
            found = found or bool(values)
            targets.append(dataclasses.replace(own, **values))
        goals, goal_success = example.goals, example.goal_success
        if goals is None and prediction.goals.confidence >= threshold:
            goals = [list(goal) for goal in prediction.goals.value]
            goal_success = [
                bool(success.value) if success.confidence >= threshold else None
                for success in prediction.goal_success
            ]
            found = True
        if found:
            out.append(dataclasses.replace(example, targets=targets, goals=goals, goal_success=goal_success))
    return out

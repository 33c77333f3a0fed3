"""Logits to DialoguePredictions: calibrated probabilities, argmax values, spans from BIO tags.

A head that had no gold in training (not in ``tasks``) still fills its field, with a neutral value
(NO_INTENT, no slots, "none", NOT_A_REPHRASE, False, no goals) and confidence 0.0, so a threshold on
confidence never accepts an untrained head's guess.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from models_app.ml.data import (
    NO_INTENT,
    NOT_A_REPHRASE,
    DialogueExample,
    DialoguePrediction,
    Predicted,
    TurnPrediction,
)
from models_app.ml.features import FeaturizedDialogue
from models_app.ml.inference import DialogueLogits
from models_app.ml.tokenization import tags_to_spans


def _probabilities(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    return torch.softmax(logits.float() / temperature, dim=-1)


def _pick(probabilities: torch.Tensor) -> tuple[list[int], list[float]]:
    confidence, index = probabilities.max(dim=-1)
    return index.tolist(), confidence.tolist()


def decode(
    example: DialogueExample,
    features: FeaturizedDialogue,
    logits: DialogueLogits,
    inventories: dict[str, list[str]],
    temperatures: dict[str, float],
    tasks: Sequence[str],
) -> DialoguePrediction:
    def temperature(name: str) -> float:
        return float(temperatures.get(name, 1.0))

    def known(task: str, confidence: float) -> float:
        return confidence if task in tasks else 0.0

    if not example.turns:
        return DialoguePrediction(key=example.key, turns=[], goals=Predicted([], known("goals", 1.0)))
    intents, intent_conf = _pick(_probabilities(logits.intent, temperature("intent")))
    failures, failure_conf = _pick(_probabilities(logits.failure_point, temperature("failure_point")))
    defects, defect_conf = _pick(_probabilities(logits.defect, temperature("defect")))
    rephrases, rephrase_conf = _pick(_probabilities(logits.rephrase, temperature("rephrase")))
    boundary_probs = _probabilities(logits.boundary, temperature("boundary"))
    tag_names = inventories["slot_tags"]
    intent_names = inventories["intents"]
    turns = []
    for t, turn in enumerate(example.turns):
        slot_probs = _probabilities(logits.slots[t], temperature("slots"))  # (pieces, tags)
        tags, tag_conf = _pick(slot_probs)
        in_utterance = torch.tensor(features.tokens[t].in_utterance, dtype=torch.bool)
        # The whole tagging's confidence: the product over the utterance's pieces.
        slot_confidence = float(torch.tensor(tag_conf)[in_utterance].prod()) if in_utterance.any() else 1.0
        spans = tags_to_spans([tag_names[i] for i in tags], features.tokens[t], turn.utterance)
        intent = intent_names[intents[t]] if intent_names else NO_INTENT
        turns.append(
            TurnPrediction(
                intent=Predicted(intent, known("intent", intent_conf[t])),
                slots=Predicted(spans if "slots" in tasks else [], known("slots", slot_confidence)),
                failure_point=Predicted(
                    inventories["failure_points"][failures[t]], known("failure_point", failure_conf[t])
                ),
                rephrase_of=Predicted(
                    rephrases[t] - 1 if rephrases[t] > 0 else NOT_A_REPHRASE,
                    known("rephrase_of", rephrase_conf[t]),
                ),
                defect=Predicted(bool(defects[t]), known("defect", defect_conf[t])),
            )
        )
    goals = [list(range(start, end)) for start, end in logits.goals]
    goal_confidence = float(boundary_probs.max(dim=-1).values.prod()) if len(example.turns) else 1.0
    success: list[Predicted] = []
    if logits.goal_success is not None and len(goals):
        values, confidences = _pick(_probabilities(logits.goal_success, temperature("goal_success")))
        success = [
            Predicted(bool(v), known("goal_success", c)) for v, c in zip(values, confidences, strict=True)
        ]
    if "goals" not in tasks:
        goals, success = [], []
    return DialoguePrediction(
        key=example.key,
        turns=turns,
        goals=Predicted(goals, known("goals", goal_confidence)),
        goal_success=success,
    )

"""Logits to DialoguePredictions: calibrated probabilities, argmax values, spans from BIO tags.

A head that had no gold in training (not in ``tasks``) still fills its field, with a neutral value
(NO_INTENT, no slots, "none", NOT_A_REPHRASE, False, no goals) and confidence 0.0, so a threshold on
confidence never accepts an untrained head's guess.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

import numpy as np
import torch

from models_app.ml.augment import has_aftermath
from models_app.ml.data import (
    NO_INTENT,
    NOT_A_REPHRASE,
    DialogueExample,
    DialoguePrediction,
    Predicted,
    Span,
    TurnInput,
    TurnPrediction,
)
from models_app.ml.features import FeaturizedDialogue
from models_app.ml.inference import DialogueLogits
from models_app.ml.preferences import (
    NO_STATEMENT,
    STATEMENT_KEYS,
    VALUE_TAGS,
    open_preferences,
    stated_preferences,
)
from models_app.ml.tokenization import EncodedTurn, tags_to_spans

# Failure points that only the aftermath of an utterance can show (see _without_unevidenced_failures).
NEEDS_AFTERMATH = ("false_wake", "result")


def _probabilities(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    return torch.softmax(logits.float() / temperature, dim=-1)


def _pick(probabilities: torch.Tensor) -> tuple[list[int], list[float]]:
    confidence, index = probabilities.max(dim=-1)
    return index.tolist(), confidence.tolist()


@functools.lru_cache(maxsize=16)
def _allowed_transitions(tag_names: tuple[str, ...]) -> np.ndarray:
    """(tags + 1, tags): whether tag j may follow tag i; row ``tags`` is the start of the utterance.
    I-x may only follow B-x or I-x; anything else may follow anything."""
    size = len(tag_names)
    allowed = np.ones((size + 1, size), dtype=bool)
    for j, name in enumerate(tag_names):
        if name.startswith("I-"):
            slot_type = name[2:]
            allowed[:, j] = False
            for i, previous in enumerate(tag_names):
                if previous in (f"B-{slot_type}", f"I-{slot_type}"):
                    allowed[i, j] = True
    return allowed


def bio_viterbi(log_probs: np.ndarray, allowed: np.ndarray) -> list[int]:
    """The most probable tag sequence (words, tags) -> tag per word, among valid BIO sequences only:
    a per-word argmax can say "O I-city", which no reading of BIO makes a clean span of."""
    greedy: list[int] = log_probs.argmax(axis=1).tolist()
    # When the per-word argmax is already valid BIO it is the best valid sequence too (the usual case).
    if allowed[-1, greedy[0]] and all(allowed[a, b] for a, b in itertools.pairwise(greedy)):
        return greedy
    blocked = np.where(allowed, 0.0, -np.inf)
    score = log_probs[0] + blocked[-1]  # (tags,)
    back = []
    for row in log_probs[1:]:
        candidates = score[:, None] + blocked[:-1]  # (previous tag, tag)
        previous = candidates.argmax(axis=0)  # (tags,)
        score = candidates[previous, np.arange(len(previous))] + row
        back.append(previous)
    best = [int(score.argmax())]
    for previous in reversed(back):
        best.append(int(previous[best[-1]]))
    return best[::-1]


def _without_unevidenced_failures(
    probabilities: torch.Tensor, turns: Sequence[TurnInput], names: Sequence[str]
) -> torch.Tensor:
    """A false wake or a wrong result shows only in what followed the utterance (a response, a status,
    the person's reaction). On a turn whose log records none of it those two get no probability, and
    the others share it again in proportion, so a single voice command is never called a false wake or
    a result error without evidence."""
    needing = [index for index, name in enumerate(names) if name in NEEDS_AFTERMATH]
    blind = [position for position, turn in enumerate(turns) if not has_aftermath(turn)]
    if not needing or not blind:
        return probabilities
    masked = probabilities.clone()
    rows = torch.tensor(blind)
    masked[rows.unsqueeze(1), torch.tensor(needing)] = 0.0
    masked[rows] = masked[rows] / masked[rows].sum(dim=-1, keepdim=True).clamp_min(1e-12)
    return masked


def read_tags(
    probs: np.ndarray, tokens: EncodedTurn, tag_names: Sequence[str], utterance: str
) -> tuple[list[Span], float]:
    """Spans from one turn's per-piece tag probabilities, read on the first piece of each word as the
    best sequence that is valid BIO, and the whole tagging's confidence (the product over words)."""
    allowed = _allowed_transitions(tuple(tag_names))
    starts = [i for i, start in enumerate(tokens.word_starts()) if start and i < len(probs)]
    best = bio_viterbi(np.log(probs[starts] + 1e-12), allowed) if starts else []
    tags = [0] * len(probs)
    for position, tag in zip(starts, best, strict=True):
        tags[position] = tag
    confidence = float(np.prod([probs[i, tag] for i, tag in zip(starts, best, strict=True)]))
    return tags_to_spans([tag_names[i] for i in tags], tokens, utterance), confidence


def _statements(
    example: DialogueExample,
    features: FeaturizedDialogue,
    logits: DialogueLogits,
    inventories: dict[str, list[str]],
    temperature: float,
    value_temperature: float,
) -> list[tuple[Predicted, list[Span]]] | None:
    """Per turn, what the statement head says (a key or NO_STATEMENT, with its confidence: the
    probability of the decision stating or not) and the value words tagged; None without the heads."""
    if logits.preference_statement is None or logits.value_tags is None:
        return None
    keys = inventories[STATEMENT_KEYS]
    probabilities = _probabilities(logits.preference_statement, temperature)
    none = keys.index(NO_STATEMENT)
    read = []
    for t, turn in enumerate(example.turns):
        row = probabilities[t]
        states = 1.0 - float(row[none])
        if states > 0.5:
            stating = row.clone()
            stating[none] = 0.0
            statement = Predicted(keys[int(stating.argmax())], states)
            value_probs = _probabilities(logits.value_tags[t], value_temperature).numpy()
            spans, _ = read_tags(value_probs, features.tokens[t], VALUE_TAGS, turn.utterance)
        else:
            statement, spans = Predicted(NO_STATEMENT, 1.0 - states), []
        read.append((statement, spans))
    return read


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
    failure_probs = _probabilities(logits.failure_point, temperature("failure_point"))
    failures, failure_conf = _pick(
        _without_unevidenced_failures(failure_probs, example.turns, inventories["failure_points"])
    )
    defects, defect_conf = _pick(_probabilities(logits.defect, temperature("defect")))
    rephrases, rephrase_conf = _pick(_probabilities(logits.rephrase, temperature("rephrase")))
    boundary_probs = _probabilities(logits.boundary, temperature("boundary"))
    tag_names = inventories["slot_tags"]
    intent_names = inventories["intents"]
    # The slot tag probabilities of every turn at once: one softmax over the dialogue's pieces instead of
    # one per turn (small tensor operations cost more in dispatch than in arithmetic).
    lengths = [len(turn_slots) for turn_slots in logits.slots]
    slot_probs = _probabilities(torch.cat(logits.slots), temperature("slots")).numpy()
    statements = (
        _statements(
            example,
            features,
            logits,
            inventories,
            temperature("preference_statement"),
            temperature("value_tags"),
        )
        if "preference_statement" in tasks
        else None
    )
    turns = []
    offset = 0
    for t, turn in enumerate(example.turns):
        probs = slot_probs[offset : offset + lengths[t]]
        offset += lengths[t]
        spans, slot_confidence = read_tags(probs, features.tokens[t], tag_names, turn.utterance)
        intent = intent_names[intents[t]] if intent_names else NO_INTENT
        predicted_intent = Predicted(intent, known("intent", intent_conf[t]))
        predicted_slots = Predicted(spans if "slots" in tasks else [], known("slots", slot_confidence))
        stated = (
            stated_preferences(turn.utterance, predicted_intent, predicted_slots, inventories)
            if "preferences" in tasks
            else Predicted([], 0.0)
        )
        if statements is not None:
            statement, value_words = statements[t]
            stated = open_preferences(turn.utterance, statement, value_words, stated, inventories)
        turns.append(
            TurnPrediction(
                intent=predicted_intent,
                slots=predicted_slots,
                failure_point=Predicted(
                    inventories["failure_points"][failures[t]], known("failure_point", failure_conf[t])
                ),
                rephrase_of=Predicted(
                    rephrases[t] - 1 if rephrases[t] > 0 else NOT_A_REPHRASE,
                    known("rephrase_of", rephrase_conf[t]),
                ),
                defect=Predicted(bool(defects[t]), known("defect", defect_conf[t])),
                preferences=stated,
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

"""Scores of predictions against gold, from scikit-learn and seqeval (no hand-rolled formulas).

Every metric is computed only where gold exists (a target of None is skipped), and ``counts`` says
how many turns or dialogues each one saw. All values are fractions in [0, 1].

- ``slot_*``: seqeval (conlleval-style, exact span and type) over word-level BIO tags derived from
  character spans; a word (whitespace-separated) is in a span when their characters overlap, so a
  span that differs only by surrounding spaces or punctuation inside a word scores the same.
- ``frame_exact_match``: the intent and the whole word-level slot tagging of the turn are right.
- ``goal_boundary_f1``: F1 of "a goal starts at this turn", over every turn of dialogues with gold
  goals; ``goal_exact_segment_accuracy``: share of those dialogues segmented exactly right.
- ``goal_success_accuracy`` / ``goal_success_f1``: over gold goals whose exact segment was also
  predicted (success of a wrongly cut segment is undefined); F1 with "achieved" as the positive class.
- ``rephrase_f1``: a turn is a true positive when it is predicted to restate the right earlier turn;
  a rephrase pointing at the wrong turn is both a false positive and a false negative. Computed as
  micro F1 over the labels "restates the turn d turns back" (d >= 1), leaving out "not a rephrase".
- ``defect_f1``: F1 with "defect" as the positive class.
- ``preference_precision`` / ``_recall`` / ``_f1``: micro scores over the (domain, key, polarity,
  value) statements of turns with ``preferences`` gold (scikit-learn over multi-label indicators).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from seqeval.metrics import f1_score as seq_f1
from seqeval.metrics import precision_score as seq_precision
from seqeval.metrics import recall_score as seq_recall
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from models_app.ml.data import (
    FAILURE_POINTS,
    NOT_A_REPHRASE,
    DialogueExample,
    DialoguePrediction,
    Span,
    StatedPreference,
    TurnInput,
    TurnPrediction,
    TurnTargets,
)

_WORD = re.compile(r"\S+")


def word_tags(utterance: str, spans: Sequence[Span]) -> list[str]:
    """Word-level BIO tags of ``utterance`` from character spans."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(utterance)]
    tags = ["O"] * len(words)
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        begun = False
        for position, (start, end) in enumerate(words):
            if start < span.end and end > span.start and tags[position] == "O":
                tags[position] = f"{'I' if begun else 'B'}-{span.type}"
                begun = True
    return tags


def _goal_starts(goals: Sequence[Sequence[int]], turns: int) -> list[int]:
    starts = [0] * turns
    for goal in goals:
        if goal and 0 <= min(goal) < turns:
            starts[min(goal)] = 1
    return starts


def _normalised(goals: Sequence[Sequence[int]]) -> list[tuple[int, ...]]:
    return [tuple(sorted(goal)) for goal in goals if goal]


T = TypeVar("T")


@dataclass
class _Pairs(Generic[T]):
    """One head's gold values and the predictions beside them, in step."""

    true: list[T] = field(default_factory=list)
    pred: list[T] = field(default_factory=list)

    def add(self, true: T, pred: T) -> None:
        self.true.append(true)
        self.pred.append(pred)


@dataclass
class _Heads:
    """What ``evaluate`` gathers per head before scoring it."""

    intent: _Pairs[str] = field(default_factory=_Pairs)
    slots: _Pairs[list[str]] = field(default_factory=_Pairs)
    frames: list[int] = field(default_factory=list)  # 1 where intent and every word's tag are right
    failure_point: _Pairs[str] = field(default_factory=_Pairs)
    rephrase: _Pairs[int] = field(default_factory=_Pairs)  # distances back (1 = the previous turn)
    defect: _Pairs[int] = field(default_factory=_Pairs)
    goal_starts: _Pairs[int] = field(default_factory=_Pairs)
    exact_segments: list[int] = field(default_factory=list)
    goal_success: _Pairs[int] = field(default_factory=_Pairs)
    preferences: _Pairs[set[tuple[str, ...]]] = field(default_factory=_Pairs)

    def add_turn(self, position: int, turn: TurnInput, gold: TurnTargets, predicted: TurnPrediction) -> None:
        tags_true = tags_pred = None
        if gold.slots is not None:
            tags_true = word_tags(turn.utterance, gold.slots)
            tags_pred = word_tags(turn.utterance, predicted.slots.value)
            self.slots.add(tags_true, tags_pred)
        if gold.intent is not None:
            self.intent.add(gold.intent, str(predicted.intent.value))
            if tags_true is not None:
                self.frames.append(int(gold.intent == predicted.intent.value and tags_true == tags_pred))
        if gold.failure_point is not None:
            self.failure_point.add(gold.failure_point, str(predicted.failure_point.value))
        if gold.rephrase_of is not None:
            # Labels are distances back (1 = the previous turn), 0 = not a rephrase.
            value = predicted.rephrase_of.value
            self.rephrase.add(
                0 if gold.rephrase_of == NOT_A_REPHRASE else position - gold.rephrase_of,
                0 if value == NOT_A_REPHRASE else position - int(value),
            )
        if gold.defect is not None:
            self.defect.add(int(gold.defect), int(bool(predicted.defect.value)))
        if gold.preferences is not None:
            self.preferences.add(
                {_preference_key(p) for p in gold.preferences},
                {_preference_key(p) for p in predicted.preferences.value},
            )

    def add_goals(self, example: DialogueExample, prediction: DialoguePrediction) -> None:
        if example.goals is None:
            return
        count = len(example.turns)
        predicted_goals = prediction.goals.value or []
        self.goal_starts.true += _goal_starts(example.goals, count)
        self.goal_starts.pred += _goal_starts(predicted_goals, count)
        self.exact_segments.append(int(_normalised(example.goals) == _normalised(predicted_goals)))
        predicted_success = {
            tuple(sorted(goal)): success.value
            for goal, success in zip(predicted_goals, prediction.goal_success, strict=False)
        }
        for goal, success in zip(example.goals, example.goal_success or [], strict=False):
            key = tuple(sorted(goal))
            if success is not None and key in predicted_success:
                self.goal_success.add(int(success), int(bool(predicted_success[key])))


def evaluate(
    examples: Sequence[DialogueExample], predictions: Sequence[DialoguePrediction]
) -> dict[str, Any]:
    if len(examples) != len(predictions):
        raise ValueError(f"{len(examples)} examples but {len(predictions)} predictions")
    heads = _Heads()
    for example, prediction in zip(examples, predictions, strict=True):
        for t, (turn, predicted) in enumerate(zip(example.turns, prediction.turns, strict=True)):
            gold = example.targets[t] if example.targets else None
            if gold is not None:
                heads.add_turn(t, turn, gold, predicted)
        heads.add_goals(example, prediction)
    metrics: dict[str, Any] = {}
    counts: dict[str, int] = {"dialogues": len(examples), "turns": sum(len(e.turns) for e in examples)}
    for score in _SCORES:
        score(heads, metrics, counts)
    metrics["counts"] = counts
    return metrics


def _score_intent(heads: _Heads, metrics: dict[str, Any], counts: dict[str, int]) -> None:
    if heads.intent.true:
        metrics["intent_accuracy"] = float(accuracy_score(heads.intent.true, heads.intent.pred))
        counts["intent_turns"] = len(heads.intent.true)


def _score_slots(heads: _Heads, metrics: dict[str, Any], counts: dict[str, int]) -> None:
    slots_true, slots_pred = heads.slots.true, heads.slots.pred
    if slots_true:
        metrics["slot_precision"] = float(seq_precision(slots_true, slots_pred, zero_division=0))
        metrics["slot_recall"] = float(seq_recall(slots_true, slots_pred, zero_division=0))
        metrics["slot_f1"] = float(seq_f1(slots_true, slots_pred, zero_division=0))
        counts["slot_turns"] = len(slots_true)
    if heads.frames:
        metrics["frame_exact_match"] = float(accuracy_score([1] * len(heads.frames), heads.frames))
        counts["frame_turns"] = len(heads.frames)


def _score_failure_point(heads: _Heads, metrics: dict[str, Any], counts: dict[str, int]) -> None:
    fp_true, fp_pred = heads.failure_point.true, heads.failure_point.pred
    if not fp_true:
        return
    labels = [name for name in FAILURE_POINTS if name in set(fp_true) | set(fp_pred)]
    metrics["failure_point_accuracy"] = float(accuracy_score(fp_true, fp_pred))
    metrics["failure_point_macro_f1"] = float(
        f1_score(fp_true, fp_pred, labels=labels, average="macro", zero_division=0)
    )
    per_class = f1_score(fp_true, fp_pred, labels=labels, average=None, zero_division=0)
    metrics["failure_point_f1"] = {name: float(value) for name, value in zip(labels, per_class, strict=True)}
    counts["failure_point_turns"] = len(fp_true)


def _score_rephrase_and_defect(heads: _Heads, metrics: dict[str, Any], counts: dict[str, int]) -> None:
    rephrase_true, rephrase_pred = heads.rephrase.true, heads.rephrase.pred
    if rephrase_true:
        distances = sorted({d for d in rephrase_true + rephrase_pred if d > 0})
        metrics["rephrase_f1"] = (
            float(f1_score(rephrase_true, rephrase_pred, labels=distances, average="micro", zero_division=0))
            if distances
            else 1.0
        )
        counts["rephrase_turns"] = len(rephrase_true)
    if heads.defect.true:
        metrics["defect_f1"] = float(
            f1_score(heads.defect.true, heads.defect.pred, pos_label=1, zero_division=0)
        )
        counts["defect_turns"] = len(heads.defect.true)


def _score_goals(heads: _Heads, metrics: dict[str, Any], counts: dict[str, int]) -> None:
    if heads.exact_segments:
        starts = heads.goal_starts
        metrics["goal_boundary_f1"] = float(f1_score(starts.true, starts.pred, pos_label=1, zero_division=0))
        metrics["goal_exact_segment_accuracy"] = float(
            accuracy_score([1] * len(heads.exact_segments), heads.exact_segments)
        )
        counts["goal_dialogues"] = len(heads.exact_segments)
        counts["goal_turns"] = len(starts.true)
    success = heads.goal_success
    if success.true:
        metrics["goal_success_accuracy"] = float(accuracy_score(success.true, success.pred))
        metrics["goal_success_f1"] = float(f1_score(success.true, success.pred, pos_label=1, zero_division=0))
        counts["goal_success_goals"] = len(success.true)


def _score_preferences(heads: _Heads, metrics: dict[str, Any], counts: dict[str, int]) -> None:
    preferences_true, preferences_pred = heads.preferences.true, heads.preferences.pred
    if not preferences_true:
        return
    # Exact (domain, key, polarity, value) per turn; values compared as words (case, punctuation and
    # a leading article aside): "the chicago bulls" states "Chicago Bulls".
    binarizer = MultiLabelBinarizer().fit(preferences_true + preferences_pred)
    precision, recall, f1, _ = precision_recall_fscore_support(
        binarizer.transform(preferences_true),
        binarizer.transform(preferences_pred),
        average="micro",
        zero_division=0,
    )
    metrics.update(preference_precision=float(precision), preference_recall=float(recall))
    metrics["preference_f1"] = float(f1)
    counts["preference_turns"] = len(preferences_true)


# In the order the metrics have always come out in (reports and checkpoints list them so).
_SCORES: tuple[Callable[[_Heads, dict[str, Any], dict[str, int]], None], ...] = (
    _score_intent,
    _score_slots,
    _score_failure_point,
    _score_rephrase_and_defect,
    _score_goals,
    _score_preferences,
)


def _preference_key(preference: StatedPreference) -> tuple[str, ...]:
    words = re.sub(r"[^\w]+", " ", preference.value.casefold()).split()
    if words and words[0] in ("the", "a", "an"):
        words = words[1:]
    return (preference.domain, preference.key, preference.polarity, " ".join(words))


# The metrics that model selection averages (those present).
SELECTION_METRICS = (
    "intent_accuracy",
    "slot_f1",
    "failure_point_accuracy",
    "goal_boundary_f1",
    "rephrase_f1",
    "defect_f1",
    "goal_success_accuracy",
)


def selection_score(metrics: dict[str, Any]) -> float:
    """One number to pick the best epoch by: the mean of the main metrics that have gold."""
    values = [float(metrics[name]) for name in SELECTION_METRICS if name in metrics]
    return sum(values) / len(values) if values else 0.0

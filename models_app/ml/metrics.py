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
- ``failure_point_f1``: F1 per failure point; ``failure_point_confusion``: gold (rows) against
  predicted (columns) counts over the failure points seen in either.
- ``preference_precision`` / ``_recall`` / ``_f1``: micro scores over the (domain, key, polarity,
  value) statements of turns with ``preferences`` gold (scikit-learn over multi-label indicators).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
from seqeval.metrics import f1_score as seq_f1
from seqeval.metrics import precision_score as seq_precision
from seqeval.metrics import recall_score as seq_recall
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
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
from models_app.ml.preferences import states_preferences

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
    statements: _Pairs[int] = field(default_factory=_Pairs)  # 1 where the turn states a preference
    # Of the turns that state one with its words marked and are predicted to: 1 where a predicted value
    # overlaps a stated one.
    value_overlaps: list[int] = field(default_factory=list)
    # Per label: (the prediction's confidence, 1 if it was right) for the reliability of confidences.
    confidences: dict[str, _Pairs[float]] = field(default_factory=dict)

    def add_confidence(self, label: str, confidence: float, right: bool) -> None:
        self.confidences.setdefault(label, _Pairs()).add(float(right), float(confidence))

    def add_statement(
        self, gold: list[StatedPreference], predicted: list[StatedPreference], confidence: float
    ) -> None:
        self.statements.add(int(bool(gold)), int(bool(predicted)))
        self.add_confidence("preference_statement", confidence, bool(gold) == bool(predicted))
        marked = [(p.start, p.end) for p in gold if p.start is not None and p.end is not None]
        if marked and predicted:
            self.value_overlaps.append(
                int(
                    any(
                        p.start is not None and p.end is not None and p.start < end and start < p.end
                        for p in predicted
                        for start, end in marked
                    )
                )
            )

    def add_turn(self, position: int, turn: TurnInput, gold: TurnTargets, predicted: TurnPrediction) -> None:
        tags_true = tags_pred = None
        if gold.slots is not None:
            tags_true = word_tags(turn.utterance, gold.slots)
            tags_pred = word_tags(turn.utterance, predicted.slots.value)
            self.slots.add(tags_true, tags_pred)
        if gold.intent is not None:
            self.intent.add(gold.intent, str(predicted.intent.value))
            self.add_confidence("intent", predicted.intent.confidence, gold.intent == predicted.intent.value)
            if tags_true is not None:
                self.frames.append(int(gold.intent == predicted.intent.value and tags_true == tags_pred))
        if gold.failure_point is not None:
            self.failure_point.add(gold.failure_point, str(predicted.failure_point.value))
            right = gold.failure_point == predicted.failure_point.value
            self.add_confidence("failure_point", predicted.failure_point.confidence, right)
        if gold.rephrase_of is not None:
            # Labels are distances back (1 = the previous turn), 0 = not a rephrase.
            value = predicted.rephrase_of.value
            self.rephrase.add(
                0 if gold.rephrase_of == NOT_A_REPHRASE else position - gold.rephrase_of,
                0 if value == NOT_A_REPHRASE else position - int(value),
            )
            right = self.rephrase.true[-1] == self.rephrase.pred[-1]
            self.add_confidence("rephrase", predicted.rephrase_of.confidence, right)
        if gold.defect is not None:
            self.defect.add(int(gold.defect), int(bool(predicted.defect.value)))
            right = gold.defect == bool(predicted.defect.value)
            self.add_confidence("defect", predicted.defect.confidence, right)
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
            tuple(sorted(goal)): (success.value, success.confidence)
            for goal, success in zip(predicted_goals, prediction.goal_success, strict=False)
        }
        for goal, success in zip(example.goals, example.goal_success or [], strict=False):
            key = tuple(sorted(goal))
            if success is not None and key in predicted_success:
                value, confidence = predicted_success[key]
                self.goal_success.add(int(success), int(bool(value)))
                self.add_confidence("goal_success", confidence, bool(success) == bool(value))


def evaluate(
    examples: Sequence[DialogueExample], predictions: Sequence[DialoguePrediction]
) -> dict[str, Any]:
    if len(examples) != len(predictions):
        raise ValueError(f"{len(examples)} examples but {len(predictions)} predictions")
    heads = _Heads()
    for example, prediction in zip(examples, predictions, strict=True):
        marked = states_preferences(example)
        for t, (turn, predicted) in enumerate(zip(example.turns, prediction.turns, strict=True)):
            gold = example.targets[t] if example.targets else None
            if gold is not None:
                heads.add_turn(t, turn, gold, predicted)
                if marked:  # where the source marks statements, a turn without any states none
                    heads.add_statement(
                        gold.preferences or [],
                        list(predicted.preferences.value),
                        predicted.preferences.confidence,
                    )
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
    # Rows: the gold failure point; columns: the predicted one (in ``labels`` order), so a reviewer
    # sees which failure is taken for which, not only how often one is right.
    matrix = confusion_matrix(fp_true, fp_pred, labels=labels)
    metrics["failure_point_confusion"] = {"labels": labels, "matrix": matrix.tolist()}
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


def _score_statements(heads: _Heads, metrics: dict[str, Any], counts: dict[str, int]) -> None:
    """Whether a turn states a preference at all, whatever its value: F1 with "states one" positive,
    and how often the predicted value's words overlap the stated ones where those are marked."""
    statements = heads.statements
    if not statements.true:
        return
    precision, recall, f1, _ = precision_recall_fscore_support(
        statements.true, statements.pred, average="binary", pos_label=1, zero_division=0
    )
    metrics.update(
        preference_statement_precision=float(precision),
        preference_statement_recall=float(recall),
        preference_statement_f1=float(f1),
    )
    counts["preference_statement_turns"] = len(statements.true)
    if heads.value_overlaps:
        metrics["preference_value_overlap"] = float(
            accuracy_score([1] * len(heads.value_overlaps), heads.value_overlaps)
        )
        counts["preference_value_turns"] = len(heads.value_overlaps)


# Bins of the reliability diagram: the confidences [0, 1] in tenths.
RELIABILITY_BINS = 10


def reliability(right: Sequence[float], confidence: Sequence[float]) -> dict[str, Any]:
    """How far a label's confidences can be trusted: the reliability diagram (scikit-learn's
    calibration curve: per bin of confidence, the mean confidence, the share that was right, and how
    many), the expected calibration error over those bins (their gaps weighted by their sizes) and
    the Brier score. A threshold on a well calibrated confidence buys the precision it names."""
    truth = np.asarray(right, dtype=float)
    scores = np.clip(np.asarray(confidence, dtype=float), 0.0, 1.0)
    # The bins as calibration_curve draws them (a confidence on an edge goes to the lower bin).
    which = np.searchsorted(np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)[1:-1], scores)
    counts = np.bincount(which, minlength=RELIABILITY_BINS)
    filled = [b for b in range(RELIABILITY_BINS) if counts[b]]
    means = [float(scores[which == b].mean()) for b in filled]
    accuracy = [float(truth[which == b].mean()) for b in filled]
    if len(set(truth.tolist())) > 1:
        # The library's curve where it is defined (it needs both outcomes): the same numbers, checked.
        library_accuracy, _ = calibration_curve(truth, scores, n_bins=RELIABILITY_BINS)
        accuracy = [float(value) for value in library_accuracy]
    sizes = [int(counts[b]) for b in filled]
    total = sum(sizes)
    ece = sum(size / total * abs(a - m) for size, a, m in zip(sizes, accuracy, means, strict=True))
    return {
        "ece": float(ece),
        "brier": float(brier_score_loss(truth, scores, labels=[0, 1])),
        "bins": [[round(m, 4), round(a, 4), n] for m, a, n in zip(means, accuracy, sizes, strict=True)],
        "predictions": total,
    }


def _score_reliability(heads: _Heads, metrics: dict[str, Any], counts: dict[str, int]) -> None:
    calibration = {
        label: reliability(pairs.true, pairs.pred) for label, pairs in heads.confidences.items() if pairs.true
    }
    if calibration:
        metrics["calibration"] = calibration


# In the order the metrics have always come out in (reports and checkpoints list them so).
_SCORES: tuple[Callable[[_Heads, dict[str, Any], dict[str, int]], None], ...] = (
    _score_intent,
    _score_slots,
    _score_failure_point,
    _score_rephrase_and_defect,
    _score_goals,
    _score_preferences,
    _score_statements,
    _score_reliability,
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
    "preference_statement_f1",
)


def selection_score(metrics: dict[str, Any]) -> float:
    """One number to pick the best epoch by: the mean of the main metrics that have gold."""
    values = [float(metrics[name]) for name in SELECTION_METRICS if name in metrics]
    return sum(values) / len(values) if values else 0.0

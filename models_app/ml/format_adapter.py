"""FORMAT.md dialogues (parsed JSON lines) to and from the model's dataclasses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from models_app.ml.data import (
    NO_INTENT,
    NOT_A_REPHRASE,
    DialogueExample,
    Span,
    StatedPreference,
    TurnInput,
    TurnTargets,
)


def parse_time(value: Any) -> datetime | None:
    """A FORMAT.md timestamp (ISO 8601) as a datetime, None where it is absent or not one: the one
    parser every reader of the logs uses (labelling, training, rephrase chains)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        # Python 3.11 reads "Z" and fractional seconds; naive and aware times are not mixed below.
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def seconds_between(previous: datetime | None, current: datetime | None) -> float | None:
    if previous is None or current is None:
        return None
    if (previous.tzinfo is None) != (current.tzinfo is None):
        return None
    return (current - previous).total_seconds()


def number_or_none(value: Any) -> float | None:
    """A JSON value as a float where it is a number (a boolean is not), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def spans_from_format(items: Iterable[dict[str, Any]] | None, utterance: str) -> list[Span]:
    """FORMAT.md spans to Span objects; ``value`` defaults to ``utterance[start:end]``."""
    spans = []
    for item in items or ():
        start, end = int(item["start"]), int(item["end"])
        value = item.get("value")
        spans.append(
            Span(start, end, str(item["type"]), value if value is not None else utterance[start:end])
        )
    return sorted(spans, key=lambda span: (span.start, span.end))


def spans_to_format(spans: Sequence[Span]) -> list[dict[str, Any]]:
    """Span objects to FORMAT.md spans (``value`` only where it is set)."""
    out = []
    for span in spans:
        item: dict[str, Any] = {"start": span.start, "end": span.end, "type": span.type}
        if span.value is not None:
            item["value"] = span.value
        out.append(item)
    return out


def _turn_input(turn: dict[str, Any], seconds: float | None) -> TurnInput:
    feedback = turn.get("feedback")
    barge_in = turn.get("barge_in")
    utterance = str(turn.get("utterance") or "")
    return TurnInput(
        utterance=utterance,
        response=str(turn.get("response") or ""),
        domain=turn.get("domain"),
        intent=turn.get("intent"),
        status=turn.get("status"),
        asr_confidence=number_or_none(turn.get("asr_confidence")),
        nlu_confidence=number_or_none(turn.get("nlu_confidence")),
        seconds_since_previous=seconds,
        barge_in=barge_in if isinstance(barge_in, bool) else None,
        feedback=feedback if feedback in ("positive", "negative") else None,
        slots=spans_from_format(turn["slots"], utterance) if isinstance(turn.get("slots"), list) else None,
    )


def _turn_targets(label: dict[str, Any] | None, utterance: str, index_of: dict[str, int]) -> TurnTargets:
    if not label:
        return TurnTargets()
    targets = TurnTargets()
    if "intent" in label:
        targets.intent = NO_INTENT if label["intent"] is None else str(label["intent"])
    if "slots" in label and label["slots"] is not None:
        targets.slots = spans_from_format(label["slots"], utterance)
    if label.get("failure_point") is not None:
        targets.failure_point = str(label["failure_point"])
    if "rephrase_of" in label:
        target = label["rephrase_of"]
        # A rephrase of an unknown turn id is no usable gold: leave it unlabelled rather than guess.
        targets.rephrase_of = NOT_A_REPHRASE if target is None else index_of.get(str(target))
    if label.get("defect") is not None:
        targets.defect = bool(label["defect"])
    if isinstance(label.get("preferences"), list):
        targets.preferences = [
            StatedPreference(
                domain=str(item["domain"]),
                key=str(item["key"]),
                value=str(item["value"]),
                polarity=str(item.get("polarity") or "like"),
                start=item.get("start"),
                end=item.get("end"),
            )
            for item in label["preferences"]
            if isinstance(item, dict) and {"domain", "key", "value"} <= item.keys()
        ]
    return targets


def preferences_to_format(preferences: Sequence[StatedPreference]) -> list[dict[str, Any]]:
    """StatedPreferences as FORMAT.md's ``preferences`` turn label."""
    out = []
    for preference in preferences:
        item: dict[str, Any] = {
            "domain": preference.domain,
            "key": preference.key,
            "value": preference.value,
            "polarity": preference.polarity,
        }
        if preference.start is not None and preference.end is not None:
            item.update(start=preference.start, end=preference.end)
        out.append(item)
    return out


def example_from_format(data: dict[str, Any], key: Any = None) -> DialogueExample:
    """One FORMAT.md dialogue as a DialogueExample; a label key that is absent becomes None (no gold)."""
    raw_turns = data.get("turns") or []
    turn_ids = [str(turn.get("id") or f"t{position + 1}") for position, turn in enumerate(raw_turns)]
    index_of = {turn_id: position for position, turn_id in enumerate(turn_ids)}
    turns = []
    previous_time: datetime | None = None
    for position, turn in enumerate(raw_turns):
        current_time = parse_time(turn.get("timestamp"))
        seconds = seconds_between(previous_time, current_time) if position else None
        turns.append(_turn_input(turn, seconds))
        previous_time = current_time
    device = data.get("device") or {}
    has_screen = device.get("has_screen")
    example = DialogueExample(
        turns=turns,
        device_type=device.get("type"),
        has_screen=has_screen if isinstance(has_screen, bool) else None,
        key=key if key is not None else data.get("id"),
    )
    labels = data.get("labels") or {}
    turn_labels = labels.get("turns")
    if turn_labels:
        example.targets = [
            _turn_targets(turn_labels.get(turn_id), turn.utterance, index_of)
            for turn_id, turn in zip(turn_ids, turns, strict=True)
        ]
    goals = labels.get("goals")
    if goals is not None:
        example.goals = [
            [index_of[str(t)] for t in goal.get("turns", []) if str(t) in index_of] for goal in goals
        ]
        example.goal_success = [
            bool(goal["success"]) if goal.get("success") is not None else None for goal in goals
        ]
    return example

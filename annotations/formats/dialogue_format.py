"""The dialogue format of FORMAT.md: its vocabulary and its validation.

Plain Python with no Django, so anything that writes the format (the simulator, a user's script) can
check its output the same way the importer does. Validation reports every problem of a line, each
naming the field it is about (``turns[2].slots[0].end``), and never raises.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, TypeGuard

FAILURE_POINTS = ("none", "false_wake", "asr", "nlu", "entity", "result")
FEEDBACK_VALUES = ("positive", "negative")
MAX_ID_LENGTH = 200

DIALOGUE_FIELDS = ("id", "user_id", "device", "locale", "started_at", "metadata", "turns", "labels")
TURN_FIELDS = (
    "id",
    "timestamp",
    "utterance",
    "response",
    "asr_confidence",
    "nlu_confidence",
    "domain",
    "intent",
    "slots",
    "status",
    "barge_in",
    "feedback",
    "metadata",
)
TURN_LABEL_FIELDS = ("intent", "slots", "failure_point", "rephrase_of", "defect", "preferences", "rewrite")
LABELS_FIELDS = ("goals", "turns")
# A preference: what it is about (domain and key), what the person holds (value), and whether they
# like it or not (polarity, "like" when absent).
PREFERENCE_FIELDS = ("domain", "key", "value")
POLARITIES = ("like", "dislike")
DEFAULT_POLARITY = "like"


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class _InvalidJSONConstant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _InvalidJSONConstant(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _InvalidJSONConstant(f"the number {text} is beyond the range of a double")
    return value


def parse_json_line(text: str) -> Any:
    """``json.loads`` without the NaN and Infinity extensions, which no database JSON type stores,
    and without the infinity it made of a number too large for a double (``1e400``)."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def turn_ids(turns: list[Any]) -> list[str]:
    """The id of each turn: its own, or ``t1``, ``t2``, ... by position."""
    return [
        turn["id"] if isinstance(turn, dict) and isinstance(turn.get("id"), str) else f"t{position + 1}"
        for position, turn in enumerate(turns)
    ]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A value in an error message: a string quoted (an empty one shows as ''), anything else by type."""
    return repr(value) if isinstance(value, str) else _type_name(value)


def _is_iso_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


class _Checker:
    """Collects the errors of one dialogue."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, reason: str) -> None:
        self.errors.append(FieldError(field, reason))

    def optional_string(self, data: dict[str, Any], key: str, prefix: str = "") -> None:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            self.add(prefix + key, f"must be a string, got {_type_name(value)}")

    def optional_object(self, data: dict[str, Any], key: str, prefix: str = "") -> None:
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            self.add(prefix + key, f"must be an object, got {_type_name(value)}")

    def optional_timestamp(self, data: dict[str, Any], key: str, prefix: str = "") -> None:
        value = data.get(key)
        if value is None:
            return
        if not isinstance(value, str):
            self.add(prefix + key, f"must be an ISO 8601 string, got {_type_name(value)}")
        elif not _is_iso_datetime(value):
            self.add(prefix + key, f"is not an ISO 8601 date and time: {value!r}")

    def optional_confidence(self, data: dict[str, Any], key: str, prefix: str) -> None:
        value = data.get(key)
        if value is None:
            return
        if not _is_number(value):
            self.add(prefix + key, f"must be a number in [0, 1], got {_type_name(value)}")
        elif not 0 <= value <= 1:
            self.add(prefix + key, f"must be in [0, 1], got {value}")

    def optional_bool(self, data: dict[str, Any], key: str, prefix: str) -> None:
        value = data.get(key)
        if value is not None and not isinstance(value, bool):
            self.add(prefix + key, f"must be true or false, got {_type_name(value)}")

    def spans(self, spans: Any, utterance: str | None, field: str) -> None:
        """Spans are character offsets into the utterance, end exclusive, not overlapping."""
        if not isinstance(spans, list):
            self.add(field, f"must be an array of spans, got {_type_name(spans)}")
            return
        length = len(utterance) if isinstance(utterance, str) else None
        placed: list[tuple[int, int, int]] = []
        for index, span in enumerate(spans):
            if span.__class__ is dict:
                # The usual span, in one test (an import checks one or two per turn); anything else
                # goes through the checks below, which name what is wrong.
                start, end, kind = span.get("start"), span.get("end"), span.get("type")
                if (
                    start.__class__ is int
                    and end.__class__ is int
                    and kind.__class__ is str
                    and kind
                    and 0 <= start < end
                    and (length is None or end <= length)
                ):
                    placed.append((start, end, index))
                    continue
            where = f"{field}[{index}]"
            if not isinstance(span, dict):
                self.add(where, f"must be an object, got {_type_name(span)}")
                continue
            start, end, kind = span.get("start"), span.get("end"), span.get("type")
            for key, value in (("start", start), ("end", end)):
                if not _is_int(value):
                    self.add(f"{where}.{key}", f"must be an integer, got {_type_name(value)}")
            if not isinstance(kind, str) or not kind:
                self.add(f"{where}.type", "must be a non-empty string")
            if not (_is_int(start) and _is_int(end)):
                continue
            if self.offsets_inside(start, end, length, where):
                placed.append((start, end, index))
        placed.sort()
        for (_, end_a, index_a), (start_b, _, index_b) in pairwise(placed):
            if start_b < end_a:
                self.add(f"{field}[{index_b}]", f"overlaps {field}[{index_a}]")

    def offsets_inside(self, start: int, end: int, length: int | None, where: str) -> bool:
        """Whether ``start`` and ``end`` mark a non-empty part of an utterance of ``length`` characters
        (unknown: None); the error, if not, names ``where.start`` or ``where.end``."""
        if start < 0:
            self.add(f"{where}.start", f"must not be negative, got {start}")
        elif end <= start:
            self.add(f"{where}.end", f"must be greater than start ({start}), got {end}")
        elif length is not None and end > length:
            self.add(f"{where}.end", f"is outside the utterance ({end} > its length {length})")
        else:
            return True
        return False

    def preferences(self, preferences: Any, utterance: str | None, field: str) -> None:
        """Each preference has a non-empty domain, key and value, a polarity of like or dislike (like
        when absent) and, if it says where, a start and an end inside the utterance. Keys beyond
        these are kept, as everywhere in the format."""
        if not isinstance(preferences, list):
            self.add(field, f"must be an array of preferences, got {_type_name(preferences)}")
            return
        length = len(utterance) if isinstance(utterance, str) else None
        for index, preference in enumerate(preferences):
            where = f"{field}[{index}]"
            if not isinstance(preference, dict):
                self.add(where, f"must be an object, got {_type_name(preference)}")
                continue
            for key in PREFERENCE_FIELDS:
                value = preference.get(key)
                if not isinstance(value, str) or not value.strip():
                    self.add(f"{where}.{key}", f"must be a non-empty string, got {_shown(value)}")
            if "polarity" in preference and preference["polarity"] not in POLARITIES:
                self.add(f"{where}.polarity", f"must be like or dislike, got {preference['polarity']!r}")
            start, end = preference.get("start"), preference.get("end")
            if start is None and end is None:
                continue
            for key, value, other in (("start", start, "end"), ("end", end, "start")):
                if value is None:
                    self.add(f"{where}.{key}", f"is required with {other}: the span is both or neither")
                elif not _is_int(value):
                    self.add(f"{where}.{key}", f"must be an integer, got {_type_name(value)}")
            if _is_int(start) and _is_int(end):
                self.offsets_inside(start, end, length, where)


def validate_dialogue(data: Any) -> list[FieldError]:
    """Every way in which ``data`` (one parsed line) breaks FORMAT.md; empty when it is valid."""
    check = _Checker()
    if not isinstance(data, dict):
        check.add("(line)", f"must be a JSON object, got {_type_name(data)}")
        return check.errors

    dialogue_id = data.get("id")
    if dialogue_id is None:
        check.add("id", "is required: a non-empty string")
    elif not isinstance(dialogue_id, str):
        check.add("id", f"must be a string, got {_type_name(dialogue_id)}")
    elif not dialogue_id.strip():
        check.add("id", "must not be empty")
    elif len(dialogue_id) > MAX_ID_LENGTH:
        check.add("id", f"must be at most {MAX_ID_LENGTH} characters, got {len(dialogue_id)}")

    for key in ("user_id", "locale"):
        check.optional_string(data, key)
    check.optional_timestamp(data, "started_at")
    check.optional_object(data, "metadata")
    _validate_device(check, data.get("device"))

    turns = data.get("turns")
    if turns is None:
        check.add("turns", "is required: an array of at least one turn")
        return check.errors
    if not isinstance(turns, list):
        check.add("turns", f"must be an array, got {_type_name(turns)}")
        return check.errors
    if not turns:
        check.add("turns", "must hold at least one turn")
        return check.errors

    ids = _validate_turns(check, turns)
    labels = data.get("labels")
    if labels is not None:
        _validate_labels(check, labels, turns, ids)
    return check.errors


def _validate_device(check: _Checker, device: Any) -> None:
    if device is None:
        return
    if not isinstance(device, dict):
        check.add("device", f"must be an object, got {_type_name(device)}")
        return
    check.optional_string(device, "type", "device.")
    if device.get("has_screen") is not None and not isinstance(device["has_screen"], bool):
        check.add("device.has_screen", f"must be true or false, got {_type_name(device['has_screen'])}")
    check.optional_object(device, "state", "device.")


def _validate_turns(check: _Checker, turns: list[Any]) -> list[str]:
    seen: dict[str, int] = {}
    for position, turn in enumerate(turns):
        prefix = f"turns[{position}]."
        if not isinstance(turn, dict):
            check.add(f"turns[{position}]", f"must be an object, got {_type_name(turn)}")
            continue
        turn_id = turn.get("id")
        if turn_id is not None:
            if not isinstance(turn_id, str) or not turn_id:
                check.add(prefix + "id", f"must be a non-empty string, got {_type_name(turn_id)}")
            elif len(turn_id) > MAX_ID_LENGTH:
                check.add(prefix + "id", f"must be at most {MAX_ID_LENGTH} characters")
        utterance = turn.get("utterance")
        if "utterance" not in turn or utterance is None:
            check.add(prefix + "utterance", "is required: a string (it may be empty)")
        elif not isinstance(utterance, str):
            check.add(prefix + "utterance", f"must be a string, got {_type_name(utterance)}")
        for key in ("response", "domain", "intent", "status"):
            check.optional_string(turn, key, prefix)
        check.optional_timestamp(turn, "timestamp", prefix)
        check.optional_confidence(turn, "asr_confidence", prefix)
        check.optional_confidence(turn, "nlu_confidence", prefix)
        check.optional_bool(turn, "barge_in", prefix)
        check.optional_object(turn, "metadata", prefix)
        feedback = turn.get("feedback")
        if feedback is not None and feedback not in FEEDBACK_VALUES:
            check.add(prefix + "feedback", f'must be "positive" or "negative", got {feedback!r}')
        if turn.get("slots") is not None:
            check.spans(turn["slots"], utterance, prefix + "slots")

    ids = turn_ids(turns)
    for position, turn_id in enumerate(ids):
        if turn_id in seen:
            check.add(f"turns[{position}].id", f"duplicate turn id {turn_id!r} (also turns[{seen[turn_id]}])")
        else:
            seen[turn_id] = position
    return ids


def _validate_labels(check: _Checker, labels: Any, turns: list[Any], ids: list[str]) -> None:
    if not isinstance(labels, dict):
        check.add("labels", f"must be an object, got {_type_name(labels)}")
        return
    position_of = {turn_id: position for position, turn_id in enumerate(ids)}
    if labels.get("goals") is not None:
        _validate_goals(check, labels["goals"], position_of)
    turn_labels = labels.get("turns")
    if turn_labels is None:
        return
    if not isinstance(turn_labels, dict):
        check.add("labels.turns", f"must be an object keyed by turn id, got {_type_name(turn_labels)}")
        return
    for turn_id, entry in turn_labels.items():
        prefix = f"labels.turns.{turn_id}"
        if turn_id not in position_of:
            check.add(prefix, f"names no turn of this dialogue (turn ids: {', '.join(ids[:10])})")
            continue
        if not isinstance(entry, dict):
            check.add(prefix, f"must be an object, got {_type_name(entry)}")
            continue
        position = position_of[turn_id]
        turn = turns[position]
        utterance = turn.get("utterance") if isinstance(turn, dict) else None
        if entry.get("intent") is not None and not isinstance(entry["intent"], str):
            check.add(f"{prefix}.intent", f"must be a string or null, got {_type_name(entry['intent'])}")
        if entry.get("slots") is not None:
            check.spans(entry["slots"], utterance, f"{prefix}.slots")
        if "failure_point" in entry and entry["failure_point"] not in FAILURE_POINTS:
            check.add(
                f"{prefix}.failure_point",
                f"must be one of {', '.join(FAILURE_POINTS)}; got {entry['failure_point']!r}",
            )
        rephrase_of = entry.get("rephrase_of")
        if rephrase_of is not None:
            if not isinstance(rephrase_of, str) or rephrase_of not in position_of:
                check.add(f"{prefix}.rephrase_of", f"names no turn of this dialogue: {rephrase_of!r}")
            elif position_of[rephrase_of] >= position:
                check.add(f"{prefix}.rephrase_of", f"must name an earlier turn, {rephrase_of!r} is not")
        if entry.get("defect") is not None and not isinstance(entry["defect"], bool):
            check.add(f"{prefix}.defect", f"must be true or false, got {_type_name(entry['defect'])}")
        if entry.get("preferences") is not None:
            check.preferences(entry["preferences"], utterance, f"{prefix}.preferences")
        if entry.get("rewrite") is not None and not isinstance(entry["rewrite"], str):
            check.add(f"{prefix}.rewrite", f"must be a string or null, got {_type_name(entry['rewrite'])}")


def _validate_goals(check: _Checker, goals: Any, position_of: dict[str, int]) -> None:
    """Goals are runs of consecutive turns, in dialogue order, not overlapping."""
    if not isinstance(goals, list):
        check.add("labels.goals", f"must be an array, got {_type_name(goals)}")
        return
    previous_end = -1
    for index, goal in enumerate(goals):
        where = f"labels.goals[{index}]"
        if not isinstance(goal, dict):
            check.add(where, f"must be an object, got {_type_name(goal)}")
            continue
        if goal.get("success") is not None and not isinstance(goal["success"], bool):
            check.add(f"{where}.success", f"must be true or false, got {_type_name(goal['success'])}")
        members = goal.get("turns")
        if not isinstance(members, list) or not members:
            check.add(f"{where}.turns", "must be a non-empty array of turn ids")
            continue
        unknown = [
            turn_id for turn_id in members if not isinstance(turn_id, str) or turn_id not in position_of
        ]
        if unknown:
            check.add(f"{where}.turns", f"names no turn of this dialogue: {unknown[0]!r}")
            continue
        positions = [position_of[turn_id] for turn_id in members]
        if positions != list(range(positions[0], positions[0] + len(positions))):
            check.add(f"{where}.turns", "must be a run of consecutive turns, in order")
            continue
        if positions[0] <= previous_end:
            check.add(f"{where}.turns", f"overlaps or comes before labels.goals[{index - 1}]")
            continue
        previous_end = positions[-1]

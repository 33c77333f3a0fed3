"""The dialogues of an export as Python objects, built from the same rows and the same chosen labels
as the JSON lines (``annotations.formats.exporting``) but with no JSON text in between: what the other
apps read the corpus as (``annotations.selectors.dialogue_records``). Each object equals the
``json.loads`` of its export line (``tests/annotations/test_corpus_reader.py`` checks it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from annotations.formats.dialogue_format import TURN_LABEL_FIELDS
from annotations.formats.exporting import (
    EXPORT_BATCH_SIZE,
    ChosenLabels,
    LabelSelection,
    export_rows,
    goals_with_success,
)
from annotations.models import Dataset, LabelKind


def iter_export_dicts(
    *, dataset: Dataset, selection: LabelSelection, batch_size: int = EXPORT_BATCH_SIZE
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each dialogue of the dataset as its FORMAT.md object (the line's ``json.loads``), built from the
    rows with no JSON text in between, with its primary key: what the other apps read the corpus as
    (``annotations.selectors.dialogue_records``)."""
    for dialogue, turns, labels, with_extras in export_rows(dataset, selection, None, None, batch_size, None):
        yield dialogue[0], _dialogue_dict(dialogue, turns, labels, with_extras)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _extra_members(text: str | None) -> dict[str, Any]:
    """The members of a stored JSON object of unknown fields ({} if none)."""
    if not text or text == "{}":
        return {}
    members = json.loads(text)
    return members if isinstance(members, dict) else {}


def _dialogue_dict(
    dialogue: tuple, turns: list[tuple], labels: ChosenLabels, with_extras: bool
) -> dict[str, Any]:
    """What ``json.loads(_dialogue_line(...))`` gives, field for field."""
    _, external_id, user_key, device, locale, started_at, metadata, extra, _labels_extra = dialogue
    data: dict[str, Any] = {"id": external_id}
    if user_key is not None:
        data["user_id"] = user_key
    if device is not None:
        data["device"] = json.loads(device)
    if locale is not None:
        data["locale"] = locale
    if started_at is not None:
        data["started_at"] = started_at
    if metadata is not None:
        data["metadata"] = json.loads(metadata)
    data["turns"] = [_turn_dict(turn) for turn in turns]
    labels_data = _labels_dict(dialogue, turns, labels, with_extras)
    if labels_data:
        data["labels"] = labels_data
    data.update(_extra_members(extra))
    return data


_TURN_VALUE_FIELDS = (
    "timestamp",
    "utterance",
    "response",
    "asr_confidence",
    "nlu_confidence",
    "domain",
    "intent",
)


def _turn_dict(turn: tuple) -> dict[str, Any]:
    (_, _, external_id, *values, slots, status, barge_in, feedback, metadata, extra, _labels_extra) = turn
    data: dict[str, Any] = {"id": external_id}
    for name, value in zip(_TURN_VALUE_FIELDS, values, strict=True):
        if value is not None:
            data[name] = value
    if slots is not None:
        data["slots"] = json.loads(slots)
    if status is not None:
        data["status"] = status
    if barge_in is not None:
        data["barge_in"] = bool(barge_in)  # SQLite may hand back 0 and 1
    if feedback is not None:
        data["feedback"] = feedback
    if metadata is not None:
        data["metadata"] = json.loads(metadata)
    data.update(_extra_members(extra))
    return data


def _labels_dict(
    dialogue: tuple, turns: list[tuple], labels: ChosenLabels, with_extras: bool
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    by_turn = labels.by_turn
    segments = labels.by_dialogue.get((dialogue[0], LabelKind.GOAL_SEGMENTS))
    if segments is not None and segments != "null":
        data["goals"] = goals_with_success(json.loads(segments), turns, by_turn)
    entries = {}
    for turn in turns:
        of_turn = by_turn.get(turn[1])
        entry = (
            {kind: json.loads(of_turn[kind]) for kind in TURN_LABEL_FIELDS if kind in of_turn}
            if of_turn
            else {}
        )
        if with_extras:
            entry.update(_extra_members(turn[16]))
        if entry:
            entries[turn[2]] = entry
    if entries:
        data["turns"] = entries
    if with_extras:
        data.update(_extra_members(dialogue[8]))
    return data

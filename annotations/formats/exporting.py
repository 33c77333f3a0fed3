"""Export of a dataset as FORMAT.md JSON Lines, streamed: a batch of dialogues at a time, read with
three queries (dialogues, turns, labels), so memory stays flat and time linear in the dataset's size.

The database keeps JSON fields as JSON text; the exporter splices that text into each line instead of
decoding and encoding it again, which would cost most of the time at millions of labels.

Which labels go into ``labels`` is chosen by a selection:

- ``gold``: gold labels only (imported ones, and those that reviewers corroborated);
- ``reviewed``: what people decided: gold, accepted and corrected labels;
- ``best``: for every target, the best label there is: gold, then reviewed, then the most confident
  model proposal; rejected labels never;
- ``model:NAME``: what model version NAME wrote.

An import of an export gives back every field: unknown fields and ``metadata`` included.

A ``LabelFilter`` (``annotations.label_filters``) narrows the selection further (kinds, statuses,
source, confidence, reviewer); with a filter, the unknown label keys that came with an import are left
out, since no filter can speak for them. ``changed_since`` exports only the dialogues imported or with
a label changed since then, each whole (see ``label_filters``), for incremental pulls.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from annotations.formats.dialogue_format import TURN_FIELDS, TURN_LABEL_FIELDS
from annotations.label_filters import LabelFilter, dialogues_changed_since_q
from annotations.models import Dataset, Dialogue, Label, LabelKind, LabelStatus, Turn
from models_app.models import ModelVersion
from selflearn_site.exceptions import ApplicationError

EXPORT_BATCH_SIZE = 500
SELECTION_MODES = ("gold", "reviewed", "best")

# The higher, the better a label stands for what should have happened.
_STATUS_RANK = {
    LabelStatus.GOLD: 3,
    LabelStatus.CORRECTED: 2,
    LabelStatus.ACCEPTED: 2,
    LabelStatus.PROPOSED: 1,
}

_DIALOGUE_COLUMNS = (
    "id",
    "external_id",
    "user_key",
    "device",
    "locale",
    "started_at",
    "metadata",
    "extra",
    "labels_extra",
)
_TURN_COLUMNS = ("dialogue_id", "id", "external_id", *TURN_FIELDS[1:], "extra", "labels_extra")
# How each turn column is written, in the order FORMAT.md lists the fields: (key, column, writer).
_STRING, _NUMBER, _BOOLEAN, _JSON = "string", "number", "boolean", "json"
_TURN_FIELDS = (
    ("timestamp", 3, _STRING),
    ("utterance", 4, _STRING),
    ("response", 5, _STRING),
    ("asr_confidence", 6, _NUMBER),
    ("nlu_confidence", 7, _NUMBER),
    ("domain", 8, _STRING),
    ("intent", 9, _STRING),
    ("slots", 10, _JSON),
    ("status", 11, _STRING),
    ("barge_in", 12, _BOOLEAN),
    ("feedback", 13, _STRING),
    ("metadata", 14, _JSON),
)
_DIALOGUE_FIELDS = (
    ("user_id", 2, _STRING),
    ("device", 3, _JSON),
    ("locale", 4, _STRING),
    ("started_at", 5, _STRING),
    ("metadata", 6, _JSON),
)

# A JSON string literal, non-ASCII kept (json's C encoder).
_quote = json.encoder.encode_basestring
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json_text(value: Any, writer: str) -> str:
    if writer == _STRING:
        return _quote(value)
    if writer == _JSON:
        return value  # already JSON text, as stored
    if writer == _BOOLEAN:
        return "true" if value else "false"  # SQLite hands booleans back as 0 and 1
    return repr(float(value)) if isinstance(value, float) else str(value)


def _object_members(text: str | None) -> str:
    """The members of a stored JSON object, to splice into the object being written ("" if none)."""
    if not text:
        return ""
    return text.strip()[1:-1].strip()


@dataclass(frozen=True)
class LabelSelection:
    mode: str
    model_version: ModelVersion | None = None

    @classmethod
    def parse(cls, text: str) -> LabelSelection:
        if text in SELECTION_MODES:
            return cls(mode=text)
        if text.startswith("model:") and text[len("model:") :]:
            name = text[len("model:") :]
            model_version = ModelVersion.objects.filter(name=name).first()
            if model_version is None:
                raise ApplicationError(f"No model version named {name!r}.", extra={"field": "labels"})
            return cls(mode="model", model_version=model_version)
        raise ApplicationError(
            f"labels must be gold, reviewed, best or model:NAME, got {text!r}", extra={"field": "labels"}
        )

    @property
    def includes_file_extras(self) -> bool:
        """Unknown label keys came with imported (gold) labels, not from any model."""
        return self.mode != "model"

    def filter(self) -> Q:
        if self.mode == "gold":
            return Q(status=LabelStatus.GOLD)
        if self.mode == "reviewed":
            return Q(status__in=[LabelStatus.GOLD, LabelStatus.ACCEPTED, LabelStatus.CORRECTED])
        if self.mode == "best":
            return ~Q(status=LabelStatus.REJECTED)
        return Q(model_version=self.model_version)


def iter_export_lines(
    *,
    dataset: Dataset,
    selection: LabelSelection,
    label_filter: LabelFilter | None = None,
    changed_since: datetime | None = None,
    batch_size: int = EXPORT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Yield one JSON line (with its newline) per dialogue of the dataset, in import order."""
    label_filter = label_filter or LabelFilter()
    label_condition = selection.filter() & label_filter.q()
    with_extras = selection.includes_file_extras and label_filter.is_empty
    chosen_dialogues = Dialogue.objects.filter(dataset=dataset)
    if changed_since is not None:
        chosen_dialogues = chosen_dialogues.filter(dialogues_changed_since_q(changed_since))
    last_id = 0
    while True:
        dialogues = _rows(
            chosen_dialogues.filter(id__gt=last_id)
            .order_by("id")
            .values_list(*_DIALOGUE_COLUMNS)[:batch_size]
        )
        if not dialogues:
            return
        first, last = dialogues[0][0], dialogues[-1][0]
        if last - first < 2 * len(dialogues):
            # A run of ids, (nearly) all this dataset's: a range (two parameters, no join) rather than an
            # IN list of hundreds. Rows of another dataset's dialogues inside the range are read and never
            # written: turns and labels are looked up by this batch's dialogue ids. Joining the dialogue
            # table to leave them out would let PostgreSQL pick a plan that scans the whole dataset for
            # every batch.
            in_batch = {"dialogue_id__gte": first, "dialogue_id__lte": last}
        else:
            # Dialogues far apart (changed ones, or interleaved with another dataset's): a range would
            # read all those between them.
            in_batch = {"dialogue_id__in": [dialogue[0] for dialogue in dialogues]}
        last_id = dialogues[-1][0]
        turns_of: dict[int, list[tuple]] = defaultdict(list)
        turns = Turn.objects.filter(**in_batch).order_by("dialogue_id", "position")
        for row in _rows(turns.values_list(*_TURN_COLUMNS)):
            turns_of[row[0]].append(row)
        labels = _select_labels(Label.objects.filter(label_condition, **in_batch), selection)
        for dialogue in dialogues:
            yield _dialogue_line(dialogue, turns_of[dialogue[0]], labels, with_extras)
        if progress is not None:
            progress(len(dialogues))


def _rows(queryset: QuerySet) -> list[tuple]:
    """The raw rows of a ``values_list`` query: JSON fields stay JSON text (see the module docstring)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class _ChosenLabels:
    """The one label chosen for each target of a batch, as JSON text: turn-level by (turn pk, kind),
    dialogue-level (goal segments) by (dialogue pk, kind)."""

    by_turn: dict[tuple[int, str], str]
    by_dialogue: dict[tuple[int, str], str]

    def keep(self, dialogue_id: int, turn_id: int | None, kind: str, value: str | None) -> None:
        text = "null" if value is None else value
        if turn_id is None:
            self.by_dialogue[(dialogue_id, kind)] = text
        else:
            self.by_turn[(turn_id, kind)] = text


def _select_labels(labels: QuerySet, selection: LabelSelection) -> _ChosenLabels:
    """Choose a label per target: the best status, then the highest confidence, then the newest row."""
    chosen = _ChosenLabels(by_turn={}, by_dialogue={})
    if selection.mode in ("gold", "model"):
        # All candidates rank alike (one status; a model writes one label per target): the newest wins.
        for row in _rows(labels.order_by("id").values_list("dialogue_id", "turn_id", "kind", "value")):
            chosen.keep(*row)
        return chosen
    ranks: dict[tuple, tuple] = {}
    columns = ("dialogue_id", "turn_id", "kind", "value", "status", "confidence")
    for dialogue_id, turn_id, kind, value, status, confidence in _rows(
        labels.order_by("id").values_list(*columns)
    ):
        key = (dialogue_id, turn_id, kind)
        rank = (_STATUS_RANK.get(status, 0), confidence if confidence is not None else 1.0)
        if key not in ranks or rank >= ranks[key]:
            ranks[key] = rank
            chosen.keep(dialogue_id, turn_id, kind, value)
    return chosen


def _dialogue_line(dialogue: tuple, turns: list[tuple], labels: _ChosenLabels, with_extras: bool) -> str:
    parts = ['{"id":', _quote(dialogue[1])]
    for key, column, writer in _DIALOGUE_FIELDS:
        if dialogue[column] is not None:
            parts += [',"', key, '":', _json_text(dialogue[column], writer)]
    parts += [',"turns":[', ",".join(_turn_text(turn) for turn in turns), "]"]
    labels_text = _labels_text(dialogue, turns, labels, with_extras)
    if labels_text:
        parts += [',"labels":', labels_text]
    extra = _object_members(dialogue[7])
    if extra:
        parts += [",", extra]
    parts.append("}\n")
    return "".join(parts)


def _turn_text(turn: tuple) -> str:
    parts = ['{"id":', _quote(turn[2])]
    for key, column, writer in _TURN_FIELDS:
        if turn[column] is not None:
            parts += [',"', key, '":', _json_text(turn[column], writer)]
    extra = _object_members(turn[15])
    if extra:
        parts += [",", extra]
    parts.append("}")
    return "".join(parts)


def _labels_text(dialogue: tuple, turns: list[tuple], labels: _ChosenLabels, with_extras: bool) -> str:
    members: list[str] = []
    by_turn = labels.by_turn
    segments = labels.by_dialogue.get((dialogue[0], LabelKind.GOAL_SEGMENTS))
    if segments is not None and segments != "null":
        members.append('"goals":' + _encode(_goals(json.loads(segments), turns, by_turn)))
    entries = []
    for turn in turns:
        turn_pk = turn[1]
        entry = [
            f'"{kind}":{by_turn[(turn_pk, kind)]}' for kind in TURN_LABEL_FIELDS if (turn_pk, kind) in by_turn
        ]
        extra = _object_members(turn[16]) if with_extras else ""
        if extra:
            entry.append(extra)
        if entry:
            entries.append(_quote(turn[2]) + ":{" + ",".join(entry) + "}")
    if entries:
        members.append('"turns":{' + ",".join(entries) + "}")
    extra = _object_members(dialogue[8]) if with_extras else ""
    if extra:
        members.append(extra)
    return "{" + ",".join(members) + "}" if members else ""


def _goals(
    segments: list[dict[str, Any]], turns: list[tuple], by_turn: dict[tuple[int, str], str]
) -> list[dict]:
    """Goal segments with each goal's success (a label on the goal's first turn) put back in."""
    success_by_first_turn = {
        turn[2]: json.loads(by_turn[(turn[1], LabelKind.GOAL_SUCCESS)])
        for turn in turns
        if (turn[1], LabelKind.GOAL_SUCCESS) in by_turn
    }
    goals = []
    for segment in segments:
        goal = {"turns": segment["turns"]}
        success = success_by_first_turn.get(segment["turns"][0]) if segment["turns"] else None
        if success is not None:
            goal["success"] = success
        goal.update({key: value for key, value in segment.items() if key != "turns"})
        goals.append(goal)
    return goals

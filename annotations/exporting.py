"""Export of a dataset as FORMAT.md JSON Lines, streamed: a batch of dialogues at a time, read with
three queries (dialogues, turns, labels) and written as plain tuples rather than model instances, so
memory stays flat and time stays linear in the size of the dataset.

Which labels go into ``labels`` is chosen by a selection:

- ``gold``: gold labels only (imported ones, and those that reviewers corroborated);
- ``reviewed``: what people decided: gold, accepted and corrected labels;
- ``best``: for every target, the best label there is: gold, then reviewed, then the most confident
  model proposal; rejected labels never;
- ``model:NAME``: what model version NAME wrote.

An import of an export gives back every field: unknown fields and ``metadata`` included.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from annotations.dialogue_format import TURN_LABEL_FIELDS
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
_TURN_COLUMNS = (
    "dialogue_id",
    "id",
    "external_id",
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
    "extra",
    "labels_extra",
)
# Turn columns in the order FORMAT.md lists them, with the key each is written under.
_TURN_KEYS = (
    ("timestamp", 3),
    ("utterance", 4),
    ("response", 5),
    ("asr_confidence", 6),
    ("nlu_confidence", 7),
    ("domain", 8),
    ("intent", 9),
    ("slots", 10),
    ("status", 11),
    ("barge_in", 12),
    ("feedback", 13),
    ("metadata", 14),
)
_LABEL_COLUMNS = ("dialogue_id", "turn_id", "kind", "value", "status", "confidence")


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
    batch_size: int = EXPORT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Yield one JSON line (with its newline) per dialogue of the dataset, in import order."""
    last_id = 0
    while True:
        dialogues = _rows(
            Dialogue.objects.filter(dataset=dataset, id__gt=last_id)
            .order_by("id")
            .values_list(*_DIALOGUE_COLUMNS)[:batch_size],
            json_columns=(3, 6, 7, 8),
        )
        if not dialogues:
            return
        ids = [row[0] for row in dialogues]
        last_id = ids[-1]
        turns_of: dict[int, list[tuple]] = defaultdict(list)
        turns = Turn.objects.filter(dialogue_id__in=ids).order_by("dialogue_id", "position")
        for row in _rows(
            turns.values_list(*_TURN_COLUMNS), json_columns=(10, 14, 15, 16), bool_columns=(12,)
        ):
            turns_of[row[0]].append(row)
        labels_of = _select_labels(ids, selection)
        for dialogue in dialogues:
            data = _dialogue_json(dialogue, turns_of[dialogue[0]], labels_of.get(dialogue[0], {}), selection)
            yield _encode(data) + "\n"
        if progress is not None:
            progress(len(dialogues))


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _rows(
    queryset: QuerySet, *, json_columns: tuple[int, ...] = (), bool_columns: tuple[int, ...] = ()
) -> list[tuple]:
    """The rows of a ``values_list`` query, read through the cursor with only the conversions this
    export needs: the ORM's per-value converters cost more than the query at millions of labels."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows or (not json_columns and not bool_columns):
        return rows
    columns = [list(column) for column in zip(*rows, strict=True)]
    for index in json_columns:
        # One parse for the whole column: json.loads' per-call overhead dwarfs a short value.
        texts = columns[index]
        columns[index] = json.loads("[" + ",".join("null" if text is None else text for text in texts) + "]")
    for index in bool_columns:
        columns[index] = [None if value is None else bool(value) for value in columns[index]]
    return list(zip(*columns, strict=True))


def _select_labels(dialogue_ids: list[int], selection: LabelSelection) -> dict[int, dict[tuple, Any]]:
    """For each dialogue, {(turn_id, kind): value} holding the one chosen label of each target: the
    best status, then the highest confidence, then the newest row."""
    labels = Label.objects.filter(selection.filter(), dialogue_id__in=dialogue_ids).order_by("id")
    rows = _rows(labels.values_list(*_LABEL_COLUMNS), json_columns=(3,))
    chosen: dict[int, dict[tuple, Any]] = defaultdict(dict)
    if selection.mode in ("gold", "model"):
        # All candidates rank alike (one status; a model writes one label per target): the newest wins.
        for dialogue_id, turn_id, kind, value, _, _ in rows:
            chosen[dialogue_id][(turn_id, kind)] = value
        return chosen
    ranks: dict[tuple, tuple] = {}
    for dialogue_id, turn_id, kind, value, status, confidence in rows:
        key = (dialogue_id, turn_id, kind)
        rank = (_STATUS_RANK.get(status, 0), confidence if confidence is not None else 1.0)
        if key not in ranks or rank >= ranks[key]:
            ranks[key] = rank
            chosen[dialogue_id][(turn_id, kind)] = value
    return chosen


def _dialogue_json(
    dialogue: tuple, turns: list[tuple], labels: dict[tuple, Any], selection: LabelSelection
) -> dict[str, Any]:
    _, external_id, user_key, device, locale, started_at, metadata, extra, labels_extra = dialogue
    data: dict[str, Any] = {"id": external_id}
    for key, value in (
        ("user_id", user_key),
        ("device", device),
        ("locale", locale),
        ("started_at", started_at),
        ("metadata", metadata),
    ):
        if value is not None:
            data[key] = value
    data["turns"] = [_turn_json(turn) for turn in turns]
    labels_json = _labels_json(
        turns, labels, labels_extra if selection.includes_file_extras else {}, selection.includes_file_extras
    )
    if labels_json:
        data["labels"] = labels_json
    data.update(extra)
    return data


def _turn_json(turn: tuple) -> dict[str, Any]:
    data: dict[str, Any] = {"id": turn[2]}
    for key, index in _TURN_KEYS:
        value = turn[index]
        if value is not None:
            data[key] = value
    data.update(turn[15])
    return data


def _labels_json(
    turns: list[tuple], labels: dict[tuple, Any], labels_extra: dict[str, Any], with_turn_extras: bool
) -> dict[str, Any]:
    external_id = {turn[1]: turn[2] for turn in turns}
    result: dict[str, Any] = {}
    segments = labels.get((None, LabelKind.GOAL_SEGMENTS))
    if segments is not None:
        success_by_first_turn = {
            external_id[turn_id]: value
            for (turn_id, kind), value in labels.items()
            if kind == LabelKind.GOAL_SUCCESS and turn_id in external_id
        }
        goals = []
        for segment in segments:
            goal = {"turns": segment["turns"]}
            success = success_by_first_turn.get(segment["turns"][0]) if segment["turns"] else None
            if success is not None:
                goal["success"] = success
            goal.update({key: value for key, value in segment.items() if key != "turns"})
            goals.append(goal)
        result["goals"] = goals
    turn_labels: dict[str, Any] = {}
    for turn in turns:
        entry = {kind: labels[(turn[1], kind)] for kind in TURN_LABEL_FIELDS if (turn[1], kind) in labels}
        if with_turn_extras:
            entry.update(turn[16])
        if entry:
            turn_labels[turn[2]] = entry
    if turn_labels:
        result["turns"] = turn_labels
    result.update(labels_extra)
    return result

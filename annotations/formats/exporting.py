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

# A JSON string literal, non-ASCII kept (json's C encoder).
_quote = json.encoder.encode_basestring
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


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
    for dialogue, turns, labels, with_extras in export_rows(
        dataset, selection, label_filter, changed_since, batch_size, progress
    ):
        yield _dialogue_line(dialogue, turns, labels, with_extras)


_Bundle = tuple[tuple, list[tuple], "ChosenLabels", bool]


def export_rows(
    dataset: Dataset,
    selection: LabelSelection,
    label_filter: LabelFilter | None,
    changed_since: datetime | None,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> Iterator[_Bundle]:
    """A batch of dialogues at a time (three queries): each dialogue's row, its turns' rows and the
    chosen labels of its batch, JSON columns as the database keeps them (text)."""
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
            yield dialogue, turns_of[dialogue[0]], labels, with_extras
        if progress is not None:
            progress(len(dialogues))


def _rows(queryset: QuerySet) -> list[tuple]:
    """The raw rows of a ``values_list`` query: JSON fields stay JSON text (see the module docstring)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# A turn's label as a member of its object, by kind: '"intent":' and so on.
_MEMBER_KEY = {kind: f'"{kind}":' for kind in TURN_LABEL_FIELDS}


# The label_dialogue_kind index's order, then the row id: the order in which a target's labels compete.
_INDEX_ORDER = ("dialogue_id", "kind", "id")


@dataclass
class ChosenLabels:
    """The one label chosen for each target of a batch, as JSON text: turn-level by turn pk, then kind;
    dialogue-level (goal segments) by (dialogue pk, kind)."""

    by_turn: dict[int, dict[str, str]]
    by_dialogue: dict[tuple[int, str], str]


def _select_labels(labels: QuerySet, selection: LabelSelection) -> ChosenLabels:
    """Choose a label per target: the best status, then the highest confidence, then the newest row.

    A batch holds some 30 labels per dialogue: the loops below are written out (no call per label),
    which the profile of a 20,000-dialogue export asked for. Rows come in the order of the
    ``(dialogue_id, kind)`` index, which SQLite keeps by row id within equal keys, so no sort is made
    (``ORDER BY id`` had sorted each batch's 33,000 rows); the newest of a target's labels still comes
    last, since a target's labels share their dialogue and kind."""
    by_turn: dict[int, dict[str, str]] = {}
    by_dialogue: dict[tuple[int, str], str] = {}
    if selection.mode in ("gold", "model"):
        # All candidates rank alike (one status; a model writes one label per target): the newest wins.
        for dialogue_id, turn_id, kind, value in _rows(
            labels.order_by(*_INDEX_ORDER).values_list("dialogue_id", "turn_id", "kind", "value")
        ):
            if value is None:
                value = "null"
            if turn_id is None:
                by_dialogue[(dialogue_id, kind)] = value
                continue
            of_turn = by_turn.get(turn_id)
            if of_turn is None:
                by_turn[turn_id] = of_turn = {}
            of_turn[kind] = value
        return ChosenLabels(by_turn=by_turn, by_dialogue=by_dialogue)
    ranks: dict[tuple, tuple] = {}
    status_rank = _STATUS_RANK
    columns = ("dialogue_id", "turn_id", "kind", "value", "status", "confidence")
    for dialogue_id, turn_id, kind, value, status, confidence in _rows(
        labels.order_by(*_INDEX_ORDER).values_list(*columns)
    ):
        key = (dialogue_id, turn_id, kind)
        rank = (status_rank.get(status, 0), confidence if confidence is not None else 1.0)
        if key in ranks and rank < ranks[key]:
            continue
        ranks[key] = rank
        if value is None:
            value = "null"
        if turn_id is None:
            by_dialogue[(dialogue_id, kind)] = value
            continue
        of_turn = by_turn.get(turn_id)
        if of_turn is None:
            by_turn[turn_id] = of_turn = {}
        of_turn[kind] = value
    return ChosenLabels(by_turn=by_turn, by_dialogue=by_dialogue)


def _dialogue_line(dialogue: tuple, turns: list[tuple], labels: ChosenLabels, with_extras: bool) -> str:
    # Written out field by field, in FORMAT.md's order (see _DIALOGUE_COLUMNS).
    _, external_id, user_key, device, locale, started_at, metadata, extra, _labels_extra = dialogue
    text = '{"id":' + _quote(external_id)
    if user_key is not None:
        text += ',"user_id":' + _quote(user_key)
    if device is not None:
        text += ',"device":' + device
    if locale is not None:
        text += ',"locale":' + _quote(locale)
    if started_at is not None:
        text += ',"started_at":' + _quote(started_at)
    if metadata is not None:
        text += ',"metadata":' + metadata
    text += ',"turns":[' + ",".join([_turn_text(turn) for turn in turns]) + "]"
    labels_text = _labels_text(dialogue, turns, labels, with_extras)
    if labels_text:
        text += ',"labels":' + labels_text
    if extra and extra != "{}":
        members = _object_members(extra)
        if members:
            text += "," + members
    return text + "}\n"


def _turn_text(turn: tuple) -> str:
    # Written out field by field, in FORMAT.md's order (see _TURN_COLUMNS): a loop over the fields with
    # a writer per field cost three times as much, and turns are most of an export's lines.
    (
        _,
        _,
        external_id,
        timestamp,
        utterance,
        response,
        asr_confidence,
        nlu_confidence,
        domain,
        intent,
        slots,
        status,
        barge_in,
        feedback,
        metadata,
        extra,
        _labels_extra,
    ) = turn
    text = '{"id":' + _quote(external_id)
    if timestamp is not None:
        text += ',"timestamp":' + _quote(timestamp)
    if utterance is not None:
        text += ',"utterance":' + _quote(utterance)
    if response is not None:
        text += ',"response":' + _quote(response)
    # repr is what json writes for a float (and str for an int), called inline: a helper's call cost more
    # than the formatting.
    if asr_confidence is not None:
        text += ',"asr_confidence":' + (
            repr(asr_confidence) if asr_confidence.__class__ is float else str(asr_confidence)
        )
    if nlu_confidence is not None:
        text += ',"nlu_confidence":' + (
            repr(nlu_confidence) if nlu_confidence.__class__ is float else str(nlu_confidence)
        )
    if domain is not None:
        text += ',"domain":' + _quote(domain)
    if intent is not None:
        text += ',"intent":' + _quote(intent)
    if slots is not None:
        text += ',"slots":' + slots
    if status is not None:
        text += ',"status":' + _quote(status)
    if barge_in is not None:
        text += ',"barge_in":' + ("true" if barge_in else "false")  # SQLite may hand back 0 and 1
    if feedback is not None:
        text += ',"feedback":' + _quote(feedback)
    if metadata is not None:
        text += ',"metadata":' + metadata
    if extra and extra != "{}":
        members = _object_members(extra)
        if members:
            text += "," + members
    return text + "}"


def _labels_text(dialogue: tuple, turns: list[tuple], labels: ChosenLabels, with_extras: bool) -> str:
    members: list[str] = []
    by_turn = labels.by_turn
    segments = labels.by_dialogue.get((dialogue[0], LabelKind.GOAL_SEGMENTS))
    if segments is not None and segments != "null":
        members.append('"goals":' + _encode(goals_with_success(json.loads(segments), turns, by_turn)))
    entries = []
    member_key = _MEMBER_KEY
    for turn in turns:
        of_turn = by_turn.get(turn[1])
        entry = []
        if of_turn:
            entry = [member_key[kind] + of_turn[kind] for kind in TURN_LABEL_FIELDS if kind in of_turn]
        if with_extras:
            extra = turn[16]
            if extra and extra != "{}":
                extra = _object_members(extra)
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


_GOAL_SUCCESS = LabelKind.GOAL_SUCCESS.value
# A goal's success as the database keeps it, read without the JSON parser (a call per dialogue).
_JSON_FLAGS = {"true": True, "false": False}


def goals_with_success(
    segments: list[dict[str, Any]], turns: list[tuple], by_turn: dict[int, dict[str, str]]
) -> list[dict]:
    """Goal segments with each goal's success (a label on the goal's first turn) put back in."""
    success_by_first_turn = {}
    for turn in turns:
        of_turn = by_turn.get(turn[1])
        if of_turn:
            stored = of_turn.get(_GOAL_SUCCESS)
            if stored is not None:
                flag = _JSON_FLAGS.get(stored)
                success_by_first_turn[turn[2]] = json.loads(stored) if flag is None else flag
    goals = []
    for segment in segments:
        goal = {"turns": segment["turns"]}
        success = success_by_first_turn.get(segment["turns"][0]) if segment["turns"] else None
        if success is not None:
            goal["success"] = success
        goal.update({key: value for key, value in segment.items() if key != "turns"})
        goals.append(goal)
    return goals

"""From an import's validated lines to rows: Dialogue, Turn and Label rows built from constants and
written a batch at a time through the cursor (``annotations.formats.bulk_sql``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from annotations.formats.bulk_sql import (
    LABEL_COLUMNS,
    ForeignKeyChecks,
    datetime_value,
    insert_rows,
    json_value,
    parsed_json_value,
)
from annotations.formats.dialogue_format import (
    DIALOGUE_FIELDS,
    LABELS_FIELDS,
    TURN_FIELDS,
    TURN_LABEL_FIELDS,
    turn_ids,
)
from annotations.models import Dataset, Dialogue, Label, LabelKind, LabelSource, LabelStatus, Turn
from annotations.turn_search import BulkIndex


class BatchWriter:
    """Turns validated dialogues into Dialogue, Turn and Label rows, a batch at a time."""

    DIALOGUE_COLUMNS = (
        "dataset_id",
        "external_id",
        "user_key",
        "device",
        "locale",
        "started_at",
        "metadata",
        "extra",
        "labels_extra",
        "import_job_id",
        "created_at",
    )
    # The turn's own fields are stored under their FORMAT.md names (the id as external_id).
    TURN_COLUMNS = ("dialogue_id", "position", "external_id", *TURN_FIELDS[1:], "extra", "labels_extra")

    def __init__(
        self,
        *,
        dataset: Dataset,
        job: Any,
        replace: bool,
        search_index: BulkIndex,
        foreign_keys: ForeignKeyChecks,
    ) -> None:
        self.dataset, self.replace, self.search_index = dataset, replace, search_index
        self.foreign_keys = foreign_keys
        self.job_id = job.pk if job is not None else None
        self.dialogues = self.turns = self.labels = self.replaced = 0

    def write(self, batch: list[dict[str, Any]]) -> None:
        external_ids = [data["id"] for data in batch]
        if self.replace:
            existing = Dialogue.objects.filter(dataset=self.dataset, external_id__in=external_ids)
            self.replaced += existing.count()
            with self.foreign_keys.deferred():
                existing.delete()
        now = datetime_value(timezone.now())
        insert_rows(Dialogue, self.DIALOGUE_COLUMNS, (self._dialogue_row(data, now) for data in batch))
        dialogue_pk = dict(
            Dialogue.objects.filter(dataset=self.dataset, external_id__in=external_ids).values_list(
                "external_id", "pk"
            )
        )
        insert_rows(
            Turn,
            self.TURN_COLUMNS,
            (row for data in batch for row in self._turn_rows(dialogue_pk[data["id"]], data)),
        )
        self.search_index.add_dialogues(list(dialogue_pk.values()))
        turn_pk = {
            (dialogue, position): pk
            for dialogue, position, pk in Turn.objects.filter(
                dialogue_id__in=dialogue_pk.values()
            ).values_list("dialogue_id", "position", "pk")
        }
        label_rows = (
            row for data in batch for row in self._label_rows(dialogue_pk[data["id"]], data, turn_pk)
        )
        # confidence, status, source_type, model_version_id, author_id, job_id, revision, created_at,
        # updated_at: the same for every label of an import (LABEL_COLUMNS).
        tail = (None, _GOLD, _IMPORT, None, None, self.job_id, 1, now, now)
        self.labels += insert_rows(Label, LABEL_COLUMNS, label_rows, tail)
        self.dialogues += len(batch)
        self.turns += len(turn_pk)

    def _dialogue_row(self, data: dict[str, Any], now: Any) -> tuple:
        labels = data.get("labels") or {}
        return (
            self.dataset.pk,
            data["id"],
            data.get("user_id"),
            parsed_json_value(data.get("device")),
            data.get("locale"),
            data.get("started_at"),
            parsed_json_value(data.get("metadata")),
            parsed_json_value({key: value for key, value in data.items() if key not in DIALOGUE_FIELDS}),
            parsed_json_value({key: value for key, value in labels.items() if key not in LABELS_FIELDS}),
            self.job_id,
            now,
        )

    def _turn_rows(self, dialogue_pk: int, data: dict[str, Any]) -> Iterator[tuple]:
        turn_labels = (data.get("labels") or {}).get("turns") or {}
        for position, (turn_id, turn) in enumerate(zip(turn_ids(data["turns"]), data["turns"], strict=True)):
            entry = turn_labels.get(turn_id)
            get = turn.get
            yield (
                dialogue_pk,
                position,
                turn_id,
                get("timestamp"),
                turn["utterance"],
                get("response"),
                get("asr_confidence"),
                get("nlu_confidence"),
                get("domain"),
                get("intent"),
                parsed_json_value(get("slots")),
                get("status"),
                get("barge_in"),
                get("feedback"),
                parsed_json_value(get("metadata")),
                # Unknown keys are rare: a subset test finds there are none without a loop in Python.
                _unknown_keys(turn, _TURN_FIELD_SET),
                _unknown_keys(entry, _TURN_LABEL_FIELD_SET) if entry else "{}",
            )

    def _label_rows(
        self, dialogue_pk: int, data: dict[str, Any], turn_pk: dict[tuple[int, int], int]
    ) -> Iterator[tuple]:
        """Labels in the file are gold, with source "import": each row's first four columns
        (dialogue_id, turn_id, kind, value); ``write`` gives the rest, the same for all of them.

        Most of an import's rows are labels: the row is built inline from constants (the enum members'
        ``.value`` went through a descriptor on every label)."""
        labels = data.get("labels") or {}
        position_of = {turn_id: position for position, turn_id in enumerate(turn_ids(data["turns"]))}

        goals = labels.get("goals")
        if goals is not None:
            # Success is a label of its own (reviewed on its own); the rest of each goal stays together.
            segments = [{key: value for key, value in goal.items() if key != "success"} for goal in goals]
            yield (dialogue_pk, None, _GOAL_SEGMENTS, parsed_json_value(segments))
            for goal in goals:
                if goal.get("success") is not None:
                    turn = turn_pk[(dialogue_pk, position_of[goal["turns"][0]])]
                    yield (dialogue_pk, turn, _GOAL_SUCCESS, json_value(goal["success"]))
        for turn_id, entry in (labels.get("turns") or {}).items():
            turn = turn_pk[(dialogue_pk, position_of[turn_id])]
            for kind in TURN_LABEL_FIELDS:
                if kind in entry:
                    yield (dialogue_pk, turn, kind, parsed_json_value(entry[kind]))


def _unknown_keys(data: dict[str, Any], known: frozenset[str]) -> str | None:
    """The keys of ``data`` the format does not name, in their order, as the database's JSON."""
    if data.keys() <= known:
        return "{}"
    return parsed_json_value({key: value for key, value in data.items() if key not in known})


_TURN_FIELD_SET = frozenset(TURN_FIELDS)
_TURN_LABEL_FIELD_SET = frozenset(TURN_LABEL_FIELDS)
_GOLD = LabelStatus.GOLD.value
_IMPORT = LabelSource.IMPORT.value
_GOAL_SEGMENTS = LabelKind.GOAL_SEGMENTS.value
_GOAL_SUCCESS = LabelKind.GOAL_SUCCESS.value

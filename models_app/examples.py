"""Reads for the model: dialogues from the database as the ML package's examples.

Training and evaluation read gold labels as the corpus's records (``annotations.selectors.
dialogue_records``: what an export would give, as Python objects); labelling reads only what the log
says, a chunk of dialogues at a time, keeping the turn primary keys to write labels back.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from annotations.models import Dataset, Dialogue, Turn
from annotations.selectors import dialogue_records
from models_app.ml.data import DialogueExample, TurnInput
from models_app.ml.format_adapter import example_from_format, parse_time, seconds_between, spans_from_format


def gold_examples(datasets: Sequence[Dataset], *, labels: str = "gold") -> Iterator[DialogueExample]:
    """Every dialogue of the datasets with its gold labels as targets; key = (dataset name, id)."""
    for dataset in datasets:
        for record in dialogue_records(dataset, labels=labels):
            yield example_from_format(record.data, key=(dataset.name, record.external_id))


def unlabelled_examples(datasets: Sequence[Dataset]) -> Iterator[DialogueExample]:
    """Every dialogue of the datasets as a log without labels (for self-training to label), whatever
    gold it may hold."""
    for example in gold_examples(datasets):
        yield dataclasses.replace(example, targets=None, goals=None, goal_success=None)


@dataclass
class LabellingChunk:
    """Dialogues to label, as examples keyed by dialogue pk, and the pk of every turn by position."""

    examples: list[DialogueExample]
    turn_pks: dict[int, list[int]]
    turn_external_ids: dict[int, list[str]]


_TURN_COLUMNS = (
    "dialogue_id",
    "id",
    "external_id",
    "utterance",
    "response",
    "domain",
    "intent",
    "status",
    "asr_confidence",
    "nlu_confidence",
    "timestamp",
    "barge_in",
    "feedback",
    "slots",
)


def labelling_chunk(dialogue_ids: Sequence[int]) -> LabellingChunk:
    """The dialogues with these primary keys (two queries), in the order given."""
    devices = dict(Dialogue.objects.filter(pk__in=dialogue_ids).values_list("pk", "device"))
    turns_of: dict[int, list[tuple]] = defaultdict(list)
    turns = Turn.objects.filter(dialogue_id__in=dialogue_ids).order_by("dialogue_id", "position")
    for row in turns.values_list(*_TURN_COLUMNS):
        turns_of[row[0]].append(row)
    chunk = LabellingChunk(examples=[], turn_pks={}, turn_external_ids={})
    for dialogue_id in dialogue_ids:
        if dialogue_id not in devices:
            continue  # deleted since the job was planned: nothing to label
        rows = turns_of[dialogue_id]
        device = devices[dialogue_id] or {}
        chunk.examples.append(
            DialogueExample(
                turns=_turn_inputs(rows),
                device_type=device.get("type"),
                has_screen=device.get("has_screen"),
                key=dialogue_id,
            )
        )
        chunk.turn_pks[dialogue_id] = [row[1] for row in rows]
        chunk.turn_external_ids[dialogue_id] = [row[2] for row in rows]
    return chunk


def _turn_inputs(rows: list[tuple]) -> list[TurnInput]:
    turns: list[TurnInput] = []
    previous: datetime | None = None
    for row in rows:
        (
            _,
            _,
            _,
            utterance,
            response,
            domain,
            intent,
            status,
            asr,
            nlu,
            timestamp,
            barge_in,
            feedback,
            slots,
        ) = row
        moment = parse_time(timestamp)
        gap = seconds_between(previous, moment)
        previous = moment
        turns.append(
            TurnInput(
                utterance=utterance,
                response=response or "",
                domain=domain,
                intent=intent,
                status=status,
                asr_confidence=asr,
                nlu_confidence=nlu,
                seconds_since_previous=gap,
                barge_in=barge_in,
                feedback=feedback,
                # The assistant's own slots, as training reads them from the export: labelling must
                # see the same inputs, or the "nlu" context and the entity evidence differ.
                slots=spans_from_format(slots, utterance) if isinstance(slots, list) else None,
            )
        )
    return turns

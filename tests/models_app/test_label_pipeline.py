"""Labelling a dataset encodes the next chunk while it writes this one, and still writes each chunk
whole or not at all."""

from __future__ import annotations

import threading
import time

import pytest

from annotations.formats.bulk_sql import MODEL_LABEL_COLUMNS
from annotations.models import Label, LabelKind
from models_app.ml.predict import Predictor
from models_app.services import dialogue_ids_to_label, iter_proposals, label_dataset, propose_labels

pytestmark = pytest.mark.django_db


def parts_of(dataset, size):
    ids = dialogue_ids_to_label(dataset)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


@pytest.fixture
def encodings(monkeypatch):
    """The parts whose encoding has started, with the thread that ran it."""
    started: list[tuple[int, str]] = []
    real = Predictor.encode

    def encode(self, examples, batch_size=64):
        started.append((len(examples), threading.current_thread().name))
        return real(self, examples, batch_size)

    monkeypatch.setattr(Predictor, "encode", encode)
    return started


def test_the_next_part_is_encoded_while_the_caller_handles_this_one(model, simulated_dataset, encodings):
    parts = iter_proposals(model_version=model, id_parts=parts_of(simulated_dataset, 8))

    next(parts)
    deadline = time.monotonic() + 30
    while len(encodings) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)

    assert len(encodings) == 2  # the second part started without being asked for
    assert all(thread.startswith("selflearn-encode") for _, thread in encodings)
    parts.close()


def test_the_pipelined_proposals_are_those_of_each_part_alone(model, simulated_dataset):
    chunks = parts_of(simulated_dataset, 7)

    pipelined = list(iter_proposals(model_version=model, id_parts=chunks, precision="fp32"))

    alone = [propose_labels(model_version=model, dialogue_ids=ids, precision="fp32") for ids in chunks]
    assert [part.dialogue_ids for part in pipelined] == chunks
    # The rows are equal but for the time they were made (created_at and updated_at).
    made = {MODEL_LABEL_COLUMNS.index("created_at"), MODEL_LABEL_COLUMNS.index("updated_at")}

    def timeless(parts):
        return [
            [tuple(value for index, value in enumerate(row) if index not in made) for row in part.labels]
            for part in parts
        ]

    assert timeless(pipelined) == timeless(alone)


def test_a_failed_encoding_keeps_the_chunks_written_before_it_and_writes_no_part_of_its_own(
    model, simulated_dataset, monkeypatch
):
    real = Predictor.encode
    calls = {"n": 0}

    def fails_on_the_third_chunk(self, examples, batch_size=64):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the model fell over")
        return real(self, examples, batch_size)

    monkeypatch.setattr(Predictor, "encode", fails_on_the_third_chunk)

    with pytest.raises(RuntimeError, match="fell over"):
        label_dataset(dataset=simulated_dataset, model_version=model, chunk_size=5)

    labelled = set(
        Label.objects.filter(model_version=model, kind=LabelKind.GOAL_SEGMENTS).values_list(
            "dialogue_id", flat=True
        )
    )
    assert labelled == {pk for chunk in parts_of(simulated_dataset, 5)[:2] for pk in chunk}

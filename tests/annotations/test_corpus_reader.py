"""The corpus as other apps read it (``annotations.selectors.dialogue_records``): each dialogue with
the labels of one set, built from the rows with no JSON text in between, and exactly what its export
line reads as, for every set: gold, reviewed, best and one model's."""

from __future__ import annotations

import json

import pytest

from annotations.formats.exporting import LabelSelection, iter_export_lines
from annotations.formats.importing import ImportSource, import_dialogues
from annotations.models import Dataset, Label, LabelKind, LabelStatus
from annotations.selectors import dialogue_records
from models_app.services import label_dataset
from tests.factories import dialogue, write_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(simulated_dataset, model, tmp_path) -> Dataset:
    """Simulated dialogues with gold, a model's proposals on them, some accepted, some corrected, and
    a hand-made one with unknown fields everywhere a file may carry them."""
    odd = dialogue("odd", unknown_top={"kept": [1, "two"]})
    odd["turns"][0]["unknown_turn"] = True
    odd["labels"]["turns"]["t1"]["unknown_label"] = {"x": None}
    odd["labels"]["unknown_labels"] = "kept"
    import_dialogues(
        source=ImportSource.from_path(write_lines(tmp_path / "odd.jsonl", [odd])), dataset=simulated_dataset
    )
    label_dataset(dataset=simulated_dataset, model_version=model)
    proposed = Label.objects.filter(model_version=model, kind=LabelKind.INTENT).order_by("id")
    Label.objects.filter(pk__in=list(proposed.values_list("pk", flat=True)[:10])).update(
        status=LabelStatus.ACCEPTED
    )
    Label.objects.filter(pk__in=list(proposed.values_list("pk", flat=True)[10:15])).update(
        status=LabelStatus.CORRECTED, value="GetWeather"
    )
    return simulated_dataset


@pytest.mark.parametrize("labels", ["gold", "reviewed", "best", "model:tiny"])
def test_each_record_is_what_its_export_line_reads_as(corpus, labels):
    lines = iter_export_lines(dataset=corpus, selection=LabelSelection.parse(labels))

    records = list(dialogue_records(corpus, labels=labels))

    assert [record.data for record in records] == [json.loads(line) for line in lines]
    assert len(records) == corpus.dialogues.count() == 25


def test_a_record_carries_its_keys_and_the_unknown_fields_a_file_brought(corpus):
    (odd,) = [record for record in dialogue_records(corpus, labels="gold") if record.external_id == "odd"]

    assert (odd.pk, odd.dataset) == (corpus.dialogues.get(external_id="odd").pk, corpus.name)
    assert odd.data["unknown_top"] == {"kept": [1, "two"]}
    assert odd.data["turns"][0]["unknown_turn"] is True
    assert odd.data["labels"]["turns"]["t1"]["unknown_label"] == {"x": None}
    assert odd.data["labels"]["unknown_labels"] == "kept"
    assert odd.data["turns"][0]["barge_in"] is True

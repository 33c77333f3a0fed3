"""The label filters and ``changed_since`` in an export, the same from the CLI as over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from annotations.formats.export_formats import iter_export
from annotations.formats.exporting import LabelSelection
from annotations.label_filters import LabelFilter
from annotations.models import Dialogue, Label, LabelKind, LabelSource, LabelStatus
from tests.annotations.page_helpers import make_dialogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def labelled(dataset, reviewer):
    make_dialogue(dataset, "d1", ["play purple haze", "louder please"], author=reviewer)
    make_dialogue(dataset, "d2", ["what is the weather in paris"], author=reviewer)
    return dataset


def lines(dataset, labels="best", **filters) -> list[dict]:
    text = "".join(iter_export(dataset, LabelSelection.parse(labels), "jsonl", **filters))
    return [json.loads(line) for line in text.splitlines()]


def turn_label_kinds(line: dict) -> set[str]:
    return {kind for label in line.get("labels", {}).get("turns", {}).values() for kind in label}


def test_a_kind_filter_keeps_only_labels_of_those_kinds_but_every_dialogue(labelled):
    exported = lines(labelled, label_filter=LabelFilter(kinds=("intent",)))
    assert [line["id"] for line in exported] == ["d1", "d2"]
    assert all(turn_label_kinds(line) == {"intent"} for line in exported)
    assert all("goals" not in line["labels"] for line in exported)


def test_source_and_confidence_filters_narrow_the_best_labels(labelled):
    from_model = lines(labelled, label_filter=LabelFilter(source=LabelSource.MODEL))
    assert all(turn_label_kinds(line) == {"slots"} for line in from_model)
    assert lines(labelled, label_filter=LabelFilter(confidence_min=0.9))[0].get("labels") is None


@pytest.fixture(params=["few changed labels", "many changed labels"])
def changed_labels_path(request, monkeypatch):
    """Both ways of finding changed dialogues: from the changed labels, and by probing each dialogue."""
    if request.param == "many changed labels":
        monkeypatch.setattr("annotations.label_filters.FEW_CHANGED_LABELS", 0)


def test_changed_since_exports_the_changed_dialogues_whole(labelled, changed_labels_path):
    since = timezone.now() + timedelta(minutes=5)
    assert lines(labelled, changed_since=since) == []
    one = Label.objects.filter(dialogue__external_id="d2", kind=LabelKind.INTENT).first()
    Label.objects.filter(pk=one.pk).update(
        status=LabelStatus.ACCEPTED, updated_at=since + timedelta(seconds=1)
    )
    [changed] = lines(labelled, changed_since=since)
    assert changed["id"] == "d2"
    # Whole: the labels that did not change come too, so the pull can replace the dialogue by id.
    assert turn_label_kinds(changed) == {"intent", "slots", "defect"}
    assert changed["labels"]["goals"]
    assert changed == lines(labelled)[1]


def test_changed_since_includes_dialogues_imported_since(labelled, changed_labels_path):
    since = timezone.now() + timedelta(minutes=5)
    Dialogue.objects.filter(external_id="d1").update(created_at=since + timedelta(seconds=1))
    assert [line["id"] for line in lines(labelled, changed_since=since)] == ["d1"]


def test_the_command_takes_the_same_filters(labelled, tmp_path):
    out = tmp_path / "intents.jsonl"
    call_command(
        "export_dialogues", "--dataset", labelled.name, "--labels", "best", "--kind", "intent,defect",
        "--status", "gold", "--out", str(out), "--no-progress",
    )  # fmt: skip
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(turn_label_kinds(line) == {"intent"} for line in exported)
    assert exported == lines(
        labelled, label_filter=LabelFilter(kinds=("defect", "intent"), statuses=("gold",))
    )


def test_the_command_names_a_bad_filter_option(labelled):
    with pytest.raises(CommandError, match="--confidence-min: A valid number is required"):
        call_command("export_dialogues", "--dataset", labelled.name, "--confidence-min", "high")
    with pytest.raises(CommandError, match="--reviewer: No user named 'nobody'"):
        call_command("export_dialogues", "--dataset", labelled.name, "--reviewer", "nobody")
    with pytest.raises(CommandError, match="--changed-since"):
        call_command("export_dialogues", "--dataset", labelled.name, "--changed-since", "last week")


def test_datasets_whose_dialogues_interleave_export_only_their_own(dataset):
    from annotations.models import Dataset

    other = Dataset.objects.create(name="other")
    for number in range(6):
        make_dialogue(dataset if number % 2 == 0 else other, f"d{number}", [f"turn of d{number}"])
    mine = lines(dataset)
    assert [line["id"] for line in mine] == ["d0", "d2", "d4"]
    assert [line["turns"][0]["utterance"] for line in mine] == ["turn of d0", "turn of d2", "turn of d4"]
    assert all(set(line["labels"]["turns"]) == {"t1"} for line in mine)


def test_a_dataset_spread_thinly_among_another_exports_the_same_in_small_batches(dataset):
    from annotations.models import Dataset

    other = Dataset.objects.create(name="other")
    for number in range(12):
        make_dialogue(dataset if number in (0, 11) else other, f"d{number}", [f"turn of d{number}"])
    exported = "".join(iter_export(dataset, LabelSelection.parse("best"), "jsonl", batch_size=2))
    assert exported == "".join(iter_export(dataset, LabelSelection.parse("best"), "jsonl"))
    assert [json.loads(line)["id"] for line in exported.splitlines()] == ["d0", "d11"]

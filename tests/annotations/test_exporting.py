from __future__ import annotations

import gzip
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from annotations.formats.exporting import LabelSelection, iter_export_lines
from annotations.formats.importing import ImportSource, import_dialogues
from annotations.label_filters import LabelFilter
from annotations.models import Dataset, Label, LabelKind, LabelSource, LabelStatus, Turn
from models_app.models import ModelVersion
from tests.factories import dialogue, write_lines

pytestmark = pytest.mark.django_db


def export(dataset, labels="gold") -> list[dict]:
    return [
        json.loads(line)
        for line in iter_export_lines(dataset=dataset, selection=LabelSelection.parse(labels))
    ]


def import_file(path, dataset):
    return import_dialogues(source=ImportSource.from_path(path), dataset=dataset)


def label_on(turn, kind, value, *, status, source_type, **fields) -> Label:
    """A label on a turn, written now (a model's, a person's or another import's)."""
    now = timezone.now()
    return Label.objects.create(
        dialogue=turn.dialogue,
        turn=turn,
        kind=kind,
        value=value,
        status=status,
        source_type=source_type,
        created_at=now,
        updated_at=now,
        **fields,
    )


def test_an_export_gives_back_every_imported_field(tmp_path, dataset):
    original = dialogue("rich", future_field={"kept": True})
    original["turns"][0]["emotion"] = "annoyed"
    original["turns"][0]["metadata"] = {"latency_ms": 420}
    original["labels"]["sentiment"] = "negative"
    original["labels"]["turns"]["t1"]["urgency"] = 3
    original["labels"]["goals"][0]["topic"] = "music"
    import_file(write_lines(tmp_path / "in.jsonl", [original]), dataset)

    [exported] = export(dataset)

    assert exported == original


def test_unknown_keys_come_back_in_the_order_of_the_file(tmp_path, dataset):
    if connection.vendor == "postgresql":
        pytest.skip("jsonb keeps an object's keys in an order of its own")
    original = dialogue("ordered")
    original["turns"][0].update({"zeta": 1, "alpha": 2, "mid": 3})
    original["labels"]["turns"]["t1"].update({"zz": True, "aa": False})
    import_file(write_lines(tmp_path / "in.jsonl", [original]), dataset)

    [line] = iter_export_lines(dataset=dataset, selection=LabelSelection.parse("gold"))

    assert line.index('"zeta"') < line.index('"alpha"') < line.index('"mid"')
    assert line.index('"zz"') < line.index('"aa"')


def test_importing_an_export_gives_back_the_same_export(tmp_path, dataset):
    awkward = "tab\there, a line\nbreak, a \\ backslash, \r, emoji 🎸 and café"
    lines = [
        dialogue("a"),
        {"id": "b", "turns": [{"utterance": awkward, "response": "", "metadata": {"raw": awkward}}]},
        dialogue("c", metadata={}),
    ]
    import_file(write_lines(tmp_path / "in.jsonl", lines), dataset)
    first = export(dataset)
    copy = Dataset.objects.create(name="copy")

    import_file(write_lines(tmp_path / "again.jsonl", first), copy)

    assert export(copy) == first


def test_the_command_writes_plain_and_gzip_files(tmp_path, dataset):
    import_file(write_lines(tmp_path / "in.jsonl", [dialogue("a"), dialogue("b")]), dataset)

    call_command("export_dialogues", "--dataset", dataset.name, "--out", str(tmp_path / "out.jsonl"))
    call_command("export_dialogues", "--dataset", dataset.name, "--out", str(tmp_path / "out.jsonl.gz"))

    plain = (tmp_path / "out.jsonl").read_bytes()
    assert gzip.decompress((tmp_path / "out.jsonl.gz").read_bytes()) == plain
    assert [json.loads(line)["id"] for line in plain.splitlines()] == ["a", "b"]
    assert not list(tmp_path.glob("*.partial"))


def test_the_command_refuses_an_unknown_selection_or_dataset(dataset):
    with pytest.raises(CommandError, match="labels must be gold, reviewed, best or model:NAME"):
        call_command("export_dialogues", "--dataset", dataset.name, "--labels", "silver")
    with pytest.raises(CommandError, match="No model version named 'ghost'"):
        call_command("export_dialogues", "--dataset", dataset.name, "--labels", "model:ghost")
    with pytest.raises(CommandError, match="No dataset named 'nope'"):
        call_command("export_dialogues", "--dataset", "nope")


@pytest.fixture
def labelled(tmp_path, dataset):
    """One imported dialogue plus a model's proposals on it, one of them reviewed."""
    import_file(
        write_lines(
            tmp_path / "in.jsonl",
            [{"id": "d", "turns": [{"utterance": "play jazz"}, {"utterance": "louder"}]}],
        ),
        dataset,
    )
    model = ModelVersion.objects.create(name="m1")
    t1, t2 = Turn.objects.order_by("position")

    def propose(turn, kind, value, confidence, status=LabelStatus.PROPOSED):
        return label_on(
            turn,
            kind,
            value,
            status=status,
            source_type=LabelSource.MODEL,
            confidence=confidence,
            model_version=model,
        )

    propose(t1, LabelKind.INTENT, "PlayMusic", 0.9, LabelStatus.ACCEPTED)
    propose(t2, LabelKind.INTENT, "VolumeUp", 0.6)
    propose(t2, LabelKind.DEFECT, True, 0.3, LabelStatus.REJECTED)
    return dataset


def test_the_selection_decides_which_labels_are_written(labelled):
    assert "labels" not in export(labelled, "gold")[0]
    assert export(labelled, "reviewed")[0]["labels"] == {"turns": {"t1": {"intent": "PlayMusic"}}}
    assert export(labelled, "best")[0]["labels"] == {
        "turns": {"t1": {"intent": "PlayMusic"}, "t2": {"intent": "VolumeUp"}}
    }
    assert export(labelled, "model:m1")[0]["labels"]["turns"]["t2"] == {"intent": "VolumeUp", "defect": True}


def test_best_prefers_gold_over_a_confident_model(labelled):
    t2 = Turn.objects.get(external_id="t2")
    label_on(t2, LabelKind.INTENT, "VolumeDown", status=LabelStatus.GOLD, source_type=LabelSource.IMPORT)

    assert export(labelled, "best")[0]["labels"]["turns"]["t2"] == {"intent": "VolumeDown"}


def test_preferences_and_rewrites_round_trip_as_labels(tmp_path, dataset):
    original = dialogue("taught")
    original["labels"]["turns"]["t1"].update(preferences=[], rewrite=None)
    original["labels"]["turns"]["t2"]["preferences"].append(
        {"domain": "music", "key": "genre", "value": "polka", "polarity": "dislike", "mood": "never"}
    )
    import_file(write_lines(tmp_path / "in.jsonl", [original]), dataset)

    [exported] = export(dataset)

    assert exported["labels"] == original["labels"]
    assert not Turn.objects.exclude(labels_extra={}).exists()


def test_a_kind_filter_exports_only_the_preferences_or_only_the_rewrites(tmp_path, dataset):
    import_file(write_lines(tmp_path / "in.jsonl", [dialogue("taught")]), dataset)

    def turns(kind: str) -> dict:
        lines = iter_export_lines(
            dataset=dataset, selection=LabelSelection.parse("gold"), label_filter=LabelFilter(kinds=(kind,))
        )
        return json.loads(next(lines))["labels"]["turns"]

    assert turns("preferences") == {"t2": {"preferences": dialogue()["labels"]["turns"]["t2"]["preferences"]}}
    assert turns("rewrite") == {"t1": {"rewrite": "play purple haze by jimi hendrix"}}


def test_of_two_labels_with_the_same_standing_the_newest_is_written(tmp_path, dataset):
    import_file(
        write_lines(
            tmp_path / "in.jsonl",
            [
                {
                    "id": "d",
                    "turns": [{"utterance": "play jazz"}],
                    "labels": {"turns": {"t1": {"intent": "Old"}}},
                }
            ],
        ),
        dataset,
    )
    turn = Turn.objects.get()

    def gold(kind, value):
        return label_on(turn, kind, value, status=LabelStatus.GOLD, source_type=LabelSource.PERSON)

    gold(LabelKind.DEFECT, False)  # another kind between them, in id order
    gold(LabelKind.INTENT, "Newer")
    gold(LabelKind.INTENT, "Newest")

    for selection in ("gold", "reviewed", "best"):
        assert export(dataset, selection)[0]["labels"]["turns"]["t1"] == {"intent": "Newest", "defect": False}

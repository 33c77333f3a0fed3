from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.models import Dialogue, Label
from models_app.recipes.corpora import CorpusError, bio_to_spans, snips_dialogues

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_bio_tags_become_character_spans_over_the_joined_tokens():
    tokens = ["add", "the", "song", "purple", "haze", "to", "my", "road", "trip", "playlist"]
    tags = [
        "O",
        "O",
        "B-music_item",
        "B-entity_name",
        "I-entity_name",
        "O",
        "O",
        "B-playlist",
        "I-playlist",
        "O",
    ]

    spans = bio_to_spans(tokens, tags)

    text = " ".join(tokens)
    assert [(text[s["start"] : s["end"]], s["type"]) for s in spans] == [
        ("song", "music_item"),
        ("purple haze", "entity_name"),
        ("road trip", "playlist"),
    ]


def test_an_inside_tag_without_its_beginning_opens_a_span():
    assert bio_to_spans(["play", "jazz", "now"], ["O", "I-genre", "O"]) == [
        {"start": 5, "end": 9, "type": "genre"}
    ]


def test_a_snips_split_with_mismatched_files_is_refused(tmp_path):
    folder = tmp_path / "snips" / "valid"
    folder.mkdir(parents=True)
    (folder / "seq.in").write_text("play jazz\n")
    (folder / "seq.out").write_text("O B-genre\nO\n")
    (folder / "label").write_text("PlayMusic\n")

    with pytest.raises(CorpusError, match="differ in length"):
        list(snips_dialogues(tmp_path, "valid"))


@pytest.mark.skipif(not (SHARED_DATA / "snips").exists(), reason="needs ../shared/data")
@pytest.mark.django_db
def test_the_snips_valid_split_imports_every_line_with_gold_intent_and_slots():
    call_command(
        "import_corpus",
        "snips",
        "--split",
        "valid",
        "--dataset",
        "snips-valid",
        "--data-dir",
        str(SHARED_DATA),
    )

    assert Dialogue.objects.count() == 700
    assert Label.objects.filter(kind="intent").count() == 700


@pytest.mark.django_db
def test_an_unknown_split_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="SNIPS 'test' split not found"):
        call_command(
            "import_corpus", "snips", "--split", "test", "--dataset", "x", "--data-dir", str(tmp_path)
        )

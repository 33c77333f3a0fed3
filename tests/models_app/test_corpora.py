from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.models import DatasetStats, Dialogue, Label
from models_app.recipes.corpora import (
    SPLITS,
    CorpusError,
    bio_to_spans,
    corpus_dialogues,
    in_split,
    sgd_dialogue,
    snips_dialogues,
)

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
def test_the_snips_valid_split_imports_every_line_with_gold_intent_and_slots_and_is_counted():
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
    # Imported through annotations.services, as every other import: the dataset's counts are kept.
    assert DatasetStats.objects.get(dataset__name="snips-valid").dialogues == 700


@pytest.mark.django_db
def test_an_unknown_split_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'dev'"):
        call_command(
            "import_corpus", "snips", "--split", "dev", "--dataset", "x", "--data-dir", str(tmp_path)
        )


def test_a_missing_split_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="SNIPS 'valid' split not found"):
        call_command(
            "import_corpus", "snips", "--split", "valid", "--dataset", "x", "--data-dir", str(tmp_path)
        )
    with pytest.raises(CommandError, match="SNIPS's test split is not here"):
        call_command(
            "import_corpus", "snips", "--split", "test", "--dataset", "x", "--data-dir", str(tmp_path)
        )


def _sgd_turn(speaker: str, utterance: str, intent: str | None = None, slots=(), extra_frame=None) -> dict:
    frame = {"service": "Restaurants_1", "slots": list(slots), "actions": []}
    if speaker == "USER":
        frame["state"] = {"active_intent": intent or "NONE", "requested_slots": [], "slot_values": {}}
    return {
        "speaker": speaker,
        "utterance": utterance,
        "frames": [frame, *([extra_frame] if extra_frame else [])],
    }


SGD_RECORD = {
    "dialogue_id": "1_00001",
    "services": ["Restaurants_1"],
    "turns": [
        _sgd_turn(
            "USER",
            "Find me a place to eat in San Jose.",
            "FindRestaurants",
            [{"slot": "city", "start": 26, "exclusive_end": 34}],
        ),
        _sgd_turn("SYSTEM", "What kind of food?"),
        _sgd_turn(
            "USER",
            "Italian, please.",
            "FindRestaurants",
            [{"slot": "cuisine", "start": 0, "exclusive_end": 7}],
        ),
        _sgd_turn("SYSTEM", "Il Fornaio is nice. Shall I book it?"),
        _sgd_turn("USER", "Yes, book it.", "ReserveRestaurant"),
        _sgd_turn("SYSTEM", "Booked."),
        _sgd_turn("USER", "Thanks, that's all."),
    ],
}


def test_an_sgd_dialogue_becomes_user_turns_with_the_systems_answers_and_goals_by_active_intent():
    dialogue = sgd_dialogue(SGD_RECORD)

    assert dialogue["id"] == "sgd-1_00001"
    assert [(t["id"], t["utterance"], t.get("response")) for t in dialogue["turns"]] == [
        ("t1", "Find me a place to eat in San Jose.", "What kind of food?"),
        ("t2", "Italian, please.", "Il Fornaio is nice. Shall I book it?"),
        ("t3", "Yes, book it.", "Booked."),
        ("t4", "Thanks, that's all.", None),
    ]
    # A turn with no active intent ("thanks") stays with the goal it closes, and has no intent gold.
    assert dialogue["labels"]["goals"] == [{"turns": ["t1", "t2"]}, {"turns": ["t3", "t4"]}]
    turns = dialogue["labels"]["turns"]
    assert [turns[t].get("intent") for t in ("t1", "t2", "t3", "t4")] == [
        "FindRestaurants",
        "FindRestaurants",
        "ReserveRestaurant",
        None,
    ]
    assert turns["t1"]["slots"] == [{"start": 26, "end": 34, "type": "city"}]
    assert "Find me a place to eat in San Jose."[26:34] == "San Jose"


def test_a_turn_that_moves_to_a_second_service_starts_its_goal_and_keeps_one_span_per_place():
    record = {
        "dialogue_id": "2_00002",
        "turns": [
            _sgd_turn(
                "USER",
                "Book a table in Paris.",
                "ReserveRestaurant",
                [{"slot": "city", "start": 16, "exclusive_end": 21}],
            ),
            _sgd_turn(
                "USER",
                "And a hotel in Paris too.",
                "ReserveRestaurant",
                [{"slot": "city", "start": 15, "exclusive_end": 20}],
                extra_frame={
                    "service": "Hotels_1",
                    "slots": [{"slot": "location", "start": 15, "exclusive_end": 20}],
                    "state": {"active_intent": "ReserveHotel"},
                },
            ),
        ],
    }
    dialogue = sgd_dialogue(record)
    assert dialogue["labels"]["goals"] == [{"turns": ["t1"]}, {"turns": ["t2"]}]
    assert dialogue["labels"]["turns"]["t2"]["intent"] == "ReserveHotel"
    assert dialogue["labels"]["turns"]["t2"]["slots"] == [{"start": 15, "end": 20, "type": "city"}]


def test_the_splits_of_a_corpus_without_its_own_are_disjoint_stable_and_cover_everything():
    keys = [f"sgd:{number}" for number in range(2000)]
    members = {split: {key for key in keys if in_split(key, split)} for split in SPLITS}
    assert sum(len(chosen) for chosen in members.values()) == len(keys)
    assert set().union(*members.values()) == set(keys)
    assert 150 < len(members["valid"]) < 250 and 150 < len(members["test"]) < 250
    assert members == {split: {key for key in keys if in_split(key, split)} for split in SPLITS}


def test_the_snips_test_split_is_not_here_on_purpose(tmp_path):
    with pytest.raises(CorpusError, match="test split is not here"):
        list(snips_dialogues(tmp_path, "test"))


@pytest.mark.skipif(not (SHARED_DATA / "sgd").exists(), reason="../shared/data/sgd is not beside the project")
def test_every_sgd_dialogue_of_the_shared_copy_converts_with_spans_inside_their_utterances():
    converted = [dialogue for split in SPLITS for dialogue in corpus_dialogues("sgd", SHARED_DATA, split)]
    assert len(converted) == 4870
    for dialogue in converted:
        utterances = {turn["id"]: turn["utterance"] for turn in dialogue["turns"]}
        for turn_id, label in dialogue["labels"]["turns"].items():
            for span in label["slots"]:
                assert 0 <= span["start"] < span["end"] <= len(utterances[turn_id])
        goal_turns = [turn for goal in dialogue["labels"]["goals"] for turn in goal["turns"]]
        assert goal_turns == sorted(set(goal_turns), key=goal_turns.index)

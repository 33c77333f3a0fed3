"""Each failure kind leaves the evidence in the log that a real one would."""

from __future__ import annotations

from typing import Any

from tests.simulator.conftest import turns_with


def test_asr_failure_changes_the_utterance_from_what_was_meant(dialogues: list[dict[str, Any]]) -> None:
    found = turns_with(dialogues, "asr")
    assert found
    for d, turn, _ in found:
        assert turn["utterance"] != d["metadata"]["truth"]["intended_utterances"][turn["id"]]
        assert d["metadata"]["truth"]["asr_errors"][turn["id"]] == "error"
    mean_failed = sum(t["asr_confidence"] for _, t, _ in found) / len(found)
    clean = turns_with(dialogues, "none")
    mean_clean = sum(t["asr_confidence"] for _, t, _ in clean) / len(clean)
    assert mean_failed < mean_clean - 0.15  # confidence tracks errors


def test_recovered_asr_slip_is_labelled_none(dialogues: list[dict[str, Any]]) -> None:
    slips = 0
    for d in dialogues:
        truth = d["metadata"]["truth"]
        for turn in d["turns"]:
            if truth["asr_errors"].get(turn["id"]) == "slip":
                slips += 1
                label = d["labels"]["turns"][turn["id"]]
                assert turn["utterance"] != truth["intended_utterances"][turn["id"]]
                assert label["failure_point"] != "asr"
                if label["failure_point"] == "none":
                    assert turn["intent"] == label["intent"]
                    assert label["defect"] is False
    assert slips > 20


def test_nlu_failure_acts_on_a_wrong_intent(dialogues: list[dict[str, Any]]) -> None:
    found = turns_with(dialogues, "nlu")
    assert found
    for d, turn, label in found:
        assert turn["intent"] != label["intent"]
        assert turn["utterance"] == d["metadata"]["truth"]["intended_utterances"][turn["id"]] or (
            d["metadata"]["truth"]["asr_errors"].get(turn["id"]) == "slip"
        )
        assert label["defect"] is True


def test_entity_failure_keeps_the_intent_but_resolves_another_entity(dialogues: list[dict[str, Any]]) -> None:
    found = turns_with(dialogues, "entity")
    assert found
    explicit = 0
    for d, turn, label in found:
        assert turn["intent"] == label["intent"]
        meant = d["metadata"]["truth"]["entities"][turn["id"]]
        assert meant["meant"] != meant["resolved"]
        assert meant["resolved"] in turn["response"]
        if label["slots"]:
            explicit += 1
            said = {(s["start"], s["end"]): s["value"] for s in label["slots"]}
            heard = {(s["start"], s["end"]): s["value"] for s in turn["slots"]}
            assert said.keys() == heard.keys() and said != heard
    assert explicit > 0


def test_false_wake_has_no_intent_and_sits_in_no_goal(dialogues: list[dict[str, Any]]) -> None:
    found = turns_with(dialogues, "false_wake")
    assert found
    for d, turn, label in found:
        assert label["intent"] is None and label["slots"] == []
        assert all(turn["id"] not in g["turns"] for g in d["labels"]["goals"])
        assert label["defect"] is True


def test_result_failure_reads_intent_and_slots_right(dialogues: list[dict[str, Any]]) -> None:
    found = turns_with(dialogues, "result")
    assert found
    for _, turn, label in found:
        assert turn["intent"] == label["intent"]
        assert [(s["start"], s["end"], s["value"]) for s in turn["slots"]] == [
            (s["start"], s["end"], s["value"]) for s in label["slots"]
        ]
        assert turn["status"] in ("SUCCESS", "ERROR")


def test_unfulfillable_request_answered_correctly_is_labelled_none(dialogues: list[dict[str, Any]]) -> None:
    found = [
        (d, t)
        for d in dialogues
        for t in d["turns"]
        if t["status"] == "NO_RESULT" and d["labels"]["turns"][t["id"]]["failure_point"] == "none"
    ]
    assert found
    for d, turn in found:
        label = d["labels"]["turns"][turn["id"]]
        assert turn["intent"] == label["intent"] and label["defect"] is False


def test_failed_turns_are_restated_and_have_a_rewrite_in_truth(dialogues: list[dict[str, Any]]) -> None:
    for d in dialogues:
        rewrites = d["metadata"]["truth"]["successful_rewrite"]
        for tid, label in d["labels"]["turns"].items():
            if label["failure_point"] in ("asr", "nlu", "entity", "result"):
                assert tid in rewrites
                if label["failure_point"] != "result":
                    assert rewrites[tid]


def test_preferences_shape_implicit_requests(dialogues: list[dict[str, Any]]) -> None:
    implicit = 0
    for d in dialogues:
        prefs = d["metadata"]["user_preferences"]
        for goal in d["metadata"]["truth"]["goals"]:
            if goal.get("implicit"):
                implicit += 1
                assert goal["implicit"] in (prefs["home_city"], prefs["favorite_team"], prefs["music_genre"])
    assert implicit > 50


def test_teaching_and_guided_questions_occur(dialogues: list[dict[str, Any]]) -> None:
    intents = [lab["intent"] for d in dialogues for lab in d["labels"]["turns"].values()]
    for name in ("preference_teach", "preference_learn", "preference_answer"):
        assert name in intents

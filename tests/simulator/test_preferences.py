"""Teaching turns carry the preference they state, and failed turns the rewrite that would have served
the person: labels true by construction, the same as the metadata's truth."""

from __future__ import annotations

from typing import Any

from simulator.goals import PREFERENCE_KEYS, PREFERENCE_KINDS

# Where each (domain, key) of a preference label sits in metadata.user_preferences.
TRUE_PREFERENCE = {
    ("sports", "team"): "favorite_team",
    ("weather", "city"): "home_city",
    ("food", "cuisine"): "cuisine",
    ("music", "genre"): "music_genre",
}
TEACHING_INTENTS = ("preference_teach", "preference_answer")


def labelled_turns(
    dialogues: list[dict[str, Any]],
) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(dialogue, turn, label) for every turn."""
    return [(d, turn, d["labels"]["turns"][turn["id"]]) for d in dialogues for turn in d["turns"]]


def goal_truth_of(d: dict[str, Any], turn_id: str) -> dict[str, Any]:
    [index] = [i for i, goal in enumerate(d["labels"]["goals"]) if turn_id in goal["turns"]]
    return d["metadata"]["truth"]["goals"][index]


def test_the_preference_keys_are_one_exported_table_of_every_kind():
    assert PREFERENCE_KEYS == {
        "team": ("sports", "team"),
        "city": ("weather", "city"),
        "cuisine": ("food", "cuisine"),
        "genre": ("music", "genre"),
    }
    assert PREFERENCE_KINDS == ("team", "city", "cuisine", "genre")


def test_every_teaching_turn_states_the_persons_own_preference_with_the_span_that_says_it(
    dialogues: list[dict[str, Any]],
) -> None:
    seen: set[tuple[str, str]] = set()
    for d, turn, label in labelled_turns(dialogues):
        if label["intent"] not in TEACHING_INTENTS:
            continue
        [preference] = label["preferences"]
        domain_key = (preference["domain"], preference["key"])
        seen.add(domain_key)
        assert domain_key in PREFERENCE_KEYS.values()
        assert preference["value"] == d["metadata"]["user_preferences"][TRUE_PREFERENCE[domain_key]]
        assert preference["polarity"] == "like"
        [slot] = [
            s for s in label["slots"] if (s["start"], s["end"]) == (preference["start"], preference["end"])
        ]
        assert slot["value"] == preference["value"]
        assert turn["utterance"][preference["start"] : preference["end"]].strip()
        # The goal's truth says it too: a slot value of a statement or an answer, or the preference a
        # request left implicit (a teachable moment).
        truth = goal_truth_of(d, turn["id"])
        assert preference["value"] in [
            *(v for values in truth["slots"].values() for v in values),
            truth["implicit"],
        ]
    assert seen == set(PREFERENCE_KEYS.values())


def test_only_teaching_turns_state_preferences(dialogues: list[dict[str, Any]]) -> None:
    stating = {label["intent"] for _, _, label in labelled_turns(dialogues) if "preferences" in label}
    assert stating == set(TEACHING_INTENTS)


def test_a_teachable_moment_teaches_the_preference_the_request_left_implicit(
    dialogues: list[dict[str, Any]],
) -> None:
    moments = 0
    for d, turn, label in labelled_turns(dialogues):
        if label["intent"] != "preference_teach" or "preferences" not in label:
            continue
        truth = goal_truth_of(d, turn["id"])
        if truth["intent"] == "preference_teach":
            continue  # a statement of its own, not inside a request
        moments += 1
        [preference] = label["preferences"]
        assert preference["value"] == truth["implicit"]
        # It follows the request the assistant got wrong for want of the preference.
        position = [t["id"] for t in d["turns"]].index(turn["id"])
        assert d["labels"]["turns"][d["turns"][position - 1]["id"]]["failure_point"] == "entity"
    assert moments > 5


def test_failed_turns_carry_the_rewrite_that_would_have_served_the_person(
    dialogues: list[dict[str, Any]],
) -> None:
    rewritten = 0
    for d, turn, label in labelled_turns(dialogues):
        truth = d["metadata"]["truth"]["successful_rewrite"]
        assert ("rewrite" in label) == (turn["id"] in truth)
        if "rewrite" in label:
            rewritten += 1
            assert label["rewrite"] == truth[turn["id"]]
            assert label["failure_point"] != "none" and label["defect"] is True
    assert rewritten > 500
    assert any(label.get("rewrite", "") is None for _, _, label in labelled_turns(dialogues))

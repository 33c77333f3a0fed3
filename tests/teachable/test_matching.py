from __future__ import annotations

from teachable.matching import CatalogueIndex, Entity, Known, Rule, choose, normalise, resolve_reading

TEAMS = CatalogueIndex(
    [
        Entity(1, "Golden State Warriors", ("the warriors", "the golden state warriors")),
        Entity(2, "San Francisco Giants", ("the giants", "the san francisco giants")),
        Entity(3, "New York Giants", ("the giants", "the new york giants")),
    ]
)
CITIES = CatalogueIndex(
    [
        Entity(10, "Springfield, IL", ("springfield", "springfield illinois")),
        Entity(11, "Springfield, MO", ("springfield", "springfield missouri")),
        Entity(12, "Austin, TX", ("austin", "austin texas")),
    ]
)
RULES = [
    Rule("weather_query", "place_name", "weather", "city", "city"),
    Rule("sports_query", "sport_team", "sports", "team", "team"),
]


def test_names_are_compared_without_case_punctuation_or_a_leading_article() -> None:
    assert normalise("The Warriors!") == "warriors"
    assert TEAMS.exact("the WARRIORS")[0].value == "Golden State Warriors"


def test_a_free_text_answer_names_its_entity_even_misspelt() -> None:
    mention = TEAMS.find("oh definitely the golden state warrior!")
    assert mention is not None and not mention.ambiguous
    assert mention.entities[0].value == "Golden State Warriors"


def test_a_name_shared_by_two_entities_comes_back_with_both() -> None:
    mention = TEAMS.find("the giants of course")
    assert mention is not None and mention.ambiguous
    assert {e.value for e in mention.entities} == {"San Francisco Giants", "New York Giants"}


def test_the_longer_name_wins_over_the_shared_short_one() -> None:
    mention = TEAMS.find("i follow the new york giants")
    assert mention is not None and [e.value for e in mention.entities] == ["New York Giants"]


def test_words_that_name_nothing_find_nothing() -> None:
    assert TEAMS.find("i don't really watch sports") is None


def test_a_missing_slot_is_filled_from_the_liked_preference() -> None:
    known = [Known(7, "weather", "city", "Austin, TX", "like")]
    resolution = resolve_reading("weather_query", [], known, RULES, {"city": CITIES})
    assert resolution.slots == [
        {"type": "place_name", "value": "Austin, TX", "source": "preference", "resolved": True}
    ]
    assert resolution.applied[0]["preference"] == 7 and resolution.applied[0]["action"] == "filled"


def test_an_ambiguous_slot_takes_the_entity_the_person_likes() -> None:
    known = [Known(8, "weather", "city", "Springfield, MO", "like")]
    resolution = resolve_reading(
        "weather_query", [{"type": "place_name", "value": "springfield"}], known, RULES, {"city": CITIES}
    )
    assert resolution.slots[0]["value"] == "Springfield, MO"
    assert resolution.applied[0]["candidates"] == ["Springfield, IL", "Springfield, MO"]


def test_what_the_person_said_plainly_is_never_overwritten() -> None:
    known = [Known(8, "weather", "city", "Springfield, MO", "like")]
    slots = [{"type": "place_name", "value": "austin"}]
    resolution = resolve_reading("weather_query", slots, known, RULES, {"city": CITIES})
    assert resolution.slots == slots and resolution.applied == []


def test_dislikes_and_other_intents_leave_the_reading_alone() -> None:
    known = [Known(9, "sports", "team", "New York Giants", "dislike")]
    assert resolve_reading("sports_query", [], known, RULES, {}).applied == []
    liked = [Known(10, "sports", "team", "New York Giants", "like")]
    assert resolve_reading("play_music", [], liked, RULES, {}).applied == []


def test_a_choice_is_made_by_any_words_that_single_one_out() -> None:
    giants = TEAMS.exact("the giants")
    assert choose("new york", giants).value == "New York Giants"
    assert choose("the one in san francisco", giants).value == "San Francisco Giants"
    assert choose("the giants", giants) is None  # both fit equally: no choice made

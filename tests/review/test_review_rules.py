"""The rules of review as plain functions: which label is under review, valid values, verdicts, and
where goal success labels go when the goals change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from review.rules import (
    REJECTED,
    SuccessLabel,
    TurnInfo,
    current_labels,
    is_awaiting,
    plan_goal_success,
    same_value,
    validate_value,
    verdict_key,
)
from selflearn_site.exceptions import ApplicationError


@dataclass
class Row:
    id: int
    source_type: str
    model_version_id: int | None = None
    status: str = "proposed"
    turn_id: int | None = 1
    kind: str = "intent"
    value: Any = "PlayMusic"


def test_a_persons_label_is_under_review_before_a_models_and_a_model_before_an_import():
    imported, old_model, new_model = Row(1, "import"), Row(2, "model", 7), Row(3, "model", 9)
    assert current_labels([imported, new_model, old_model])[(1, "intent")] is new_model
    person = Row(4, "person")
    assert current_labels([imported, new_model, person])[(1, "intent")] is person


def test_a_label_waits_until_it_has_as_many_verdicts_as_the_dataset_asks_for():
    proposal = Row(1, "model", 1)
    assert is_awaiting(proposal, 0, 1)
    assert not is_awaiting(proposal, 1, 1)
    assert is_awaiting(proposal, 2, 3)
    assert not is_awaiting(Row(2, "import", status="gold"), 0, 1)
    assert not is_awaiting(Row(3, "model", 1, status="rejected"), 0, 3)
    # A person's own label is their verdict; others review it only where corroboration is asked for.
    assert not is_awaiting(Row(4, "person", status="accepted"), 0, 1)
    assert is_awaiting(Row(4, "person"), 1, 3)


def test_spans_in_another_order_are_the_same_value_and_every_rejection_is_one_category():
    first = [{"start": 5, "end": 9, "type": "city"}, {"start": 0, "end": 4, "type": "song"}]
    second = list(reversed(first))
    assert same_value("slots", first, second)
    assert verdict_key("slots", "accept", first) == verdict_key("slots", "correct", second)
    assert verdict_key("intent", "reject", "A") == verdict_key("intent", "reject", None) == REJECTED


JAZZ = {"domain": "music", "key": "genre", "value": "jazz"}
TURNS = [
    TurnInfo(pk=10, external_id="t1", position=0, utterance="play purple haze"),
    TurnInfo(pk=11, external_id="t2", position=1, utterance="louder"),
    TurnInfo(pk=12, external_id="t3", position=2, utterance="thanks"),
]


@pytest.mark.parametrize(
    ("kind", "value", "turn", "message"),
    [
        (
            "slots",
            [{"start": 5, "end": 40, "type": "song"}],
            TURNS[0],
            "value[0].end: is outside the utterance",
        ),
        (
            "slots",
            [{"start": 0, "end": 4, "type": "a"}, {"start": 2, "end": 6, "type": "b"}],
            TURNS[0],
            "overlaps",
        ),
        ("intent", "", TURNS[0], "non-empty string"),
        ("failure_point", "keyboard", TURNS[0], "one of none, false_wake"),
        ("rephrase_of", "t3", TURNS[1], "earlier turn"),
        ("rephrase_of", ["t1"], TURNS[1], "earlier turn"),
        ("defect", "yes", TURNS[0], "true or false"),
        ("goal_segments", [{"turns": ["t1", "t3"]}], None, "value[0].turns: must be consecutive"),
        ("goal_segments", [{"turns": ["t2"]}, {"turns": ["t1"]}], None, "comes before the goal before it"),
        ("goal_segments", [{"turns": [{"id": "t1"}]}], None, "non-empty array of turn ids"),
        ("intent", "PlayMusic", None, "turn: is required"),
        ("preferences", {"domain": "music"}, TURNS[0], "value: must be an array of preferences"),
        (
            "preferences",
            [{"domain": "music", "key": "genre"}],
            TURNS[0],
            "value[0].value: must be a non-empty",
        ),
        (
            "preferences",
            [{**JAZZ, "polarity": "love"}],
            TURNS[0],
            "value[0].polarity: must be like or dislike",
        ),
        (
            "preferences",
            [{**JAZZ, "start": 5, "end": 40}],
            TURNS[0],
            "value[0].end: is outside the utterance",
        ),
        ("preferences", [{**JAZZ, "start": 5}], TURNS[0], "value[0].end: is required with start"),
        ("rewrite", "  ", TURNS[0], "would have served the person, or null"),
        ("rewrite", ["play jazz"], TURNS[0], "would have served the person, or null"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_field_and_the_place(kind, value, turn, message):
    with pytest.raises(ApplicationError) as raised:
        validate_value(kind, value, turn=turn, turns=TURNS)
    assert message in raised.value.message
    assert raised.value.extra["field"] in {"value", "turn"}


def test_valid_values_of_every_kind_pass():
    for kind, value, turn in [
        ("slots", [{"start": 5, "end": 16, "type": "song"}], TURNS[0]),
        ("intent", None, TURNS[0]),
        ("failure_point", "asr", TURNS[0]),
        ("rephrase_of", "t1", TURNS[1]),
        ("defect", True, TURNS[0]),
        ("goal_success", False, TURNS[0]),
        ("goal_segments", [{"turns": ["t1", "t2"]}, {"turns": ["t3"]}], None),
        ("preferences", [{**JAZZ, "polarity": "dislike", "start": 5, "end": 16}], TURNS[0]),
        ("preferences", [], TURNS[0]),
        ("rewrite", "play purple haze by jimi hendrix", TURNS[0]),
        ("rewrite", None, TURNS[0]),
    ]:
        validate_value(kind, value, turn=turn, turns=TURNS)


def test_preferences_in_another_order_and_a_like_left_unsaid_are_the_same_value():
    stated = [JAZZ, {"domain": "sports", "key": "team", "value": "Chicago Bulls", "polarity": "like"}]
    confirmed = [{"domain": "sports", "key": "team", "value": "Chicago Bulls"}, {**JAZZ, "polarity": "like"}]
    assert same_value("preferences", stated, confirmed)
    assert verdict_key("preferences", "accept", stated) == verdict_key("preferences", "correct", confirmed)
    assert not same_value("preferences", [JAZZ], [{**JAZZ, "polarity": "dislike"}])
    assert not same_value("preferences", [JAZZ], [{**JAZZ, "start": 5, "end": 16}])


OLD = [["t1", "t2", "t3"], ["t4", "t5"]]
SUCCESS = [SuccessLabel(1, "t1", True), SuccessLabel(2, "t4", False)]


def test_moving_a_boundary_up_moves_the_next_goals_success_label_to_its_new_first_turn():
    plan = plan_goal_success(OLD, [["t1", "t2"], ["t3", "t4", "t5"]], SUCCESS)
    assert (plan.moves, plan.rejects, plan.creates) == ([(2, "t3")], [], [])


def test_moving_a_boundary_down_keeps_both_goals_success_labels():
    plan = plan_goal_success(OLD, [["t1", "t2", "t3", "t4"], ["t5"]], SUCCESS)
    assert (plan.moves, plan.rejects, plan.creates) == ([(2, "t5")], [], [])


def test_a_goal_split_off_another_starts_with_the_success_of_the_goal_it_came_from():
    plan = plan_goal_success(OLD, [["t1"], ["t2", "t3"], ["t4", "t5"]], SUCCESS)
    assert (plan.moves, plan.rejects, plan.creates) == ([], [], [("t2", True)])


def test_merging_two_goals_rejects_the_success_label_of_the_one_merged_away():
    plan = plan_goal_success(OLD, [["t1", "t2", "t3", "t4", "t5"]], SUCCESS)
    assert (plan.moves, plan.rejects, plan.creates) == ([], [2], [])

from __future__ import annotations

import pytest
from django.utils import timezone

from annotations.formats.importing import ImportSource, import_dialogues
from annotations.models import Label, LabelKind, LabelSource, LabelStatus, Turn
from jobs.models import Job
from selflearn_site.exceptions import ApplicationError
from teachable.matching import CatalogueIndex, Entity, Rule
from teachable.models import TeachableMoment
from teachable.moments import dialogue_moments
from teachable.selectors import known_preferences
from teachable.services import (
    PreferenceInput,
    find_moments_job_create,
    moment_confirm,
    moment_dismiss,
    preference_delete,
    preference_learn,
    resolution_rules_set,
    teachable_dataset_prepare,
)
from teachable.services.moments import moments_find

RULES = [Rule("weather_query", "place_name", "weather", "city", "city")]
CITIES = {
    "city": CatalogueIndex(
        [
            Entity(1, "Springfield, IL", ("springfield", "springfield illinois")),
            Entity(2, "Springfield, MO", ("springfield", "springfield missouri")),
        ]
    )
}


def _dialogue(*turns: dict, labels: dict | None = None) -> dict:
    return {"id": "d1", "user_id": "u1", "turns": list(turns), "labels": labels or {}}


def _turn(turn_id: str, utterance: str, **fields) -> dict:
    return {"id": turn_id, "utterance": utterance, "intent": "weather_query", **fields}


def test_a_name_several_entities_answer_to_is_an_ambiguous_entity_moment() -> None:
    spoken = _turn("t1", "weather in springfield", slots=[{"start": 11, "end": 22, "type": "place_name"}])
    (moment,) = dialogue_moments(_dialogue(spoken), RULES, CITIES)
    assert (moment.kind, moment.key, moment.candidates) == (
        "ambiguous_entity",
        "city",
        ("Springfield, IL", "Springfield, MO"),
    )
    assert (
        moment.question
        == "When you say “springfield”, which do you mean: Springfield, IL or Springfield, MO?"
    )


def test_a_reaction_to_a_guess_proposes_what_the_person_then_said_plainly() -> None:
    guess = _turn("t1", "what's the weather", feedback="negative", response="In Springfield, IL it's 54.")
    plain = _turn(
        "t2", "weather in springfield missouri", slots=[{"start": 11, "end": 31, "type": "place_name"}]
    )
    moments = dialogue_moments(_dialogue(guess, plain), RULES, CITIES)
    assert [(m.kind, m.turn_id, m.proposed_value) for m in moments] == [
        ("negative_feedback", "t1", "Springfield, MO")
    ]
    assert moments[0].evidence["turns"][0]["response"] == "In Springfield, IL it's 54."


@pytest.mark.parametrize(
    ("first", "second", "kind"),
    [
        ({"barge_in": True}, {}, "barge_in"),
        ({"timestamp": "2026-11-02T08:00:00Z"}, {"timestamp": "2026-11-02T08:00:20Z"}, "repeat"),
    ],
)
def test_interrupting_or_repeating_a_guess_is_a_moment(first, second, kind) -> None:
    turns = (_turn("t1", "what's the weather", **first), _turn("t2", "what's the weather", **second))
    assert dialogue_moments(_dialogue(*turns), RULES, CITIES)[0].kind == kind


def test_a_request_restated_and_never_served_is_a_failed_chain() -> None:
    labels = {"turns": {"t2": {"rephrase_of": "t1", "defect": True}}}
    turns = (_turn("t1", "how's it looking outside"), _turn("t2", "tell me the forecast"))
    assert dialogue_moments(_dialogue(*turns, labels=labels), RULES, CITIES)[0].kind == "failed_chain"


def test_no_reaction_no_speaker_or_no_rule_means_no_moment() -> None:
    assert dialogue_moments(_dialogue(_turn("t1", "what's the weather")), RULES, CITIES) == []
    # Speech not meant for the assistant (its label's intent is null), though the assistant acted on it.
    false_wake = _dialogue(
        _turn("t1", "put your shoes on", barge_in=True), labels={"turns": {"t1": {"intent": None}}}
    )
    assert dialogue_moments(false_wake, RULES, CITIES) == []
    silent = {**_dialogue(_turn("t1", "what's the weather", feedback="negative")), "user_id": None}
    assert dialogue_moments(silent, RULES, CITIES) == []
    music = _dialogue({"id": "t1", "utterance": "play music", "intent": "play_music", "feedback": "negative"})
    assert dialogue_moments(music, RULES, CITIES) == []


RICHMOND = {
    "city": CatalogueIndex(
        [
            Entity(3, "Richmond, CA", ("richmond", "richmond california")),
            Entity(4, "Richmond, VA", ("richmond",)),
        ]
    )
}


def _richmond(turn_id: str, utterance: str, **fields) -> dict:
    start = utterance.index("richmond")
    return _turn(
        turn_id, utterance, slots=[{"start": start, "end": start + 8, "type": "place_name"}], **fields
    )


def test_one_episode_said_four_ways_is_one_moment_with_every_turn_as_evidence() -> None:
    # As the demo's sim-7-000190: one goal, each attempt restating the one before.
    turns = (
        _turn("t1", "play some music", intent="play_music"),
        _richmond("t2", "what is the weather forecast for richmond"),
        _richmond("t3", "what's the weather like in richmond", feedback="negative"),
        _richmond("t4", "one is richmond weather"),
        _richmond("t5", "what is richmond weather"),
        _richmond("t6", "how is the traffic in richmond"),  # another goal: a moment of its own
    )
    labels = {
        "turns": {"t3": {"rephrase_of": "t2"}, "t4": {"rephrase_of": "t3"}, "t5": {"rephrase_of": "t4"}},
        "goals": [{"turns": ["t1"]}, {"turns": ["t2", "t3", "t4", "t5"]}, {"turns": ["t6"]}],
    }
    moment, other = dialogue_moments(_dialogue(*turns, labels=labels), RULES, RICHMOND)
    assert (other.turn_id, other.episode) == ("t6", ("t6",))
    assert (moment.kind, moment.turn_id, moment.candidates) == (
        "ambiguous_entity",
        "t2",
        ("Richmond, CA", "Richmond, VA"),
    )
    assert [turn["id"] for turn in moment.evidence["turns"]] == ["t2", "t3", "t4", "t5"]
    assert moment.episode == ("t2", "t3", "t4", "t5")


def test_a_repeat_straight_after_is_the_same_episode() -> None:
    turns = (
        _turn("t1", "what's the weather", timestamp="2026-11-02T08:00:00Z"),
        _turn("t2", "what's the weather", timestamp="2026-11-02T08:00:20Z", feedback="negative"),
    )
    (moment,) = dialogue_moments(_dialogue(*turns), RULES, CITIES)
    assert (moment.kind, moment.episode) == ("repeat", ("t1", "t2"))


@pytest.fixture
def logged(dataset, tmp_path):
    path = tmp_path / "logs.jsonl"
    path.write_text(
        '{"id": "d1", "user_id": "u1", "turns": ['
        '{"id": "t1", "utterance": "what\'s the weather", "intent": "weather_query", "feedback": "negative"},'
        '{"id": "t2", "utterance": "weather in springfield missouri", "intent": "weather_query",'
        ' "slots": [{"start": 11, "end": 31, "type": "place_name"}]}]}\n'
        '{"id": "d2", "user_id": "u2", "turns": [{"id": "t1", "utterance": "weather in springfield",'
        ' "intent": "weather_query", "slots": [{"start": 11, "end": 22, "type": "place_name"}]}]}\n'
    )
    import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
    teachable_dataset_prepare(dataset=dataset)
    return dataset


@pytest.mark.django_db
def test_the_job_finds_each_moment_once_and_a_confirmed_one_teaches_the_preference(
    logged, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = find_moments_job_create(dataset=logged, user=reviewer)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result == {"dialogues": 2, "moments_found": 2, "moments_new": 2}
    with django_capture_on_commit_callbacks(execute=True):
        again = find_moments_job_create(dataset=logged, user=reviewer)
    again.refresh_from_db()
    assert again.result["moments_new"] == 0
    assert TeachableMoment.objects.count() == 2

    guess = TeachableMoment.objects.get(user_key="u1")
    moment_confirm(moment=guess, value="", actor=reviewer)  # the proposal: what they said plainly
    assert [(k.key, k.value) for k in known_preferences(logged, "u1")] == [("city", "Springfield, MO")]
    with pytest.raises(ApplicationError, match="confirmed already") as refused:
        moment_dismiss(moment=guess, actor=reviewer)
    assert refused.value.status == 409

    ambiguous = TeachableMoment.objects.get(user_key="u2")
    with pytest.raises(ApplicationError, match="must be one of") as refused:
        moment_confirm(moment=ambiguous, value="Paris, TX", actor=reviewer)
    assert refused.value.extra["field"] == "value"
    moment_confirm(moment=ambiguous, value="Springfield, IL", actor=reviewer)
    assert known_preferences(logged, "u2")[0].value == "Springfield, IL"


@pytest.mark.django_db
def test_a_rerun_finds_nothing_new_where_the_episode_has_its_moment_on_another_turn(logged, reviewer):
    # d1's two turns are one goal; an earlier run, on other labels, had put its moment on the second.
    dialogue = logged.dialogues.get(external_id="d1")
    now = timezone.now()
    Label.objects.create(
        dialogue=dialogue,
        kind=LabelKind.GOAL_SEGMENTS,
        value=[{"turns": ["t1", "t2"]}],
        status=LabelStatus.GOLD,
        source_type=LabelSource.IMPORT,
        created_at=now,
        updated_at=now,
    )
    turn = Turn.objects.get(dialogue=dialogue, external_id="t2")
    TeachableMoment.objects.create(
        dataset=logged, user_key="u1", turn=turn, kind="repeat", domain="weather", key="city", question="?"
    )
    assert moments_find(dataset=logged)["moments_new"] == 1  # d2's: d1's episode has its moment
    assert TeachableMoment.objects.filter(turn__dialogue__external_id="d1").count() == 1


@pytest.mark.django_db
def test_teaching_one_moment_settles_the_persons_other_moments_it_answers(logged, reviewer):
    def moment(
        dialogue: str, kind: str, *, user: str = "u1", key: str = "city", candidates=()
    ) -> TeachableMoment:
        return TeachableMoment.objects.create(
            dataset=logged,
            user_key=user,
            turn=Turn.objects.get(dialogue__external_id=dialogue, external_id="t1"),
            kind=kind,
            domain="weather" if key == "city" else "sports",
            key=key,
            question="?",
            candidates=list(candidates),
        )

    taught = moment("d1", "repeat")
    implicit = moment("d2", "repeat")
    offered = moment("d1", "ambiguous_entity", candidates=["Springfield, IL", "Springfield, MO"])
    not_offered = moment("d2", "ambiguous_entity", candidates=["Portland, OR", "Portland, ME"])
    other_key = moment("d1", "barge_in", key="team")
    someone_else = moment("d2", "barge_in", user="u2")
    moment_confirm(moment=taught, value="springfield missouri", actor=reviewer)
    status = dict(TeachableMoment.objects.values_list("pk", "status"))
    assert status[implicit.pk] == status[offered.pk] == "confirmed"
    assert status[not_offered.pk] == status[other_key.pk] == status[someone_else.pk] == "open"
    preference = TeachableMoment.objects.get(pk=taught.pk).preference
    assert preference is not None and preference.value == "Springfield, MO"
    assert TeachableMoment.objects.get(pk=offered.pk).preference == preference


@pytest.mark.django_db
def test_a_dataset_without_rules_has_no_moments_to_find(logged, reviewer):
    resolution_rules_set(dataset=logged, rules=[])
    with pytest.raises(ApplicationError, match="no resolution rules"):
        find_moments_job_create(dataset=logged, user=reviewer)
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_moment_is_not_raised_for_a_key_the_person_stated_even_one_no_catalogue_knows(logged, reviewer):
    stated = preference_learn(
        dataset=logged, user_key="u1", data=PreferenceInput("weather", "city", "Smallville"), actor=reviewer
    )
    assert stated.resolved is False
    assert moments_find(dataset=logged)["moments_new"] == 1  # u2's choice among springfields only
    assert list(TeachableMoment.objects.values_list("user_key", flat=True)) == ["u2"]
    preference_delete(preference=stated, actor=reviewer)
    assert moments_find(dataset=logged)["moments_new"] == 1  # forgotten: the question is open again
    assert TeachableMoment.objects.filter(user_key="u1").exists()


@pytest.mark.django_db
def test_confirming_a_moment_with_a_city_no_catalogue_knows_stores_it_as_written(logged, reviewer):
    moments_find(dataset=logged)
    guess = TeachableMoment.objects.get(user_key="u1")
    moment_confirm(moment=guess, value="Smallville", actor=reviewer)
    assert [(k.value, k.resolved) for k in known_preferences(logged, "u1")] == [("Smallville", False)]

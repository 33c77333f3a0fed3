from __future__ import annotations

import pytest

from annotations.formats.importing import ImportSource, import_dialogues
from jobs.models import Job
from selflearn_site.exceptions import ApplicationError
from teachable.matching import CatalogueIndex, Entity, Rule
from teachable.models import TeachableMoment
from teachable.moments import dialogue_moments
from teachable.selectors import known_preferences
from teachable.services import (
    find_moments_job_create,
    moment_confirm,
    moment_dismiss,
    resolution_rules_set,
    teachable_dataset_prepare,
)

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
    silent = {**_dialogue(_turn("t1", "what's the weather", feedback="negative")), "user_id": None}
    assert dialogue_moments(silent, RULES, CITIES) == []
    music = _dialogue({"id": "t1", "utterance": "play music", "intent": "play_music", "feedback": "negative"})
    assert dialogue_moments(music, RULES, CITIES) == []


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
def test_a_dataset_without_rules_has_no_moments_to_find(logged, reviewer):
    resolution_rules_set(dataset=logged, rules=[])
    with pytest.raises(ApplicationError, match="no resolution rules"):
        find_moments_job_create(dataset=logged, user=reviewer)
    assert not Job.objects.exists()

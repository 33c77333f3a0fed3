from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from teachable.models import GuidedSession, Preference
from tests.teachable.conftest import stated_label

pytestmark = pytest.mark.django_db

BASE = "/api/datasets/assistant-logs"


@pytest.fixture(autouse=True)
def quick_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_assistant_walks_a_guided_session_turn_by_turn_and_the_next_request_is_resolved(people, reviewer):
    api = _as(reviewer)
    started = api.post(f"{BASE}/guided-sessions/", {"user_id": "u1"}, format="json")
    assert started.status_code == 201 and started.data["prompt"] == "Which sports team do you follow?"
    answer = f"{BASE}/guided-sessions/{started.data['id']}/answer/"
    for said in ("skip", "springfield missouri", "yes", "stop"):
        turn = api.post(answer, {"answer": said}, format="json")
    assert turn.data["ended"] and turn.data["learned"] == [
        {"key": "city", "value": "Springfield, MO", "polarity": "like", "resolved": True}
    ]

    resolved = api.post(
        f"{BASE}/resolve/",
        {
            "user_id": "u1",
            "utterance": "what's the weather in springfield",
            "intent": "weather_query",
            "slots": [{"type": "place_name", "value": "springfield"}],
        },
        format="json",
    )
    assert resolved.status_code == 200
    assert resolved.data["slots"][0]["value"] == "Springfield, MO"
    assert resolved.data["applied"][0]["action"] == "disambiguated"
    missing = api.post(f"{BASE}/resolve/", {"user_id": "u1", "intent": "weather_query"}, format="json")
    assert missing.data["slots"] == [
        {"type": "place_name", "value": "Springfield, MO", "source": "preference", "resolved": True}
    ]


def test_an_ended_session_answers_409_and_bad_answers_400(people, reviewer):
    api = _as(reviewer)
    session = api.post(f"{BASE}/guided-sessions/", {"user_id": "u1"}, format="json").data["id"]
    assert (
        api.post(f"{BASE}/guided-sessions/{session}/answer/", {"answer": ""}, format="json").status_code
        == 400
    )
    api.post(f"{BASE}/guided-sessions/{session}/stop/")
    late = api.post(f"{BASE}/guided-sessions/{session}/answer/", {"answer": "the warriors"}, format="json")
    assert late.status_code == 409 and "ended" in late.data["detail"]


def test_unknown_people_and_question_sets_answer_404_naming_the_field(people, reviewer):
    api = _as(reviewer)
    for response in (
        api.post(f"{BASE}/resolve/", {"user_id": "ghost", "intent": "weather_query"}, format="json"),
        api.post(f"{BASE}/guided-sessions/", {"user_id": "ghost"}, format="json"),
        api.get(f"{BASE}/users/ghost/"),
    ):
        assert response.status_code == 404 and "user_id" in response.data["detail"]
    unknown_set = api.post(
        f"{BASE}/guided-sessions/", {"user_id": "u1", "question_set": "nope"}, format="json"
    )
    assert unknown_set.status_code == 404 and "question_set" in unknown_set.data["detail"]
    assert not GuidedSession.objects.exists()


def test_reviewers_teach_and_correct_and_viewers_only_read(people, reviewer, viewer, stranger):
    taught = _as(reviewer).post(
        f"{BASE}/users/u1/preferences/",
        {"domain": "sports", "key": "team", "value": "the warriors"},
        format="json",
    )
    assert taught.status_code == 201 and taught.data["value"] == "Golden State Warriors"
    assert taught.data["source"] == "reviewer"
    corrected = _as(reviewer).put(
        f"{BASE}/preferences/{taught.data['id']}/",
        {"domain": "sports", "key": "team", "value": "the chicago bulls"},
        format="json",
    )
    assert corrected.status_code == 200 and corrected.data["value"] == "Chicago Bulls"
    assert _as(viewer).get(f"{BASE}/users/u1/preferences/").data[0]["value"] == "Chicago Bulls"
    assert len(_as(viewer).get(f"{BASE}/users/u1/preferences/?all=1").data) == 2
    refused = _as(viewer).post(
        f"{BASE}/users/u1/preferences/",
        {"domain": "sports", "key": "team", "value": "the jets"},
        format="json",
    )
    assert refused.status_code == 403
    assert _as(stranger).get(f"{BASE}/users/u1/preferences/").status_code == 404


def test_a_name_that_fits_several_entities_answers_400_naming_the_field(people, reviewer):
    response = _as(reviewer).post(
        f"{BASE}/users/u1/preferences/",
        {"domain": "sports", "key": "team", "value": "the giants"},
        format="json",
    )
    assert response.status_code == 400 and response.data["field"] == "value"
    assert not Preference.objects.exists()


def test_a_film_no_catalogue_knows_is_stored_exported_with_its_flag_and_forgotten(
    people, reviewer, dataset_admin
):
    film = {"domain": "movies", "key": "film", "value": "The Zebra Chronicles"}
    stored = _as(reviewer).post(f"{BASE}/users/u1/preferences/", film, format="json")
    assert stored.status_code == 201
    assert (stored.data["value"], stored.data["entity"], stored.data["resolved"]) == (
        "The Zebra Chronicles",
        None,
        False,
    )
    _as(reviewer).post(
        f"{BASE}/users/u1/preferences/", {"domain": "music", "key": "genre", "value": "jazz"}, format="json"
    )
    listed = _as(reviewer).get(f"{BASE}/users/u1/preferences/").data
    assert sorted((p["key"], p["resolved"]) for p in listed) == [("film", False), ("genre", True)]
    record = _as(reviewer).get(f"{BASE}/users/u1/").data
    assert sorted((p["value"], p["resolved"]) for p in record["preferences"]) == [
        ("The Zebra Chronicles", False),
        ("jazz", True),
    ]
    forgotten = _as(dataset_admin).delete(f"{BASE}/users/u1/")
    assert forgotten.data["deleted"]["preferences"] == 2 and not Preference.objects.exists()


def test_admins_replace_question_sets_and_rules_and_a_loop_is_refused(people, dataset_admin, reviewer):
    api = _as(dataset_admin)
    body = {
        "domain": "food",
        "questions": [
            {"key": "cuisine", "text": "What food?", "catalogue": "cuisine"},
            {"key": "dish", "text": "Favourite dish?", "answer_type": "text"},
        ],
    }
    saved = api.put(f"{BASE}/question-sets/food/", body, format="json")
    assert saved.status_code == 200 and [q["next"] for q in saved.data["questions"]] == ["dish", None]
    body["questions"][1]["next"] = "cuisine"
    looped = api.put(f"{BASE}/question-sets/food/", body, format="json")
    assert looped.status_code == 400 and "loop" in looped.data["detail"]
    assert _as(reviewer).put(f"{BASE}/question-sets/food/", body, format="json").status_code == 403
    rules = api.put(
        f"{BASE}/resolution-rules/",
        {"rules": [{"intent": "order_food", "slot_type": "food_type", "domain": "food", "key": "cuisine"}]},
        format="json",
    )
    assert rules.status_code == 200 and [r["intent"] for r in rules.data] == ["order_food"]
    bad = api.put(
        f"{BASE}/resolution-rules/",
        {"rules": [{"intent": "x", "slot_type": "y", "domain": "d", "key": "k", "catalogue": "planets"}]},
        format="json",
    )
    assert bad.status_code == 400 and bad.data["field"] == "rules"
    assert bad.data["detail"].startswith("rules[0].catalogue: no catalogue 'planets'")
    assert [r["intent"] for r in api.get(f"{BASE}/resolution-rules/").data] == ["order_food"]


def test_the_people_list_counts_dialogues_and_preferences(people, viewer):
    rows = _as(viewer).get(f"{BASE}/users/").data
    assert rows == [
        {"user_key": "u1", "dialogue_count": 2, "preference_count": 0},
        {"user_key": "u2", "dialogue_count": 1, "preference_count": 0},
    ]


def test_moments_are_found_in_the_workers_listed_per_person_and_decided(
    people, reviewer, viewer, django_capture_on_commit_callbacks
):
    from annotations.models import Turn

    turn = Turn.objects.get(dialogue__external_id="d2")
    turn.feedback, turn.intent = "negative", "weather_query"
    turn.save()
    with django_capture_on_commit_callbacks(execute=True):
        job = _as(reviewer).post(f"{BASE}/moments/find/")
    assert job.status_code == 202 and job.data["kind"] == "find_moments"
    assert _as(viewer).post(f"{BASE}/moments/find/").status_code == 403
    (moment,) = _as(viewer).get(f"{BASE}/users/u1/moments/").data
    assert (moment["kind"], moment["key"], moment["turn"]) == (
        "negative_feedback",
        "city",
        {"dialogue": "d2", "turn": "t1"},
    )
    decide = f"{BASE}/moments/{moment['id']}/decision/"
    assert _as(reviewer).post(decide, {"action": "confirm"}, format="json").status_code == 400  # no value
    confirmed = _as(reviewer).post(decide, {"action": "confirm", "value": "austin"}, format="json")
    assert confirmed.status_code == 200 and confirmed.data["status"] == "confirmed"
    assert _as(reviewer).post(decide, {"action": "dismiss"}, format="json").status_code == 409
    assert _as(viewer).get(f"{BASE}/users/u1/preferences/").data[0]["value"] == "Austin, TX"
    assert _as(viewer).get(f"{BASE}/users/u1/moments/?status=all").data[0]["status"] == "confirmed"


def test_settled_statements_not_learned_yet_are_learned_on_request(people, reviewer, viewer):
    stated_label(people)
    assert _as(viewer).post(f"{BASE}/preferences/learn-from-labels/").status_code == 403
    learned = _as(reviewer).post(f"{BASE}/preferences/learn-from-labels/")
    assert learned.data == {"labels": 1, "learned": 1, "skipped": []}
    assert _as(reviewer).post(f"{BASE}/preferences/learn-from-labels/").data["learned"] == 0

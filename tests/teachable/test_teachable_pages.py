from __future__ import annotations

import json

import pytest
from django.urls import reverse

from teachable.models import GuidedSession, Preference, QuestionSet
from tests.teachable.conftest import stated_label

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _person_url(dataset, user_key: str = "u1") -> str:
    return reverse("teachable:person-detail", args=[dataset.name, user_key])


def test_the_people_page_lists_each_speaker_with_counts(client, people, viewer):
    client.force_login(viewer)
    response = client.get(reverse("teachable:people-list", args=[people.name]))
    assert response.status_code == 200
    assert [p["user_key"] for p in response.context["people"]] == ["u1", "u2"]
    assert (
        client.get(reverse("teachable:people-list", args=[people.name]), {"q": "2"}).context["people"][0][
            "user_key"
        ]
        == "u2"
    )


def test_a_stranger_gets_404_and_an_unknown_person_404(client, people, stranger, viewer):
    client.force_login(stranger)
    assert client.get(_person_url(people)).status_code == 404
    client.force_login(viewer)
    assert client.get(_person_url(people, "ghost")).status_code == 404


def test_a_reviewer_adds_corrects_and_deletes_a_preference(client, people, reviewer):
    client.force_login(reviewer)
    url = _person_url(people)
    added = client.post(
        url,
        {
            "action": "add",
            "add-domain": "sports",
            "add-key": "team",
            "add-value": "the warriors",
            "add-polarity": "like",
        },
    )
    assert added.status_code == 302
    preference = Preference.objects.get()
    client.post(
        url,
        {
            "action": "correct",
            "preference": preference.pk,
            f"p{preference.pk}-domain": "sports",
            f"p{preference.pk}-key": "team",
            f"p{preference.pk}-value": "the bulls",
            f"p{preference.pk}-polarity": "like",
        },
    )
    current = Preference.objects.get(active=True)
    assert current.value == "Chicago Bulls"
    client.post(url, {"action": "delete", "preference": current.pk})
    assert not Preference.objects.filter(active=True).exists()
    page = client.get(url)
    assert [event.action for event in page.context["events"]][:2] == ["delete", "create"]


def test_a_value_no_catalogue_knows_is_saved_as_written_and_marked_unresolved(client, people, reviewer):
    client.force_login(reviewer)
    response = client.post(
        _person_url(people),
        {
            "action": "add",
            "add-domain": "movies",
            "add-key": "film",
            "add-value": "The Zebra Chronicles",
            "add-polarity": "like",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Preference.objects.get().resolved is False
    page = response.content.decode()
    assert 'The Zebra Chronicles</strong> <span class="badge badge--warning preference-unresolved"' in page


def test_a_name_that_fits_several_entities_shows_on_the_form_and_saves_nothing(client, people, reviewer):
    client.force_login(reviewer)
    response = client.post(
        _person_url(people),
        {
            "action": "add",
            "add-domain": "sports",
            "add-key": "team",
            "add-value": "the giants",
            "add-polarity": "like",
        },
    )
    assert response.status_code == 400
    assert "could be" in str(response.context["add_form"].errors["value"])
    assert not Preference.objects.exists()


def test_viewers_read_but_cannot_teach(client, people, viewer):
    client.force_login(viewer)
    page = client.get(_person_url(people))
    assert page.status_code == 200 and not page.context["may_teach"]
    refused = client.post(
        _person_url(people), {"action": "add", "add-domain": "music", "add-key": "genre", "add-value": "jazz"}
    )
    assert refused.status_code == 403 and not Preference.objects.exists()


def test_trying_a_request_on_the_person_page_shows_the_resolved_reading(client, people, reviewer):
    client.force_login(reviewer)
    client.post(
        _person_url(people),
        {
            "action": "add",
            "add-domain": "weather",
            "add-key": "city",
            "add-value": "austin",
            "add-polarity": "like",
        },
    )
    page = client.get(_person_url(people), {"intent": "weather_query", "slots": ""})
    assert page.context["resolution"].slots == [
        {"type": "place_name", "value": "Austin, TX", "source": "preference", "resolved": True}
    ]


def test_a_guided_session_in_the_browser_form_stores_confirmed_answers(client, people, reviewer):
    client.force_login(reviewer)
    started = client.post(
        reverse("teachable:guided-start", args=[people.name, "u2"]), {"question_set": "learn-my-preferences"}
    )
    session = GuidedSession.objects.get()
    assert started["Location"] == reverse("teachable:guided-session", args=[people.name, "u2", session.pk])
    for answer in ({"answer": "the warriors"}, {"quick": "yes"}, {"quick": "stop"}):
        client.post(started["Location"], answer)
    page = client.get(started["Location"])
    assert page.context["turn"]["ended"] and "Golden State Warriors" in page.context["turn"]["prompt"]
    assert Preference.objects.get().user_key == "u2"


def test_the_export_is_a_json_download_and_forgetting_is_for_admins(client, people, reviewer, dataset_admin):
    client.force_login(reviewer)
    export = client.get(reverse("teachable:person-export", args=[people.name, "u1"]))
    assert export["Content-Disposition"] == 'attachment; filename="assistant-logs-u1.json"'
    assert json.loads(export.content)["user_id"] == "u1"
    forget = reverse("teachable:person-forget", args=[people.name, "u1"])
    assert client.post(forget).status_code == 403
    client.force_login(dataset_admin)
    assert client.post(forget).status_code == 302


def test_admins_start_from_the_defaults_and_edit_a_question_set(client, dataset, dataset_admin):
    client.force_login(dataset_admin)
    url = reverse("teachable:teaching-settings", args=[dataset.name])
    client.post(url, {"action": "defaults"})
    assert QuestionSet.objects.get().name == "learn-my-preferences"
    response = client.post(
        url,
        {
            "name": "music",
            "domain": "music",
            "q-TOTAL_FORMS": "1",
            "q-INITIAL_FORMS": "0",
            "q-0-key": "genre",
            "q-0-text": "What music?",
            "q-0-answer_type": "entity",
            "q-0-catalogue": "genre",
        },
    )
    assert response.status_code == 302
    assert QuestionSet.objects.get(name="music").first_question.text == "What music?"
    refused = client.post(
        url,
        {
            "name": "x",
            "domain": "y",
            "q-TOTAL_FORMS": "1",
            "q-INITIAL_FORMS": "0",
            "q-0-key": "k",
            "q-0-text": "?",
            "q-0-answer_type": "entity",
            "q-0-catalogue": "planets",
        },
    )
    assert refused.status_code == 400 and "no catalogue" in str(
        refused.context["set_form"].non_field_errors()
    )


def test_a_moment_is_found_from_the_people_page_and_taught_from_the_persons(
    client, people, reviewer, django_capture_on_commit_callbacks
):
    from annotations.models import Turn

    turn = Turn.objects.get(dialogue__external_id="d2")
    turn.barge_in, turn.intent = True, "weather_query"
    turn.save()
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        found = client.post(reverse("teachable:people-list", args=[people.name]), {"action": "find-moments"})
    assert found.status_code == 302 and "/jobs/" in found["Location"]
    page = client.get(_person_url(people))
    (moment,) = page.context["moments"]
    assert moment.kind == "barge_in" and "Interrupted a guess" in page.content.decode()
    client.post(_person_url(people), {"action": "moment-confirm", "moment": moment.pk, "value": "boston"})
    assert Preference.objects.get().value == "Boston, MA"
    assert list(client.get(_person_url(people)).context["moments"]) == []


def test_an_ambiguous_answer_to_a_moment_is_asked_back_beside_it_and_keeps_what_was_typed(
    client, people, reviewer
):
    from annotations.models import Turn
    from teachable.models import TeachableMoment

    moment = TeachableMoment.objects.create(
        dataset=people,
        user_key="u1",
        turn=Turn.objects.get(dialogue__external_id="d2"),
        kind="barge_in",
        domain="weather",
        key="city",
        question="Which city should I use when you ask “what's the weather”?",
    )
    client.force_login(reviewer)
    response = client.post(
        _person_url(people), {"action": "moment-confirm", "moment": moment.pk, "value": "springfield"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="springfield"' in html and 'aria-invalid="true"' in html
    assert "“springfield” could be Springfield, IL or Springfield, MA or Springfield, MO; say which." in html
    assert "value:" not in html
    moment.refresh_from_db()
    assert moment.status == "open" and not Preference.objects.exists()


def test_a_statement_learned_from_the_logs_links_to_the_turn_that_said_it(client, people, viewer):
    from teachable.services import preferences_learn_from_labels

    turn = stated_label(people).turn
    preferences_learn_from_labels(dataset=people)
    client.force_login(viewer)
    page = client.get(_person_url(people)).content.decode()
    link = reverse("annotations:dialogue-detail", args=[people.name, turn.dialogue.external_id]) + "#turn-t1"
    assert "Golden State Warriors" in page and link in page

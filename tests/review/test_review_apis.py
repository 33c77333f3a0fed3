"""The review API: the same services as the page, 409 with the current label on a stale revision, 400
naming the field on bad input, 403 for viewers and 404 for strangers, a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Label, LabelKind, LabelStatus, ReviewEvent
from tests.review.review_helpers import label_of, make_reviewable

pytestmark = pytest.mark.django_db


@pytest.fixture
def dialogue(dataset):
    return make_reviewable(dataset, "d1", ["play purple haze", "louder please", "thanks"])


def decide(client, dataset, label, **body):
    url = reverse("api-review-decision", args=[dataset.name, label.pk])
    return client.post(url, body, content_type="application/json")


def test_a_correction_answers_with_the_changed_label_and_the_reviewers_progress(
    client, dataset, dialogue, reviewer
):
    client.force_login(reviewer)
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    response = decide(client, dataset, intent, action="correct", revision=1, value="GetWeather")
    assert response.status_code == 200
    body = response.json()
    [label] = body["labels"]
    assert (label["id"], label["value"], label["status"], label["revision"]) == (
        intent.pk,
        "GetWeather",
        "corrected",
        2,
    )
    assert label["mine"] == {"decision": "correct", "value": "GetWeather"}
    total = Label.objects.filter(dialogue=dialogue).count()
    assert body["progress"] == {
        "awaiting_for_me": total - 1,
        "awaiting": total - 1,
        "done": False,
        "reviews_done": 0,
        "required": 1,
    }


def test_a_stale_revision_answers_409_with_the_current_value_and_saves_nothing(
    client, dataset, dialogue, reviewer, dataset_admin
):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    client.force_login(reviewer)
    decide(client, dataset, intent, action="correct", revision=1, value="GetWeather")
    client.force_login(dataset_admin)
    response = decide(client, dataset, intent, action="correct", revision=1, value="SetAlarm")
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "revision" and "changed by rita" in body["detail"]
    assert [(c["id"], c["value"], c["revision"]) for c in body["current"]] == [(intent.pk, "GetWeather", 2)]
    intent.refresh_from_db()
    assert intent.value == "GetWeather"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "approve", "revision": 1}, "action"),
        ({"action": "accept"}, "revision"),
        ({"action": "accept", "revision": 0}, "revision"),
        ({"action": "accept", "revision": 2**40}, "revision"),
        ({"action": "correct", "revision": 1}, "value"),
        ({"action": "accept", "revision": 1, "value": "x"}, "value"),
        ({"action": "correct", "revision": 1, "value": [{"start": 0, "end": 99, "type": "song"}]}, "value"),
    ],
)
def test_bad_input_answers_400_naming_the_field(client, dataset, dialogue, reviewer, body, field):
    client.force_login(reviewer)
    kind = LabelKind.SLOTS if isinstance(body.get("value"), list) else LabelKind.INTENT
    response = decide(client, dataset, label_of(dialogue, kind, "t1"), **body)
    assert response.status_code == 400
    data = response.json()
    assert field in data or data.get("field") == field
    assert not ReviewEvent.objects.exists()


def test_accept_all_accepts_every_label_named_or_none(client, dataset, dialogue, reviewer):
    client.force_login(reviewer)
    labels = list(Label.objects.filter(dialogue=dialogue))
    url = reverse("api-review-accept-all", args=[dataset.name, dialogue.pk])
    stale = [{"id": label.pk, "revision": 1 if index else 5} for index, label in enumerate(labels)]
    response = client.post(url, {"labels": stale}, content_type="application/json")
    assert response.status_code == 409
    assert not Label.objects.filter(status=LabelStatus.ACCEPTED).exists()
    fresh = [{"id": label.pk, "revision": 1} for label in labels]
    response = client.post(url, {"labels": fresh}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["progress"]["done"] is True
    assert Label.objects.filter(dialogue=dialogue, status=LabelStatus.ACCEPTED).count() == len(labels)


def test_undo_and_label_create_go_through_the_api(client, dataset, dialogue, reviewer):
    client.force_login(reviewer)
    Label.objects.filter(dialogue=dialogue, kind=LabelKind.REPHRASE_OF, turn__external_id="t2").delete()
    create = reverse("api-review-label-create", args=[dataset.name, dialogue.pk])
    response = client.post(
        create, {"kind": "rephrase_of", "turn": "t2", "value": "t3"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "value"  # t3 comes after t2
    response = client.post(
        create, {"kind": "rephrase_of", "turn": "t2", "value": "t1"}, content_type="application/json"
    )
    assert response.status_code == 201
    [created] = response.json()["labels"]
    assert (created["source"], created["value"]) == ("person", "t1")
    undo = reverse("api-review-undo", args=[dataset.name, dialogue.pk])
    response = client.post(undo, {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["deleted"] == [created["id"]]
    assert client.post(undo, {}, content_type="application/json").status_code == 409


def test_a_reviewer_adds_preferences_and_a_rewrite_and_corrects_them_through_the_api(
    client, dataset, dialogue, reviewer
):
    client.force_login(reviewer)
    create = reverse("api-review-label-create", args=[dataset.name, dialogue.pk])
    jazz = {"domain": "music", "key": "genre", "value": "jimi hendrix", "polarity": "love"}

    response = client.post(
        create, {"kind": "preferences", "turn": "t1", "value": [jazz]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("value[0].polarity: must be like or dislike")
    response = client.post(
        create,
        {"kind": "preferences", "turn": "t1", "value": [{**jazz, "polarity": "like", "start": 5, "end": 16}]},
        content_type="application/json",
    )
    assert response.status_code == 201
    [preferences] = response.json()["labels"]
    assert (preferences["kind"], preferences["source"]) == ("preferences", "person")
    response = client.post(
        create,
        {"kind": "rewrite", "turn": "t1", "value": "play purple haze by jimi hendrix"},
        content_type="application/json",
    )
    assert response.status_code == 201
    [rewrite] = response.json()["labels"]

    response = decide(
        client, dataset, Label.objects.get(pk=rewrite["id"]), action="correct", revision=1, value=None
    )
    assert response.status_code == 200 and response.json()["labels"][0]["value"] is None
    disliked = [{"domain": "music", "key": "artist", "value": "Jimi Hendrix", "polarity": "dislike"}]
    label = Label.objects.get(pk=preferences["id"])
    response = decide(client, dataset, label, action="correct", revision=label.revision, value=disliked)
    assert response.status_code == 200
    label.refresh_from_db()
    assert label.value == disliked


def test_next_holds_a_dialogue_and_says_where_it_is(client, dataset, dialogue, reviewer):
    client.force_login(reviewer)
    url = reverse("api-review-next", args=[dataset.name])
    body = client.post(url, {"policy": "random"}, content_type="application/json").json()
    assert body["dialogue"] == dialogue.pk
    assert body["url"] == reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])
    body = client.post(
        url, {"policy": "random", "leave": dialogue.pk}, content_type="application/json"
    ).json()
    assert body == {"dialogue": None, "url": None, "api_url": None}
    response = client.post(url, {"policy": "oldest"}, content_type="application/json")
    assert response.status_code == 400 and "policy" in response.json()


def test_the_review_data_is_what_the_page_draws(client, dataset, dialogue, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("api-review-dialogue", args=[dataset.name, dialogue.pk])).json()
    assert [turn["id"] for turn in body["turns"]] == ["t1", "t2", "t3"]
    assert len(body["labels"]) == Label.objects.filter(dialogue=dialogue).count()
    assert "GetWeather" in body["inventory"]["intents"] and "song" in body["inventory"]["slot_types"]


def test_viewers_may_not_decide_and_strangers_do_not_see_the_dataset(
    client, dataset, dialogue, viewer, stranger
):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    for person, expected in ((viewer, 403), (stranger, 404)):
        client.force_login(person)
        assert decide(client, dataset, intent, action="accept", revision=1).status_code == expected
        url = reverse("api-review-dialogue", args=[dataset.name, dialogue.pk])
        assert client.get(url).status_code == expected
    client.logout()
    assert decide(client, dataset, intent, action="accept", revision=1).status_code in (401, 403)


def test_a_save_costs_the_same_number_of_queries_whatever_the_dialogues_length(
    client, dataset, reviewer, django_assert_num_queries
):
    short = make_reviewable(dataset, "short", ["play jazz", "louder"])
    long = make_reviewable(dataset, "long", [f"utterance number {n}" for n in range(20)])
    client.force_login(reviewer)
    client.get("/")  # the session is read once per request below, as in real use
    for dialogue in (short, long):
        intent = label_of(dialogue, LabelKind.INTENT, "t2")
        with django_assert_num_queries(SAVE_QUERIES):
            response = decide(client, dataset, intent, action="correct", revision=1, value="GetWeather")
        assert response.status_code == 200
        labels = list(Label.objects.filter(dialogue=dialogue))
        url = reverse("api-review-accept-all", args=[dataset.name, dialogue.pk])
        body = {
            "labels": [
                {"id": label.pk, "revision": label.revision} for label in labels if label.pk != intent.pk
            ]
        }
        with django_assert_num_queries(ACCEPT_ALL_QUERIES):
            assert client.post(url, body, content_type="application/json").status_code == 200


# Session, user, dataset with the role, the dialogue; in the transaction: savepoint, the labels locked,
# the turns, the verdicts, the label update, the verdict upsert, the events; then the dialogue's labels
# and verdicts, the reviewer's progress, the done count, the queue state, the hold, the changed labels
# and the reviewer's verdicts on them, release of the savepoint. Accepting all is one action alike.
SAVE_QUERIES = 20
ACCEPT_ALL_QUERIES = 20

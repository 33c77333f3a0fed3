"""The review pages: the queue, the review page (its data and query budget), a dialogue's history,
adjudication and agreement, each for the roles that may see it."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from annotations.models import Label, LabelKind, LabelStatus, Membership, Role
from review.models import Adjudication, DialogueReviewState
from review.services.adjudication import dataset_required_reviews_set
from review.services.decisions import review_decide
from tests.review.review_helpers import decision, label_of, make_reviewable

pytestmark = pytest.mark.django_db


@pytest.fixture
def dialogue(dataset):
    dialogue = make_reviewable(dataset, "call-7", ["play purple haze", "louder please"], confidence=0.4)
    dialogue.dataset = dataset
    return dialogue


def page_data(response) -> dict:
    match = re.search(
        r'<script id="review-data" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    return json.loads(match.group(1))


def test_start_reviewing_takes_the_reviewer_to_the_dialogue_the_queue_holds_for_them(
    client, dataset, dialogue, reviewer
):
    client.force_login(reviewer)
    queue = client.get(reverse("review:review-queue", args=[dataset.name]))
    assert queue.status_code == 200 and queue.context["summary"]["open"] == 1
    response = client.post(reverse("review:review-next", args=[dataset.name]), {"policy": "random"})
    assert (
        response["Location"]
        == reverse("review:review-dialogue", args=[dataset.name, dialogue.pk]) + "?policy=random"
    )
    assert DialogueReviewState.objects.get(dialogue=dialogue).locked_by == reviewer
    # Moving on from it leaves nothing else: back to the queue, with a message.
    response = client.post(
        reverse("review:review-next", args=[dataset.name]), {"policy": "random", "leave": dialogue.pk}
    )
    assert response["Location"].startswith(reverse("review:review-queue", args=[dataset.name]))


def test_the_review_page_embeds_the_turns_labels_inventory_and_hold(client, dataset, dialogue, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk]))
    data = page_data(response)
    assert [turn["utterance"] for turn in data["turns"]] == ["play purple haze", "louder please"]
    intent = next(
        label
        for label in data["labels"]
        if label["kind"] == "intent" and label["turn"] == data["turns"][0]["pk"]
    )
    assert (intent["value"], intent["revision"], intent["awaiting"], intent["low"]) == (
        "PlayMusic",
        1,
        True,
        True,
    )
    assert data["lock"]["mine"] is True
    assert data["progress"]["awaiting_for_me"] == Label.objects.filter(dialogue=dialogue).count()
    html = response.content.decode()
    assert 'id="help"' in html and "js/review/main.js" in html and "css/review.css" in html


def test_someone_elses_hold_is_shown_on_the_page(client, dataset, dialogue, reviewer, dataset_admin):
    client.force_login(reviewer)
    client.get(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk]))
    client.force_login(dataset_admin)
    data = page_data(client.get(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])))
    assert (data["lock"]["held_by"], data["lock"]["mine"]) == ("rita", False)


def test_the_review_page_escapes_what_people_said(client, dataset, reviewer):
    dialogue = make_reviewable(dataset, "xss", ["play </script><script>alert(1)</script>"])
    client.force_login(reviewer)
    html = client.get(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])).content.decode()
    assert "<script>alert(1)" not in html


def test_the_review_page_costs_the_same_number_of_queries_whatever_the_dialogues_length(
    client, dataset, reviewer, django_assert_num_queries
):
    short = make_reviewable(dataset, "short", ["play jazz", "louder"])
    long = make_reviewable(dataset, "long", [f"utterance number {n}" for n in range(20)])
    client.force_login(reviewer)
    # Session, user, dataset with the role, dialogue, the hold, turns, labels with their model version
    # and author, verdicts, the queue state with its holder, the models' inventories.
    for dialogue in (short, long):
        with django_assert_num_queries(10):
            response = client.get(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk]))
        assert len(page_data(response)["turns"]) == dialogue.turns.count()


def test_reviewing_needs_the_reviewer_role_and_strangers_see_nothing(
    client, dataset, dialogue, viewer, stranger
):
    urls = [
        reverse("review:review-queue", args=[dataset.name]),
        reverse("review:review-dialogue", args=[dataset.name, dialogue.pk]),
    ]
    for person, expected in ((viewer, 403), (stranger, 404)):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == expected, url
        assert client.post(reverse("review:review-next", args=[dataset.name])).status_code == expected
    client.logout()
    assert client.get(urls[1]).status_code == 302


def test_the_history_lists_every_decision_with_who_and_before_and_after(
    client, dataset, dialogue, reviewer, viewer
):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(intent, "correct", "GetWeather")])
    client.force_login(viewer)
    response = client.get(reverse("review:dialogue-history", args=[dataset.name, dialogue.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "rita" in html and "Correct" in html and "PlayMusic" in html and "GetWeather" in html


def test_the_history_shows_slots_as_words_and_times_in_words_with_the_exact_time_in_a_title(
    client, dataset, dialogue, reviewer
):
    slots = label_of(dialogue, LabelKind.SLOTS, "t1")  # "play purple haze"
    corrected = [{"start": 5, "end": 16, "type": "song"}]
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(slots, "correct", corrected)])
    client.force_login(reviewer)
    html = client.get(reverse("review:dialogue-history", args=[dataset.name, dialogue.pk])).content.decode()
    assert "song “purple haze”" in html
    assert '"start"' not in html and "&quot;start&quot;" not in html
    assert re.search(
        r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[^"]*">just now</time>', html
    )


def test_an_admin_settles_a_disagreement_on_the_adjudication_page(
    client, dataset, dialogue, dataset_admin, make_user
):
    dataset_required_reviews_set(dataset=dataset, required_reviews=2)
    failure = label_of(dialogue, LabelKind.FAILURE_POINT, "t2")
    for name, value in (("ann", "asr"), ("ben", "nlu")):
        person = make_user(name)
        Membership.objects.create(dataset=dataset, user=person, role=Role.REVIEWER)
        review_decide(dialogue=dialogue, reviewer=person, decisions=[decision(failure, "correct", value)])
    client.force_login(dataset_admin)
    url = reverse("review:adjudication", args=[dataset.name])
    response = client.get(url)
    [row] = response.context["rows"]
    assert sorted(choice["value"] for choice in row["choices"]) == ["asr", "nlu"]
    asr = next(choice for choice in row["choices"] if choice["value"] == "asr")
    response = client.post(url, {"adjudication": row["adjudication"].pk, "choice": asr["key"]})
    assert response.status_code == 302
    failure.refresh_from_db()
    assert (failure.status, failure.value) == (LabelStatus.GOLD, "asr")
    assert Adjudication.objects.get().resolved_by == dataset_admin


@pytest.mark.parametrize(
    ("required", "said"),
    [
        (1, "this dataset asks for one review per label, so only labels reviewed while it asked for more"),
        (2, "Labels whose independent reviews disagree (this dataset asks for 2 reviews per label)."),
        (3, "(this dataset asks for 3 reviews per label)."),
    ],
)
def test_the_adjudication_page_says_how_many_reviews_a_label_needs_in_words_that_fit_the_number(
    client, dataset, dataset_admin, required, said
):
    dataset_required_reviews_set(dataset=dataset, required_reviews=required)
    client.force_login(dataset_admin)
    html = client.get(reverse("review:adjudication", args=[dataset.name])).content.decode()
    assert said in html and "whose 1 independent" not in html


def test_only_admins_adjudicate_and_set_the_reviews_per_label(client, dataset, reviewer, dataset_admin):
    client.force_login(reviewer)
    assert client.get(reverse("review:adjudication", args=[dataset.name])).status_code == 403
    settings_url = reverse("review:review-settings", args=[dataset.name])
    assert client.post(settings_url, {"required_reviews": "3"}).status_code == 403
    client.force_login(dataset_admin)
    client.post(settings_url, {"required_reviews": "3"})
    dataset.refresh_from_db()
    assert dataset.required_reviews == 3
    client.post(settings_url, {"required_reviews": "many"})
    dataset.refresh_from_db()
    assert dataset.required_reviews == 3


def test_the_agreement_page_shows_a_row_per_label_kind(client, dataset, dialogue, viewer):
    client.force_login(viewer)
    response = client.get(reverse("review:agreement", args=[dataset.name]))
    assert response.status_code == 200
    assert [row.kind for row in response.context["rows"]] == list(LabelKind.values)


def test_the_review_records_are_readable_but_not_editable_in_the_django_admin(
    client, dataset, dialogue, make_user
):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    review_decide(dialogue=dialogue, reviewer=make_user("ann"), decisions=[decision(intent, "accept")])
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    for name in ("labelreview", "dialoguereviewstate", "adjudication"):
        assert client.get(reverse(f"admin:review_{name}_changelist")).status_code == 200, name
        assert client.get(reverse(f"admin:review_{name}_add")).status_code == 403, name
    # The audit of every label change stays with the labels it audits.
    assert client.get(reverse("admin:annotations_reviewevent_changelist")).status_code == 200
    assert client.get(reverse("admin:annotations_reviewevent_add")).status_code == 403


def test_a_never_labelled_dataset_says_it_has_no_labels_yet_and_how_to_get_them(client, dataset, reviewer):
    client.force_login(reviewer)
    response = client.post(reverse("review:review-next", args=[dataset.name]), follow=True)
    html = response.content.decode()
    assert "Nothing is left for you to review" not in html
    assert "message--warning" in html and "has no labels to review yet" in html
    assert f'href="{reverse("models_app:dataset-label", args=[dataset.name])}"' in html

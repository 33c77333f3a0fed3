"""What the review page's script is told instead of deciding itself: the label kinds with their names and
targets, and which label of each (turn, kind) is under review, as review.rules.current_labels decides it,
in the page's data and in every answer of the review API (decision, create, accept all, undo, 409)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import TURN_LABEL_KINDS, Label, LabelKind, LabelSource, LabelStatus
from review.rules import current_labels
from tests.review.review_helpers import label_of, make_model, make_reviewable
from tests.review.test_review_pages import page_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def dialogue(dataset, reviewer):
    """Three turns of a model's proposals, and on some targets a second label that must lose or win:
    an import under a model's proposal, a newer model version's proposal, a person's own label."""
    dialogue = make_reviewable(dataset, "d1", ["play purple haze", "louder please", "thanks"])
    now = timezone.now()
    turns = {turn.external_id: turn for turn in dialogue.turns.all()}

    def add(kind: str, turn: str, value: Any, source: str, **extra: Any) -> Label:
        return Label.objects.create(
            dialogue=dialogue,
            turn=turns[turn],
            kind=kind,
            value=value,
            source_type=source,
            created_at=now,
            updated_at=now,
            **extra,
        )

    add(LabelKind.INTENT, "t1", "GetWeather", LabelSource.IMPORT, status=LabelStatus.GOLD)
    add(
        LabelKind.INTENT,
        "t2",
        "SetAlarm",
        LabelSource.MODEL,
        status=LabelStatus.PROPOSED,
        confidence=0.5,
        model_version=make_model("labeller-v3"),
    )
    add(LabelKind.DEFECT, "t3", True, LabelSource.PERSON, status=LabelStatus.CORRECTED, author=reviewer)
    return dialogue


def expected_under_review(dialogue) -> list[int]:
    return sorted(label.pk for label in current_labels(Label.objects.filter(dialogue=dialogue)).values())


def assert_one_per_target(under_review: list[int], dialogue) -> None:
    """Exactly one id per (turn, kind) that has labels, each the one current_labels chose."""
    assert under_review == expected_under_review(dialogue)
    targets = list(Label.objects.filter(pk__in=under_review).values_list("turn_id", "kind"))
    assert len(targets) == len(set(targets)) == len(under_review)
    assert set(targets) == set(Label.objects.filter(dialogue=dialogue).values_list("turn_id", "kind"))


def test_the_page_names_every_kind_and_says_which_are_listed_under_each_turn(client, dataset, reviewer):
    dialogue = make_reviewable(dataset, "d2", ["play jazz"])
    client.force_login(reviewer)
    data = page_data(client.get(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])))
    assert [(kind["kind"], kind["name"]) for kind in data["kinds"]] == list(LabelKind.choices)
    assert [kind["kind"] for kind in data["kinds"] if kind["target"] == "turn"] == list(TURN_LABEL_KINDS)
    targets = {kind["kind"]: kind["target"] for kind in data["kinds"]}
    assert (targets[LabelKind.GOAL_SEGMENTS], targets[LabelKind.GOAL_SUCCESS]) == ("dialogue", "goal")


def test_preferences_and_rewrites_are_the_kinds_a_turn_lists_only_where_it_has_one(client, dataset, reviewer):
    dialogue = make_reviewable(dataset, "d2", ["play jazz"])
    client.force_login(reviewer)
    data = page_data(client.get(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])))
    optional = [kind["kind"] for kind in data["kinds"] if kind["optional"]]
    assert optional == [LabelKind.PREFERENCES, LabelKind.REWRITE]


def test_the_page_marks_the_one_label_under_review_of_each_target(client, dataset, dialogue, reviewer):
    client.force_login(reviewer)
    data = page_data(client.get(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])))
    assert_one_per_target(data["under_review"], dialogue)
    assert set(data["under_review"]) <= {label["id"] for label in data["labels"]}
    # The model's proposal over the import, the newer model's over the older, the person's over both.
    turn = {t.external_id: t.pk for t in dialogue.turns.all()}
    chosen = {
        (label["turn"], label["kind"]): label["source_name"]
        for label in data["labels"]
        if label["id"] in data["under_review"]
    }
    assert chosen[(turn["t1"], LabelKind.INTENT)] == "labeller-v2"
    assert chosen[(turn["t2"], LabelKind.INTENT)] == "labeller-v3"
    assert chosen[(turn["t3"], LabelKind.DEFECT)] == "rita"


def test_every_answer_says_which_labels_are_under_review_after_it(client, dataset, dialogue, reviewer):
    client.force_login(reviewer)
    proposal = label_of(dialogue, LabelKind.INTENT, "t1")
    decision = reverse("api-review-decision", args=[dataset.name, proposal.pk])
    body = client.post(decision, {"action": "reject", "revision": 1}, content_type="application/json").json()
    assert_one_per_target(body["under_review"], dialogue)
    assert proposal.pk in body["under_review"]  # rejected, and still the label under review

    # A person's own label where the model's was rejected: it is under review now, the model's is not,
    # though the answer's labels are only the new one.
    create = reverse("api-review-label-create", args=[dataset.name, dialogue.pk])
    response = client.post(
        create, {"kind": "intent", "turn": "t1", "value": "GetWeather"}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    [created] = body["labels"]
    assert_one_per_target(body["under_review"], dialogue)
    assert created["id"] in body["under_review"] and proposal.pk not in body["under_review"]

    # Undoing it deletes it: the model's label is under review again, though the answer has no labels.
    body = client.post(reverse("api-review-undo", args=[dataset.name, dialogue.pk])).json()
    assert body["deleted"] == [created["id"]] and body["labels"] == []
    assert_one_per_target(body["under_review"], dialogue)
    assert proposal.pk in body["under_review"]

    # A stale revision: nothing saved, and the 409 says what is under review now.
    response = client.post(decision, {"action": "accept", "revision": 1}, content_type="application/json")
    assert response.status_code == 409
    assert_one_per_target(response.json()["under_review"], dialogue)

    accept_all = reverse("api-review-accept-all", args=[dataset.name, dialogue.pk])
    waiting = Label.objects.filter(pk__in=expected_under_review(dialogue), status=LabelStatus.PROPOSED)
    labels = [{"id": label.pk, "revision": label.revision} for label in waiting]
    body = client.post(accept_all, {"labels": labels}, content_type="application/json").json()
    assert_one_per_target(body["under_review"], dialogue)

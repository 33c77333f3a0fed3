"""Agreement statistics from real verdicts: Fleiss' kappa for three reviews per label, Cohen's for two,
and the model's and one reviewer's accuracy against corroborated gold."""

from __future__ import annotations

import pytest

from annotations.models import LabelKind, Membership, Role
from review.models import Adjudication
from review.rules import verdict_key
from review.selectors import dataset_agreement
from review.services.adjudication import adjudication_decide, dataset_required_reviews_set
from review.services.decisions import review_decide
from tests.review.review_helpers import decision, label_of, make_reviewable

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(make_user, dataset):
    people = []
    for name in ("ann", "ben", "cal"):
        person = make_user(name)
        Membership.objects.create(dataset=dataset, user=person, role=Role.REVIEWER)
        people.append(person)
    return people


def _verdicts(dialogue, people, per_turn):
    for turn, verdicts in per_turn.items():
        for person, (action, value) in zip(people, verdicts, strict=True):
            label = label_of(dialogue, LabelKind.INTENT, turn)
            review_decide(dialogue=dialogue, reviewer=person, decisions=[decision(label, action, value)])


def _intent_row(dataset):
    return next(row for row in dataset_agreement(dataset) if row.kind == LabelKind.INTENT)


def test_three_reviews_per_label_give_fleiss_kappa_and_accuracies_against_the_panel(
    dataset, panel, dataset_admin
):
    dataset_required_reviews_set(dataset=dataset, required_reviews=3)
    dialogue = make_reviewable(dataset, "d1", ["one", "two", "three", "four"])
    dialogue.dataset = dataset
    accept, weather, alarm = ("accept", None), ("correct", "GetWeather"), ("correct", "SetAlarm")
    _verdicts(
        dialogue,
        panel,
        {"t1": [accept] * 3, "t2": [weather] * 3, "t3": [accept] * 3, "t4": [accept, accept, alarm]},
    )
    adjudication = Adjudication.objects.get()
    adjudication_decide(adjudication=adjudication, admin=dataset_admin, verdict="gold", value="PlayMusic")

    row = _intent_row(dataset)
    assert (row.items, row.raters, row.kappa_name) == (4, 3, "Fleiss' κ")
    # Per label agreement 1, 1, 1 and 1/3; category shares 8/12, 3/12, 1/12: (5/6 - 74/144) / (1 - 74/144).
    assert row.kappa == pytest.approx(0.657143, abs=1e-5)
    assert (row.gold, row.model_items, row.model_accuracy) == (4, 4, 0.75)  # wrong on t2 only
    assert (row.reviewer_items, row.reviewer_accuracy) == (12, pytest.approx(11 / 12))
    defect = next(row for row in dataset_agreement(dataset) if row.kind == LabelKind.DEFECT)
    assert (defect.items, defect.kappa, defect.model_accuracy) == (0, None, None)


def test_two_reviews_per_label_give_cohens_kappa(dataset, panel):
    dataset_required_reviews_set(dataset=dataset, required_reviews=2)
    dialogue = make_reviewable(dataset, "d1", ["one", "two", "three", "four"])
    dialogue.dataset = dataset
    accept, reject = ("accept", None), ("reject", None)
    # Agreement on half the labels, with each verdict used half the time: no better than chance.
    _verdicts(
        dialogue,
        panel[:2],
        {"t1": [accept, accept], "t2": [reject, reject], "t3": [accept, reject], "t4": [reject, accept]},
    )
    row = _intent_row(dataset)
    assert (row.items, row.raters, row.kappa_name) == (4, 2, "Cohen's κ")
    assert row.kappa == pytest.approx(0.0)
    assert row.gold == 2  # the two agreed labels; the others wait for adjudication
    assert verdict_key("intent", "reject", None) != verdict_key("intent", "accept", "PlayMusic")


def test_agreement_is_undefined_when_every_verdict_is_the_same(dataset, panel):
    dataset_required_reviews_set(dataset=dataset, required_reviews=2)
    dialogue = make_reviewable(dataset, "d1", ["one", "two"])
    dialogue.dataset = dataset
    _verdicts(dialogue, panel[:2], {"t1": [("accept", None)] * 2, "t2": [("accept", None)] * 2})
    row = _intent_row(dataset)
    assert (row.items, row.kappa, row.model_accuracy) == (2, None, 1.0)

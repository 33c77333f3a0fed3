"""A failure point's evidence on the review page, in a real browser: what the label rests on is shown
beside it, so a reviewer judges it without reading the log again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Dataset, Label, LabelKind, Membership, Role
from tests.review.review_helpers import make_reviewable

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EVIDENCE = [
    {
        "kind": "reading",
        "says": "the assistant read `qa_maths`; the words read like `datetime_query` (91%)",
        "points_to": "nlu",
    },
    {"kind": "plausibility", "says": "the heard words read like a request people make", "points_to": "none"},
]


@pytest.fixture
def review(make_user):
    dataset = Dataset.objects.create(name="evidence")
    rita = make_user("rita")
    Membership.objects.create(dataset=dataset, user=rita, role=Role.REVIEWER)
    dialogue = make_reviewable(dataset, "call-9", ["what time is it in tokyo", "thanks"])
    first = dialogue.turns.order_by("position").first()
    Label.objects.filter(turn=first, kind=LabelKind.FAILURE_POINT).update(value="nlu", evidence=EVIDENCE)
    return rita, first, reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])


def test_a_failure_points_evidence_shows_beside_it_and_only_where_it_has_some(page_as, review) -> None:
    rita, first, url = review
    page = page_as(rita)
    page.goto(url)
    page.wait_for_selector("#review-app[data-ready=true]")
    label = page.locator(f'li.turn[data-turn="{first.pk}"] .review-label[data-kind="failure_point"]')
    items = label.locator(".review-label__evidence li")
    assert items.all_inner_texts() == [item["says"] for item in EVIDENCE]
    assert items.first.is_visible()
    assert "evidence--failure" in (items.first.get_attribute("class") or "")
    assert "evidence--fine" in (items.nth(1).get_attribute("class") or "")
    # The evidence sits inside the label's own box, under its value.
    box, value = label.bounding_box(), label.locator(".review-label__value").bounding_box()
    first_item = items.first.bounding_box()
    assert first_item["y"] >= value["y"] + value["height"] - 0.5
    assert box["y"] + box["height"] >= first_item["y"] + first_item["height"] - 0.5
    # The other turn's failure point has no evidence, and no empty list is drawn for it.
    assert page.locator(".review-label__evidence").count() == 1

"""Reviewing a rewrite pair in a real browser, then seeing it served to the next request."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Dataset, Membership, Role
from rewrites.models import RewritePair

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_accepts_a_pair_and_the_request_is_rewritten(page_as, make_user):
    dataset = Dataset.objects.create(name="speaker-logs")
    rita = make_user("rita")
    Membership.objects.create(dataset=dataset, user=rita, role=Role.REVIEWER)
    RewritePair.objects.create(
        dataset=dataset,
        source="play purple rain",
        target="play purple haze",
        proposed_target="play purple haze",
        probability=0.67,
        support=3,
        users=3,
    )
    page = page_as(rita)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(reverse("rewrites:rewrite-pairs", args=[dataset.name]))
    page.get_by_label("A request", exact=True).fill("Play purple rain!")
    page.get_by_role("button", name="Rewrite").click()
    assert "As it is: no served rewrite" in page.locator("#rewrite-answer").inner_text()
    page.get_by_role("button", name="Accept: play purple rain").click()
    assert "Accepted" in page.locator(".messages").inner_text()
    page.get_by_label("A request", exact=True).fill("Play purple rain!")
    page.get_by_role("button", name="Rewrite").click()
    assert page.locator("#rewrite-answer").inner_text() == "Send on “play purple haze” (global, 0.67)."
    assert problems == []

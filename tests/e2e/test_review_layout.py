"""The review page's layout in a real browser, measured: what the assistant read stays inside its label's
row, clear of the status badge beside it, in a window of 1000 pixels as in one of 1360."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Dataset, Membership, Role
from tests.review.review_helpers import make_reviewable

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

UTTERANCE = "play this is ludovico einaudi reflections on the living room speaker"


@pytest.fixture
def review(make_user):
    """A turn whose assistant read two long slots where the model proposes one short one, so the
    slots label shows what the assistant did beside the proposal."""
    dataset = Dataset.objects.create(name="living-room")
    rita = make_user("rita")
    Membership.objects.create(dataset=dataset, user=rita, role=Role.REVIEWER)
    dialogue = make_reviewable(dataset, "call-3", [UTTERANCE])
    turn = dialogue.turns.get()
    playlist, device = "this is ludovico einaudi reflections", "living room speaker"
    turn.slots = [
        {
            "start": UTTERANCE.index(playlist),
            "end": UTTERANCE.index(playlist) + len(playlist),
            "type": "playlist_name",
        },
        {
            "start": UTTERANCE.index(device),
            "end": UTTERANCE.index(device) + len(device),
            "type": "device_type",
        },
    ]
    turn.save(update_fields=["slots"])
    return rita, reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and (a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
    )


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.parametrize("width", [1000, 1360])
def test_the_assistants_slot_chips_stay_in_their_row_clear_of_the_status_badge(page_as, review, width):
    rita, url = review
    page = page_as(rita)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    page.wait_for_selector("#review-app[data-ready=true]")
    row = page.locator('.review-label[data-kind="slots"]')
    chips = row.locator(".assistant-did .slot-chip")
    assert chips.count() == 2
    badge = row.locator(".review-label__meta .badge").first.bounding_box()
    box = row.bounding_box()
    for number in range(chips.count()):
        chip = chips.nth(number).bounding_box()
        assert not _overlap(chip, badge), (width, number, chip, badge)
        assert _inside(chip, box), (width, number, chip, box)

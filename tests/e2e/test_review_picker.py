"""The review page's picker and the assistant's slot chips, in a real browser: one Esc closes the
picker, a typo creates nothing unless the reviewer chooses "New: …", and a chip never breaks apart."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from annotations.models import Dataset, LabelKind, LabelStatus, Membership, Role, Turn
from tests.review.review_helpers import label_of, make_reviewable

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def review(make_user):
    dataset = Dataset.objects.create(name="support-calls")
    rita = make_user("rita")
    Membership.objects.create(dataset=dataset, user=rita, role=Role.REVIEWER)
    dialogue = make_reviewable(
        dataset, "call-1", ["play purple haze by jimi hendrix in the living room", "thanks"]
    )
    # What the assistant did differs from the proposal: many long slots, drawn in a narrow cell.
    utterance = "play purple haze by jimi hendrix in the living room"
    Turn.objects.filter(dialogue=dialogue, position=0).update(
        slots=[
            {"start": 5, "end": 16, "type": "song_title_of_the_track"},
            {"start": 20, "end": 32, "type": "artist_performing_it"},
            {"start": 40, "end": len(utterance), "type": "room_where_it_plays"},
        ]
    )
    return dataset, rita, dialogue


def _open(page_as, review):
    dataset, rita, dialogue = review
    page = page_as(rita)
    page.goto(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk]))
    page.wait_for_selector("#review-app[data-ready=true]")
    return page


def test_one_esc_closes_the_picker_even_with_a_search_typed(page_as, review):
    page = _open(page_as, review)
    page.keyboard.press("i")
    page.keyboard.type("getw")
    page.keyboard.press("Escape")
    assert not page.locator("#picker").evaluate("dialog => dialog.open")
    assert label_of(review[2], LabelKind.INTENT, "t1").status == LabelStatus.PROPOSED


def test_a_typo_that_matches_nothing_is_not_preselected_and_enter_creates_nothing(page_as, review):
    page = _open(page_as, review)
    page.keyboard.press("i")
    page.keyboard.type("GetWaether")
    new_row = page.locator("#picker-list li", has_text=re.compile("New: “GetWaether”"))
    assert new_row.get_attribute("aria-selected") == "false"
    assert page.locator("#picker-nomatch").is_visible()
    page.keyboard.press("Enter")
    assert page.locator("#picker").evaluate("dialog => dialog.open")
    assert label_of(review[2], LabelKind.INTENT, "t1").value == "PlayMusic"


def test_creating_a_new_intent_class_is_an_explicit_choice(page_as, review):
    page = _open(page_as, review)
    page.keyboard.press("i")
    page.keyboard.type("BookTable")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.locator(".toast--success", has_text="set to BookTable").wait_for()
    assert label_of(review[2], LabelKind.INTENT, "t1").value == "BookTable"


def test_each_of_the_assistants_slot_chips_stays_on_one_line(page_as, review):
    page = _open(page_as, review)
    page.set_viewport_size({"width": 700, "height": 1000})
    chips = page.locator('.turn[id="turn-t1"] .assistant-did .slot-chip')
    assert chips.count() == 3
    lines = chips.evaluate_all("chips => chips.map(chip => chip.getClientRects().length)")
    assert lines == [1, 1, 1]

"""Preferences and rewrites on the review page, in a real browser: drawn readably (a chip per preference,
the rewrite as text), listed only on the turns that have them, and corrected or added in their small
forms, by key or by button, each save landing as the label's new value."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import Dataset, Label, LabelKind, LabelSource, LabelStatus, Membership, Role
from review.services.state import review_state_refresh
from tests.review.review_helpers import label_of, make_model, make_reviewable

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WARRIORS = {
    "domain": "sports",
    "key": "team",
    "value": "Golden State Warriors",
    "polarity": "like",
    "start": 13,
    "end": 38,
}


@pytest.fixture
def review(make_user):
    """A teaching turn with the model's preferences, a failed request with its rewrite, and a turn with
    neither."""
    dataset = Dataset.objects.create(name="support-calls")
    rita = make_user("rita")
    Membership.objects.create(dataset=dataset, user=rita, role=Role.REVIEWER)
    dialogue = make_reviewable(
        dataset, "call-9", ["i'm a fan of the golden state warriors", "play the game", "what's the score"]
    )
    turns = {turn.external_id: turn for turn in dialogue.turns.all()}
    now = timezone.now()

    def proposal(kind: str, value: Any, turn_id: str) -> Label:
        return Label(
            dialogue=dialogue,
            turn=turns[turn_id],
            kind=kind,
            value=value,
            confidence=0.8,
            status=LabelStatus.PROPOSED,
            source_type=LabelSource.MODEL,
            model_version=make_model(),
            created_at=now,
            updated_at=now,
        )

    Label.objects.bulk_create(
        [
            proposal(LabelKind.PREFERENCES, [WARRIORS], "t1"),
            proposal(LabelKind.REWRITE, "put on the golden state warriors game", "t2"),
        ]
    )
    review_state_refresh(dialogue_ids=[dialogue.pk])
    return rita, dialogue, reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])


def _open(page, url: str) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    page.wait_for_selector("#review-app[data-ready=true]")
    return problems


def _wait_saved(page, text: str) -> None:
    page.locator(".toast--success", has_text=text).last.wait_for()


def test_preferences_are_chips_and_the_rewrite_is_text_listed_only_where_a_turn_has_them(page_as, review):
    rita, _, url = review
    page = page_as(rita)
    problems = _open(page, url)

    chip = page.locator('#turn-t1 [data-kind="preferences"] .pref-chip')
    assert chip.all_inner_texts() == ["sports · team = Golden State Warriors (like)"]
    assert chip.get_attribute("title") == "says “the golden state warriors”"
    assert "pref-chip--like" in chip.get_attribute("class")
    rewrite = page.locator('#turn-t2 [data-kind="rewrite"] .review-label__value')
    assert rewrite.inner_text() == "put on the golden state warriors game"
    kinds = "items => items.map(item => item.dataset.kind)"
    assert "preferences" not in page.locator("#turn-t3 .review-labels > li").evaluate_all(kinds)
    assert "rewrite" not in page.locator("#turn-t3 .review-labels > li").evaluate_all(kinds)
    assert page.locator("#turn-t3 .review-forms button").all_inner_texts() == ["+ Preferences", "+ Rewrite"]
    assert page.locator("#turn-t1 .review-forms button").all_inner_texts() == ["✎ Preferences", "+ Rewrite"]
    assert problems == []


def test_the_preferences_form_corrects_a_row_adds_one_and_keeps_the_span_of_the_unchanged_value(
    page_as, review
):
    rita, dialogue, url = review
    page = page_as(rita)
    problems = _open(page, url)
    page.locator("#turn-t1").focus()
    page.keyboard.press("e")
    form = page.locator("#preferences-form")
    form.wait_for()
    assert page.locator("#preferences-form-title").inner_text() == "Preferences of t1"
    rows = page.locator("#preferences-rows tr")
    assert rows.count() == 1
    assert rows.nth(0).locator('[name="value"]').input_value() == "Golden State Warriors"

    rows.nth(0).locator('[name="polarity"]').select_option("dislike")
    page.locator("#preferences-add").click()
    rows.nth(1).locator('[name="domain"]').fill("food")
    rows.nth(1).locator('[name="key"]').fill("cuisine")
    rows.nth(1).locator('[name="value"]').fill("thai")
    form.get_by_role("button", name="Save").click()
    _wait_saved(
        page,
        "Preferences of t1: sports · team = Golden State Warriors (dislike); food · cuisine = thai (like).",
    )

    label = label_of(dialogue, LabelKind.PREFERENCES, "t1")
    assert label.status == LabelStatus.CORRECTED
    assert label.value == [
        {**WARRIORS, "polarity": "dislike"},
        {"domain": "food", "key": "cuisine", "value": "thai", "polarity": "like"},
    ]
    chips = page.locator('#turn-t1 [data-kind="preferences"] .pref-chip')
    assert chips.all_inner_texts() == [
        "sports · team = Golden State Warriors (dislike)",
        "food · cuisine = thai (like)",
    ]
    assert "pref-chip--dislike" in chips.first.get_attribute("class")
    assert problems == []


def test_a_row_is_removed_a_half_filled_one_is_refused_and_cancel_saves_nothing(page_as, review):
    rita, dialogue, url = review
    page = page_as(rita)
    problems = _open(page, url)
    form = page.locator("#preferences-form")

    page.locator('#turn-t1 [data-edit="preferences"]').click()
    page.locator("#preferences-add").click()
    page.locator("#preferences-rows tr").nth(1).locator('[name="domain"]').fill("music")
    form.get_by_role("button", name="Save").click()
    assert form.locator(".label-form__problem").inner_text().startswith("Each preference needs a domain")
    assert form.evaluate("dialog => dialog.open")
    page.keyboard.press("Escape")
    assert not form.evaluate("dialog => dialog.open")
    assert label_of(dialogue, LabelKind.PREFERENCES, "t1").revision == 1

    page.locator('#turn-t1 [data-edit="preferences"]').click()
    page.locator("#preferences-rows tr").nth(0).get_by_role("button", name="remove this preference").click()
    form.get_by_role("button", name="Save").click()
    _wait_saved(page, "Preferences of t1: none.")
    assert label_of(dialogue, LabelKind.PREFERENCES, "t1").value == []
    assert (
        page.locator('#turn-t1 [data-kind="preferences"] .review-label__value')
        .inner_text()
        .startswith("none stated")
    )
    assert problems == []


def test_the_rewrite_form_adds_a_rewrite_by_button_and_clears_one_by_key(page_as, review):
    rita, dialogue, url = review
    page = page_as(rita)
    problems = _open(page, url)
    form = page.locator("#rewrite-form")

    page.locator('#turn-t3 [data-edit="rewrite"]').click()
    assert page.locator("#rewrite-form-heard").inner_text() == "what's the score"
    page.locator("#rewrite-text").fill("what's the score of the warriors game")
    page.keyboard.press("Enter")
    _wait_saved(page, "Rewrite of t3: “what's the score of the warriors game”.")
    added = Label.objects.get(kind=LabelKind.REWRITE, turn__external_id="t3")
    assert (added.source_type, added.value) == (LabelSource.PERSON, "what's the score of the warriors game")
    assert page.locator('#turn-t3 [data-kind="rewrite"] .rewrite-text').inner_text() == added.value

    page.locator("#turn-t2").focus()
    page.keyboard.press("w")
    assert page.locator("#rewrite-text").input_value() == "put on the golden state warriors game"
    page.locator("#rewrite-text").fill("")
    form.get_by_role("button", name="Save").click()
    _wait_saved(page, "Rewrite of t2: none.")
    assert label_of(dialogue, LabelKind.REWRITE, "t2").value is None
    assert (
        page.locator('#turn-t2 [data-kind="rewrite"] .review-label__value')
        .inner_text()
        .startswith("no rewrite")
    )
    assert problems == []

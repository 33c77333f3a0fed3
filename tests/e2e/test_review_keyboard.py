"""A whole review in a real browser, with the keyboard only, and two reviewers changing one label."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from annotations.models import (
    Dataset,
    Label,
    LabelKind,
    LabelSource,
    LabelStatus,
    Membership,
    ReviewEvent,
    Role,
)
from review.models import DialogueReview
from review.services.state import review_state_refresh
from tests.e2e.conftest import assert_is_a_picture_of_the_page
from tests.review.review_helpers import label_of, make_reviewable

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

UTTERANCES = [
    "play purple haze",
    "play purple haze by jimi hendrix",
    "louder",
    "what's the weather in paris tomorrow",
    "thanks",
]


@pytest.fixture
def support_calls(make_user):
    dataset = Dataset.objects.create(name="support-calls")
    people = {}
    for username, role in (("rita", Role.REVIEWER), ("alice", Role.ADMIN)):
        people[username] = make_user(username)
        Membership.objects.create(dataset=dataset, user=people[username], role=role)
    # The least confident dialogue comes first from the queue; the other is next.
    first = make_reviewable(dataset, "call-0042", UTTERANCES, confidence=0.41)
    second = make_reviewable(dataset, "call-0043", ["set an alarm for seven", "thank you"], confidence=0.8)
    # The model is sure of most of what it wrote, unsure of some.
    sure = Label.objects.filter(dialogue=first, kind__in=["rephrase_of", "defect", "goal_segments", "intent"])
    sure.exclude(turn__external_id="t1").update(confidence=0.94)
    review_state_refresh(dialogue_ids=[first.pk])
    return dataset, people, first, second


def _wait_saved(page, text: str) -> None:
    page.locator(".toast--success", has_text=text).last.wait_for()


def _focused_turn(page) -> str:
    return page.evaluate(
        "document.activeElement.closest('.turn') && document.activeElement.closest('.turn').id"
    )


def test_a_reviewer_reviews_a_whole_dialogue_with_the_keyboard_only(
    page_as, support_calls, screenshot, tmp_path: Path
):
    dataset, people, dialogue, second = support_calls
    page = page_as(people["rita"])
    page.goto(reverse("review:review-queue", args=[dataset.name]))
    page.get_by_role("button", name="Start reviewing").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/review/{dialogue.pk}/"))
    page.wait_for_selector("#review-app[data-ready=true]")
    assert _focused_turn(page) == "turn-t1"

    # i: the intent of t1, from the searchable inventory.
    page.keyboard.press("i")
    page.keyboard.type("getwea")
    page.keyboard.press("Enter")
    _wait_saved(page, "Intent of t1 set to GetWeather")

    # j, s: on t2, choose "jimi hendrix" word by word and make it an artist.
    page.keyboard.press("j")
    assert _focused_turn(page) == "turn-t2"
    page.keyboard.press("s")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    page.keyboard.type("artist")
    page.keyboard.press("Enter")
    _wait_saved(page, "Added artist “jimi hendrix” to t2")

    # b on t2: the boundary between the goals moves up, so t2 starts goal 2.
    page.keyboard.press("b")
    _wait_saved(page, "Goal 2 now starts at t2")

    # j, f: the failure point of t3.
    page.keyboard.press("j")
    page.keyboard.press("f")
    page.keyboard.type("asr")
    page.keyboard.press("Enter")
    _wait_saved(page, "Failure point of t3 set to asr")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot("review.png")))  # the guide's picture (make screenshots)

    # j, l, a: accept one label (t4's intent) on its own.
    page.keyboard.press("j")
    page.keyboard.press("l")
    page.keyboard.press("a")
    _wait_saved(page, "Intent accepted")

    # A accepts everything left; u takes that back; A again.
    page.keyboard.press("A")
    _wait_saved(page, "Accepted every label on the page")
    page.keyboard.press("u")
    _wait_saved(page, "Undone")
    assert label_of(dialogue, LabelKind.DEFECT, "t5").status == LabelStatus.PROPOSED
    page.keyboard.press("A")
    page.get_by_text("Done: every label has your verdict").wait_for()

    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    assert (intent.status, intent.value) == (LabelStatus.CORRECTED, "GetWeather")
    slots = label_of(dialogue, LabelKind.SLOTS, "t2")
    start = UTTERANCES[1].index("jimi hendrix")
    assert slots.status == LabelStatus.CORRECTED
    assert {"start": start, "end": start + len("jimi hendrix"), "type": "artist"} in slots.value
    assert label_of(dialogue, LabelKind.FAILURE_POINT, "t3").value == "asr"
    assert label_of(dialogue, LabelKind.GOAL_SEGMENTS).value == [
        {"turns": ["t1"]},
        {"turns": ["t2", "t3", "t4", "t5"]},
    ]
    # Goal 2's success label followed its goal to t2.
    success = Label.objects.get(dialogue=dialogue, kind=LabelKind.GOAL_SUCCESS, value=False)
    assert success.turn.external_id == "t2"
    assert label_of(dialogue, LabelKind.INTENT, "t4").status == LabelStatus.ACCEPTED
    assert not Label.objects.filter(dialogue=dialogue, status=LabelStatus.PROPOSED).exists()
    assert DialogueReview.objects.get(dialogue=dialogue).status == DialogueReview.Status.DONE
    actions = list(
        ReviewEvent.objects.filter(dialogue=dialogue, actor=people["rita"]).values_list("action", flat=True)
    )
    assert actions.count("undo") > 20  # the whole "accept all" was taken back, label by label

    whole = tmp_path / "review-whole.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(whole), full_page=True)
    assert_is_a_picture_of_the_page(page, whole)

    # n: the next dialogue from the queue.
    page.keyboard.press("n")
    page.wait_for_url(re.compile(rf"/review/{second.pk}/"))


def test_the_second_of_two_reviewers_changing_one_label_gets_a_message_and_the_current_value(
    page_as, support_calls
):
    dataset, people, dialogue, _ = support_calls
    url = reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])
    pages = {}
    for name in ("rita", "alice"):
        pages[name] = page_as(people[name])
        pages[name].goto(url)
        pages[name].wait_for_selector("#review-app[data-ready=true]")

    pages["rita"].keyboard.press("i")
    pages["rita"].keyboard.type("GetWeather")
    pages["rita"].keyboard.press("Enter")
    _wait_saved(pages["rita"], "Intent of t1 set to GetWeather")

    # Alice still sees the model's PlayMusic at the old revision.
    alice = pages["alice"]
    alice.keyboard.press("i")
    alice.keyboard.type("SetAlarm")
    alice.keyboard.press("Enter")
    alice.locator(".toast--error", has_text="changed by rita").wait_for()
    intent_row = alice.locator('.turn[id="turn-t1"] [data-kind="intent"]')
    assert "GetWeather" in intent_row.inner_text()
    assert label_of(dialogue, LabelKind.INTENT, "t1").value == "GetWeather"  # nothing was lost

    # Now that she sees rita's value, her correction goes through on the current revision.
    alice.keyboard.press("i")
    alice.keyboard.type("SetAlarm")
    alice.keyboard.press("Enter")
    _wait_saved(alice, "Intent of t1 set to SetAlarm")
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    assert (intent.value, intent.revision) == ("SetAlarm", 3)
    history = ReviewEvent.objects.filter(label=intent).order_by("id")
    assert [(e.actor.username, e.before["value"], e.after["value"]) for e in history] == [
        ("rita", "PlayMusic", "GetWeather"),
        ("alice", "GetWeather", "SetAlarm"),
    ]
    assert (
        Label.objects.filter(dialogue=dialogue, kind=LabelKind.INTENT, source_type=LabelSource.PERSON).count()
        == 0
    )

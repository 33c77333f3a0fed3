"""The review page's ES modules in a real browser: they load without an error, as JavaScript, and draw
what the server's payload says: the kinds by the names it gives, the labels it marks under review
(after every save too, undo included), never a table or ranking of their own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from annotations.models import TURN_LABEL_KINDS, Dataset, LabelKind, Membership, Role
from review.payload import OPTIONAL_KINDS
from tests.review.review_helpers import label_of, make_reviewable

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MODULES = sorted(path.name for path in (Path(settings.BASE_DIR) / "static" / "js" / "review").glob("*.js"))
# The kinds every turn lists: an optional one (preferences, a rewrite) only where the turn has it.
LISTED = [kind for kind in TURN_LABEL_KINDS if kind not in OPTIONAL_KINDS]
# The kind's name, without the screen-reader note ("waits for your verdict") that may follow it.
KIND_NAME = "node => node.querySelector('.review-label__kind').firstChild.textContent"


@pytest.fixture
def review(make_user):
    """A reviewer and a three-turn dialogue of a model's proposals: goals t1 and t2-t3."""
    dataset = Dataset.objects.create(name="support-calls")
    rita = make_user("rita")
    Membership.objects.create(dataset=dataset, user=rita, role=Role.REVIEWER)
    dialogue = make_reviewable(dataset, "call-7", ["play purple haze", "louder please", "thanks"])
    return rita, dialogue, reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])


def _open(page, url: str) -> list[str]:
    """Go to the review page; the console errors and failed requests it causes, as they come."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append("failed: " + request.url))
    page.goto(url)
    page.wait_for_selector("#review-app[data-ready=true]")
    return problems


def _wait_saved(page, text: str) -> None:
    page.locator(".toast--success", has_text=text).last.wait_for()


def test_the_page_loads_its_modules_without_errors_and_names_kinds_as_the_server_does(page_as, review):
    rita, _, url = review
    page = page_as(rita)
    scripts: dict[str, str] = {}
    page.on(
        "response",
        lambda response: (
            scripts.__setitem__(response.url.rsplit("/", 1)[1], response.headers["content-type"])
            if "/js/review/" in response.url
            else None
        ),
    )
    problems = _open(page, url)
    assert problems == []
    assert sorted(scripts) == MODULES
    assert all(kind.split(";")[0] == "text/javascript" for kind in scripts.values()), scripts

    t2 = page.locator("#turn-t2 .review-labels > li")
    assert t2.evaluate_all("items => items.map(item => item.dataset.kind)") == LISTED
    assert t2.evaluate_all(f"items => items.map({KIND_NAME})") == [LabelKind(kind).label for kind in LISTED]
    segmentation = page.locator('[data-kind="goal_segments"]')
    assert segmentation.evaluate(KIND_NAME) == LabelKind.GOAL_SEGMENTS.label
    success = page.locator('.goal-band__header [data-kind="goal_success"]').first
    assert success.evaluate(KIND_NAME) == LabelKind.GOAL_SUCCESS.label

    # A toast names the kind as the payload does too.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("l")
    page.keyboard.press("a")
    _wait_saved(page, f"{LabelKind.INTENT.label} accepted")
    assert problems == []


def test_the_page_draws_the_kind_names_and_the_labels_under_review_that_the_payload_gives(page_as, review):
    """The embedded payload, changed on its way to the browser: other names for every kind, and t1's
    intent no longer under review. The page follows it: it has nothing of its own to fall back on."""
    rita, dialogue, url = review
    page = page_as(rita)
    intent = label_of(dialogue, LabelKind.INTENT, "t1")

    def rewrite(route) -> None:
        response = route.fetch()
        html = response.text()
        pattern = re.compile(r'(<script id="review-data" type="application/json">)(.*?)(</script>)', re.S)
        match = pattern.search(html)
        data = json.loads(match.group(2))
        for kind in data["kinds"]:
            kind["name"] = "«" + kind["name"].upper() + "»"
        data["under_review"].remove(intent.pk)
        payload = json.dumps(data).replace("<", "\\u003c")
        route.fulfill(response=response, body=html[: match.start(2)] + payload + html[match.end(2) :])

    page.route(re.compile(r".*/review/\d+/.*"), rewrite)
    problems = _open(page, url)
    assert problems == []
    t2 = page.locator("#turn-t2 .review-labels > li")
    assert t2.evaluate_all(f"items => items.map({KIND_NAME})") == [
        "«" + LabelKind(kind).label.upper() + "»" for kind in LISTED
    ]
    t1_intent = page.locator('#turn-t1 [data-kind="intent"]')
    assert "review-label--missing" in t1_intent.get_attribute("class")
    assert "no label" in t1_intent.inner_text()


def test_which_label_is_under_review_follows_every_answer_undo_included(page_as, review):
    """Reject the model's intent of t3, label it yourself, take that back: the page draws the person's
    label, then the model's again, as the answers' under_review say."""
    rita, dialogue, url = review
    page = page_as(rita)
    problems = _open(page, url)
    intent = page.locator('#turn-t3 [data-kind="intent"]')
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("l")
    page.keyboard.press("r")
    _wait_saved(page, "Intent rejected")
    assert intent.locator("s").inner_text() == "PlayMusic"

    page.keyboard.press("i")
    page.keyboard.type("GetWeather")
    page.keyboard.press("Enter")
    _wait_saved(page, "Intent of t3 set to GetWeather")
    assert intent.locator(".review-label__value").inner_text().startswith("GetWeather")
    assert intent.locator(".source").inner_text() == "rita"

    page.keyboard.press("u")
    _wait_saved(page, "Undone")
    assert intent.get_attribute("data-label") == str(label_of(dialogue, LabelKind.INTENT, "t3").pk)
    assert intent.locator("s").inner_text() == "PlayMusic"
    assert intent.locator(".source").inner_text() == "labeller-v2"
    assert problems == []

"""Teaching in a real browser: a reviewer walks a guided session for one person, then tries that
person's next request on their page and sees it resolved by what they taught."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Dataset, Dialogue, Membership, Role, Turn
from teachable.services import teachable_dataset_prepare

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def teaching(make_user):
    dataset = Dataset.objects.create(name="home-assistant")
    rita = make_user("rita")
    Membership.objects.create(dataset=dataset, user=rita, role=Role.REVIEWER)
    dialogue = Dialogue.objects.create(dataset=dataset, external_id="d1", user_key="u7")
    Turn.objects.create(dialogue=dialogue, position=0, external_id="t1", utterance="what's the weather")
    teachable_dataset_prepare(dataset=dataset)
    return rita, dataset


def test_a_guided_session_teaches_a_city_and_the_next_request_is_resolved_with_it(page_as, teaching):
    rita, dataset = teaching
    page = page_as(rita)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(reverse("teachable:people-list", args=[dataset.name]))
    page.get_by_role("link", name="u7").click()
    page.get_by_role("button", name="Start “learn my preferences”").click()

    prompt = page.locator("#prompt")
    assert prompt.inner_text() == "Which sports team do you follow?"
    page.get_by_role("button", name="Skip").click()
    assert prompt.inner_text() == "Which city do you live in?"
    page.get_by_label("Their answer").fill("springfield")
    page.get_by_role("button", name="Answer").click()
    assert (
        prompt.inner_text() == "Which one do you mean: Springfield, IL or Springfield, MA or Springfield, MO?"
    )
    page.get_by_role("button", name="Springfield, MO").click()
    assert prompt.inner_text() == "So you live in Springfield, MO. Is that right?"
    page.get_by_role("button", name="Yes").click()
    page.get_by_role("button", name="Stop").click()
    assert prompt.inner_text() == "Okay, I'll stop here. I learned city: Springfield, MO."
    # The transcript shows what the session said before each answer, not the open question every time.
    assert page.locator(".chat__assistant").all_inner_texts() == [
        "Which sports team do you follow?",
        "Which city do you live in?",
        "Which one do you mean: Springfield, IL or Springfield, MA or Springfield, MO?",
        "So you live in Springfield, MO. Is that right?",
        "What kind of food do you like?",
    ]

    page.get_by_role("link", name="See what u7 taught").click()
    assert page.locator("#preferences .preference-value").all_inner_texts() == ["Springfield, MO"]
    page.get_by_label("The assistant's intent").fill("weather_query")
    page.get_by_label("Its slots").fill("place_name=springfield")
    page.get_by_role("button", name="Resolve").click()
    resolution = page.locator("#resolution")
    assert "place_name = Springfield, MO" in resolution.inner_text()
    assert "Disambiguated place_name with Springfield, MO" in resolution.inner_text()
    assert problems == []


def test_a_film_no_catalogue_knows_shows_as_unresolved_on_the_person_page_and_is_forgotten(
    page_as, teaching, make_user
):
    from teachable.models import Preference

    _, dataset = teaching
    alice = make_user("alice")
    Membership.objects.create(dataset=dataset, user=alice, role=Role.ADMIN)
    page = page_as(alice)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(reverse("teachable:person-detail", args=[dataset.name, "u7"]))
    adding = page.locator("section[aria-labelledby=add-heading]")
    adding.get_by_label("Domain").fill("movies")
    adding.get_by_label("Key").fill("film")
    adding.get_by_label("Value").fill("The Zebra Chronicles")
    adding.get_by_role("button", name="Add").click()

    row = page.locator("#preferences tbody tr")
    assert row.locator(".preference-value").all_inner_texts() == ["The Zebra Chronicles"]
    marker = row.locator(".preference-unresolved")
    assert marker.inner_text() == "unresolved"
    assert "No catalogue knows this film yet" in (marker.get_attribute("title") or "")

    page.get_by_role("button", name="Forget u7").click()
    assert "Forgot u7: 1 preferences" in page.locator("body").inner_text()
    page.goto(reverse("teachable:person-detail", args=[dataset.name, "u7"]))
    assert page.locator("#preferences").count() == 0 and not Preference.objects.exists()
    assert problems == []

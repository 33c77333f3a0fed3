"""The dialogue page in a real browser: its slots are coloured by type within the Content-Security-Policy
(no inline style for the browser to refuse), and it answers to the dialogue's own id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Dataset, Membership, Role
from tests.annotations.page_helpers import make_dialogue

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dialogue(make_user):
    dataset = Dataset.objects.create(name="kitchen-speaker")
    vera = make_user("vera")
    Membership.objects.create(dataset=dataset, user=vera, role=Role.VIEWER)
    dialogue = make_dialogue(dataset, "sim-7-000002", ["play hello by adele", "what's the weather"])
    first = dialogue.turns.get(position=0)
    # The assistant's own reading, with two slot types: "hello" a song, "adele" an artist.
    first.slots = [
        {"start": 5, "end": 10, "type": "song", "value": "hello"},
        {"start": 14, "end": 19, "type": "artist", "value": "adele"},
    ]
    first.save(update_fields=["slots"])
    return vera, dialogue


def test_the_dialogue_page_colours_slot_types_apart_without_breaking_its_security_policy(page_as, dialogue):
    vera, dialogue = dialogue
    page = page_as(vera)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(reverse("annotations:dialogue-detail", args=[dialogue.dataset.name, dialogue.external_id]))
    utterance = page.locator("#turn-t1")
    song = utterance.locator("mark.slot", has_text="hello").first
    artist = utterance.locator("mark.slot", has_text="adele").first
    background = "mark => getComputedStyle(mark).backgroundColor"
    assert song.evaluate(background) != artist.evaluate(background)
    assert errors == []

"""Any imported ``user_id`` reaches its person: the people list links it, and its page, export and
forget answer, in the pages and in the API (a "/" in an id once made the people page a 500 and the
person unreachable, so that they could not be forgotten)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotations.models import Dialogue, Turn
from teachable.models import Preference
from teachable.person_keys import person_id, person_key
from teachable.services import PreferenceInput, preference_learn, teachable_dataset_prepare

AWKWARD_IDS = [
    "team/alpha",
    "/leading",
    "trailing/",
    "a//b",
    "..",
    ".",
    "~",
    "x~2Fy",
    "50% off?#frag&x=1",
    'quote" and\nnewline',
    "café/🎸",
    " spaced ",
]


@pytest.mark.parametrize("user_id", [*AWKWARD_IDS, "u1", "...."])
def test_a_person_key_is_one_url_segment_that_gives_the_id_back(user_id):
    key = person_key(user_id)

    assert "/" not in key and key not in {".", ".."}
    assert person_id(key) == user_id


def test_an_ordinary_id_is_its_own_key_and_a_slash_is_written_with_a_tilde():
    assert person_key("user-42_b.c") == "user-42_b.c"
    assert (
        reverse("api-teachable-user", args=["logs", "team/alpha"]) == "/api/datasets/logs/users/team~2Falpha/"
    )


@pytest.mark.parametrize("key", ["~", "~41", "a~2", "~2e", "a~2Eb"])
def test_a_segment_no_id_is_written_as_names_nobody(key):
    with pytest.raises(ValueError):
        person_id(key)


@pytest.fixture
def awkward_people(dataset):
    for number, user_id in enumerate(AWKWARD_IDS):
        dialogue = Dialogue.objects.create(dataset=dataset, external_id=f"d{number}", user_key=user_id)
        Turn.objects.create(dialogue=dialogue, position=0, external_id="t1", utterance="play jazz")
        preference_learn(dataset=dataset, user_key=user_id, data=PreferenceInput("music", "genre", "jazz"))
    teachable_dataset_prepare(dataset=dataset)
    return dataset


def test_the_people_page_links_every_person_and_each_link_reaches_their_page(client, awkward_people, viewer):
    client.force_login(viewer)

    listing = client.get(reverse("teachable:people-list", args=[awkward_people.name]))

    assert listing.status_code == 200
    for user_id in AWKWARD_IDS:
        url = reverse("teachable:person-detail", args=[awkward_people.name, user_id])
        assert url in listing.content.decode().replace("&amp;", "&"), user_id
        page = client.get(url)
        assert page.status_code == 200, user_id
        assert page.context["user_key"] == user_id


def test_every_person_is_exported_and_forgotten_in_the_pages(client, awkward_people, dataset_admin):
    client.force_login(dataset_admin)
    for user_id in AWKWARD_IDS:
        export = client.get(reverse("teachable:person-export", args=[awkward_people.name, user_id]))
        assert export.status_code == 200, user_id
        assert json.loads(export.content)["user_id"] == user_id
        assert export["Content-Disposition"].startswith("attachment; filename")

        forget = client.post(reverse("teachable:person-forget", args=[awkward_people.name, user_id]))

        assert forget.status_code == 302, user_id
        assert not Preference.objects.filter(dataset=awkward_people, user_key=user_id).exists()


def test_every_person_is_read_and_forgotten_through_the_api(awkward_people, dataset_admin):
    api = APIClient()
    api.force_authenticate(dataset_admin)
    for user_id in AWKWARD_IDS:
        url = reverse("api-teachable-user", args=[awkward_people.name, user_id])
        assert api.get(url).json()["user_id"] == user_id
        assert api.get(url + "preferences/").status_code == 200
        forgotten = api.delete(url)

        assert forgotten.status_code == 200, user_id
        assert forgotten.json()["deleted"]["preferences"] == 1
        assert not Preference.objects.filter(dataset=awkward_people, user_key=user_id).exists()


def test_an_empty_id_names_no_one_and_is_not_listed(client, awkward_people, viewer):
    dialogue = Dialogue.objects.create(dataset=awkward_people, external_id="anonymous", user_key="")
    Turn.objects.create(dialogue=dialogue, position=0, external_id="t1", utterance="hello")
    client.force_login(viewer)

    listing = client.get(reverse("teachable:people-list", args=[awkward_people.name]))

    assert listing.status_code == 200
    assert "" not in [person["user_key"] for person in listing.context["people"]]

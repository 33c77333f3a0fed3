"""A value no catalogue knows is kept as the person said it, marked unresolved; when a catalogue learns
the entity, the preference resolves to it, and the resolver, the person's page and the export say so."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from teachable.models import Preference, PreferenceEvent
from teachable.selectors import user_record
from teachable.services import PreferenceInput, catalogues_load, preference_learn, resolution_rules_set
from teachable.services.rules import DEFAULT_RULES, RuleInput

pytestmark = pytest.mark.django_db

FILMS = {
    "film": {
        "description": "Films people name",
        "entries": [{"value": "The Zebra Chronicles", "aliases": ["zebra chronicles"]}],
    }
}


def _film(dataset, value: str, polarity: str = "like", user_key: str = "u1") -> Preference:
    return preference_learn(
        dataset=dataset,
        user_key=user_key,
        data=PreferenceInput("movies", "film", value, polarity, "statement"),
        strict=False,
    )


def test_a_film_stated_before_any_catalogue_knew_it_resolves_when_one_learns_it(people) -> None:
    stated = _film(people, "the zebra chronicles")
    assert (stated.resolved, stated.entity) == (False, None)
    catalogues_load(data=FILMS)
    stated.refresh_from_db()
    assert (stated.value, stated.entity.value, stated.resolved) == (
        "The Zebra Chronicles",
        "The Zebra Chronicles",
        True,
    )
    event = PreferenceEvent.objects.filter(preference=stated).last()
    assert event.action == "resolve"
    assert (event.before["value"], event.before["resolved"]) == ("the zebra chronicles", False)
    assert event.after["resolved"] is True


def test_a_differently_worded_value_is_left_as_the_person_said_it(people) -> None:
    near = _film(people, "zebra chronicle")  # close, but not the catalogue's name nor an alias
    other = _film(people, "Heat", "dislike")
    catalogues_load(data=FILMS)
    near.refresh_from_db()
    other.refresh_from_db()
    assert [(p.value, p.resolved, p.entity_id) for p in (near, other)] == [
        ("zebra chronicle", False, None),
        ("Heat", False, None),
    ]
    assert not PreferenceEvent.objects.filter(action="resolve").exists()


def test_a_catalogue_that_learns_one_entry_by_merging_keeps_its_others(people) -> None:
    catalogues_load(data=FILMS)
    heat = _film(people, "heat")
    assert heat.resolved is False
    catalogues_load(data={"film": {"entries": [{"value": "Heat"}]}}, merge=True)
    heat.refresh_from_db()
    assert (heat.value, heat.resolved) == ("Heat", True)
    assert _film(people, "zebra chronicles").resolved is True  # the entry loaded first is still there


def test_reloading_a_catalogue_keeps_resolved_preferences_and_unresolves_a_dropped_entry(people) -> None:
    catalogues_load(data=FILMS)
    liked = _film(people, "zebra chronicles")
    entity = liked.entity_id
    catalogues_load(data=FILMS)  # the same entries again: rows and preferences stay as they were
    liked.refresh_from_db()
    assert (liked.entity_id, liked.resolved) == (entity, True)
    catalogues_load(data={"film": {"entries": [{"value": "Heat"}]}})  # the film is gone from it
    liked.refresh_from_db()
    assert (liked.value, liked.entity_id, liked.resolved) == ("The Zebra Chronicles", None, False)
    assert PreferenceEvent.objects.filter(preference=liked).last().action == "unresolve"


def test_two_wordings_of_one_entity_become_one_preference_the_newer_winning(people) -> None:
    older = _film(people, "the zebra chronicles")
    newer = _film(people, "Zebra Chronicles!", "dislike")  # another wording: both stand while unknown
    assert older.active and newer.active
    catalogues_load(data=FILMS)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.active, older.superseded_by) == (False, newer)
    assert (newer.value, newer.polarity, newer.resolved) == ("The Zebra Chronicles", "dislike", True)


def test_other_people_and_keys_are_resolved_by_the_catalogue_of_their_own_key(people) -> None:
    film = _film(people, "the zebra chronicles", user_key="u2")
    show = preference_learn(
        dataset=people,
        user_key="u1",
        data=PreferenceInput("tv", "show", "the zebra chronicles"),
        strict=False,
    )
    catalogues_load(data=FILMS)
    film.refresh_from_db()
    show.refresh_from_db()
    assert (film.resolved, show.resolved) == (True, False)


def test_the_resolver_fills_a_slot_with_an_unresolved_film_as_written_and_says_so(people, reviewer) -> None:
    resolution_rules_set(
        dataset=people, rules=[*DEFAULT_RULES, RuleInput("play_movie", "movie_name", "movies", "film")]
    )
    _film(people, "The Zebra Chronicles")
    api = APIClient()
    api.force_authenticate(reviewer)
    url = f"/api/datasets/{people.name}/resolve/"
    answer = api.post(url, {"user_id": "u1", "intent": "play_movie"}, format="json")
    assert answer.status_code == 200
    assert answer.data["slots"] == [
        {"type": "movie_name", "value": "The Zebra Chronicles", "source": "preference", "resolved": False}
    ]
    assert answer.data["applied"][0]["resolved"] is False
    catalogues_load(data=FILMS)
    answer = api.post(url, {"user_id": "u1", "intent": "play_movie"}, format="json")
    assert answer.data["slots"][0]["resolved"] is True


def test_the_person_page_marks_a_value_unresolved_until_a_catalogue_knows_it(client, people, reviewer):
    _film(people, "the zebra chronicles")
    client.force_login(reviewer)
    url = reverse("teachable:person-detail", args=[people.name, "u1"])
    assert "preference-unresolved" in client.get(url).content.decode()
    catalogues_load(data=FILMS)
    page = client.get(url).content.decode()
    assert "preference-unresolved" not in page and "Resolved by a catalogue" in page
    exported = user_record(people, "u1")["preferences"]
    assert [(p["value"], p["resolved"], p["entity"]) for p in exported] == [
        ("The Zebra Chronicles", True, "The Zebra Chronicles")
    ]


def test_resolving_many_people_costs_the_same_queries_as_resolving_a_few(people) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotations.models import Dialogue

    def load_for(count: int, name: str) -> int:
        for n in range(count):
            Dialogue.objects.create(dataset=people, external_id=f"{name}-{n}", user_key=f"{name}-{n}")
            _film(people, name.lower(), user_key=f"{name}-{n}")
        with CaptureQueriesContext(connection) as queries:
            catalogues_load(data={"film": {"entries": [{"value": name}]}}, merge=True)
        assert Preference.objects.filter(value=name, resolved=True).count() == count
        return len(queries)

    catalogues_load(data=FILMS)  # the catalogue exists before either load is counted
    assert load_for(3, "Heat") == load_for(30, "Alien")


def test_saying_an_unresolved_value_again_once_a_catalogue_knows_it_resolves_it(people) -> None:
    from teachable.models import Catalogue, CatalogueEntry

    stated = _film(people, "zebra chronicles")
    # An entry added behind the loader's back (the admin): nothing resolved the preference yet.
    catalogue = Catalogue.objects.create(name="film")
    CatalogueEntry.objects.create(
        catalogue=catalogue, value="The Zebra Chronicles", aliases=["zebra chronicles"]
    )
    again = _film(people, "Zebra Chronicles")
    assert again.pk == stated.pk
    assert (again.value, again.resolved, again.entity.value) == (
        "The Zebra Chronicles",
        True,
        "The Zebra Chronicles",
    )


def test_the_load_catalogues_command_merges_a_film_and_resolves_who_liked_it(people, tmp_path) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    catalogues_load(data=FILMS)
    heat = _film(people, "heat")
    path = tmp_path / "films.json"
    path.write_text(json.dumps({"film": {"entries": [{"value": "Heat"}]}}), encoding="utf-8")
    out = StringIO()
    call_command("load_catalogues", str(path), "--merge", stdout=out)
    heat.refresh_from_db()
    assert out.getvalue() == "film: 2 entries\n" and (heat.value, heat.resolved) == ("Heat", True)

"""A site made before questions said answers back in their own words, and before the cuisines knew their
dishes, gets both when it migrates: its default questions their confirmations, its cuisines the dishes,
and the catalogue a new stamp so every process's cached index rebuilds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The datasets as they were then too: a dataset made here has no name key yet.
BEFORE = [("teachable", "0004_teachable_moments"), ("annotations", "0012_dataset_description_bounded")]
AFTER = [("teachable", "0005_question_confirm_and_dishes")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def old_site(transactional_db) -> Iterator[object]:
    _migrate(BEFORE)
    yield MigrationExecutor(connection).loader.project_state(BEFORE, at_end=False).apps
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_an_old_site_gets_the_confirmations_and_the_dishes(old_site):
    Catalogue = old_site.get_model("teachable", "Catalogue")
    CatalogueEntry = old_site.get_model("teachable", "CatalogueEntry")
    # The site's catalogue as the old defaults made it (a transactional test before this one may have
    # flushed what the migrations wrote), with an alias an admin added.
    cuisine, _ = Catalogue.objects.get_or_create(name="cuisine")
    CatalogueEntry.objects.update_or_create(
        catalogue=cuisine, value="japanese", defaults={"aliases": ["japanese", "izakaya"]}
    )
    stamp = cuisine.stamp
    Dataset = old_site.get_model("annotations", "Dataset")
    QuestionSet = old_site.get_model("teachable", "QuestionSet")
    Question = old_site.get_model("teachable", "Question")
    question_set = QuestionSet.objects.create(
        dataset=Dataset.objects.create(name="old"), name="q", domain="x"
    )
    Question.objects.create(question_set=question_set, key="city", text="Which city do you live in?")
    Question.objects.create(question_set=question_set, key="pets", text="Cats or dogs?")

    _migrate(AFTER)

    from teachable.models import Catalogue as NowCatalogue
    from teachable.models import CatalogueEntry as NowEntry
    from teachable.models import Question as NowQuestion

    assert dict(NowQuestion.objects.values_list("key", "confirm")) == {
        "city": "So you live in {value}.",
        "pets": "",
    }
    aliases = NowEntry.objects.get(catalogue__name="cuisine", value="japanese").aliases
    assert aliases[:2] == ["japanese", "izakaya"] and "sushi" in aliases and "ramen" in aliases
    assert NowCatalogue.objects.get(name="cuisine").stamp != stamp


def test_an_old_site_s_preferences_without_an_entity_are_marked_unresolved(transactional_db):
    before = [
        ("teachable", "0005_question_confirm_and_dishes"),
        ("annotations", "0015_dataset_name_key_unique"),
    ]
    _migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before, at_end=False).apps
        catalogue, _ = old.get_model("teachable", "Catalogue").objects.get_or_create(name="team")
        entry = old.get_model("teachable", "CatalogueEntry").objects.create(catalogue=catalogue, value="Heat")
        dataset = old.get_model("annotations", "Dataset").objects.create(
            name="old-prefs", name_key="old-prefs"
        )
        Preference = old.get_model("teachable", "Preference")
        common = {"dataset": dataset, "user_key": "u1", "domain": "d", "source": "statement"}
        Preference.objects.create(key="team", value="Heat", entity=entry, **common)
        Preference.objects.create(key="film", value="The Zebra Chronicles", **common)
        _migrate([("teachable", "0006_preference_resolved")])

        from teachable.models import Preference as NowPreference

        assert dict(NowPreference.objects.values_list("key", "resolved")) == {"team": True, "film": False}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

"""Dataset names are unique as people read them: case, width and invisible characters make no new
name, a name may not hide invisible characters or mix look-alike scripts, and a database that already
holds such names migrates without losing or renaming any dataset."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from annotations.models import Dataset
from annotations.names import dataset_name_key, dataset_name_problem
from annotations.services import dataset_create, dataset_update

CYRILLIC_A = "\u0430"
ZERO_WIDTH_SPACE = "\u200b"


@pytest.mark.parametrize(
    "variant", ["Alpha", "ALPHA", "\uff21lpha", f"alpha{ZERO_WIDTH_SPACE}", "al\u00adpha", "alpha\ufe0f"]
)
def test_names_that_read_the_same_have_one_key(variant):
    assert dataset_name_key(variant) == dataset_name_key("alpha") == "alpha"


def test_spaces_fold_to_one_and_german_sharp_s_to_ss():
    assert dataset_name_key("Straße  logs") == dataset_name_key("STRASSE logs") == "strasse logs"


@pytest.mark.parametrize("name", [f"{CYRILLIC_A}lpha", f"logs-\u0440{CYRILLIC_A}", "\u03b1lpha"])
def test_a_name_mixing_latin_greek_or_cyrillic_letters_is_refused(name):
    assert "may not mix" in dataset_name_problem(name)


@pytest.mark.parametrize("name", ["alpha", "données-2024", "логи", "データ-日本", "αβγ", "logs_1"])
def test_a_name_in_one_script_is_fine(name):
    assert dataset_name_problem(name) is None


@pytest.mark.parametrize("variant", ["Alpha", f"alpha{ZERO_WIDTH_SPACE}", f"{CYRILLIC_A}lpha", "\uff21lpha"])
def test_a_look_alike_of_an_existing_dataset_is_refused_in_the_api_and_on_the_page(
    client, dataset_admin, variant
):
    from rest_framework.test import APIClient

    dataset_create(name="alpha", user=dataset_admin)
    api = APIClient()
    api.force_authenticate(dataset_admin)
    client.force_login(dataset_admin)

    response = api.post("/api/datasets/", {"name": variant}, format="json")
    page = client.post(reverse("annotations:dataset-create"), {"name": variant})

    assert response.status_code == 400
    assert response.json()["field"] == "name"
    assert "name" in page.context["form"].errors
    assert not Dataset.objects.filter(name=variant).exists()


def test_the_database_refuses_a_second_name_with_the_same_key_whoever_writes_it(db):
    Dataset.objects.create(name="alpha")

    with pytest.raises(IntegrityError), transaction.atomic():
        Dataset.objects.create(name="ALPHA")


# --- the migration of existing rows ---------------------------------------------------------------

BEFORE_KEYS = [("annotations", "0012_dataset_description_bounded")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def old_apps(transactional_db) -> Iterator[Any]:
    """The apps before name keys, with the database migrated back to them."""
    _migrate(BEFORE_KEYS)
    yield MigrationExecutor(connection).loader.project_state(BEFORE_KEYS[0], at_end=True).apps
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_existing_datasets_whose_names_read_the_same_keep_their_names_and_block_new_look_alikes(old_apps):
    old = old_apps.get_model("annotations", "Dataset").objects
    for name in ["alpha", "Alpha", f"alpha{ZERO_WIDTH_SPACE}", "beta"]:
        old.create(name=name)

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    keys = dict(Dataset.objects.values_list("name", "name_key"))
    assert set(keys) == {"alpha", "Alpha", f"alpha{ZERO_WIDTH_SPACE}", "beta"}
    assert (keys["alpha"], keys["beta"]) == ("alpha", "beta")
    assert len(set(keys.values())) == 4
    assert all(keys[name].startswith("alpha\x1f") for name in ("Alpha", f"alpha{ZERO_WIDTH_SPACE}"))
    with pytest.raises(Exception, match="already exists"):
        dataset_create(name="ALPHA")
    legacy = Dataset.objects.get(name=f"alpha{ZERO_WIDTH_SPACE}")
    dataset_update(dataset=legacy, description="still works")
    legacy.save()  # a full save keeps the key the migration set apart
    assert Dataset.objects.get(pk=legacy.pk).name_key == keys[legacy.name]

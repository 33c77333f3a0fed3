"""Preferences and rewrites imported before they were label kinds (kept then as unknown keys of the
turn's labels) become gold labels when the database migrates, and go back to the extras if it
migrates back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from annotations.models import Label, LabelKind, LabelSource, LabelStatus, Turn

# Before preferences and rewrites were label kinds (and the review app's rules that name the kinds).
BEFORE = [("annotations", "0005_move_review_models"), ("review", "0001_initial")]
TAUGHT = [{"domain": "music", "key": "genre", "value": "jazz", "start": 7, "end": 11}]


def _migrate(targets: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _head() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def old_apps(transactional_db) -> Iterator[Any]:
    """The apps as they were before the two kinds, with the database migrated back to them."""
    _migrate(BEFORE)
    yield MigrationExecutor(connection).loader.project_state(BEFORE[0], at_end=True).apps
    _migrate(_head())
    ContentType.objects.clear_cache()


def _turns(old_apps: Any) -> None:
    dataset = old_apps.get_model("annotations", "Dataset").objects.create(name="logs")
    dialogue = old_apps.get_model("annotations", "Dialogue").objects.create(dataset=dataset, external_id="d1")
    turns = old_apps.get_model("annotations", "Turn").objects
    turns.create(
        dialogue=dialogue,
        position=0,
        external_id="t1",
        utterance="i love jazz",
        labels_extra={"preferences": TAUGHT, "urgency": 3},
    )
    turns.create(
        dialogue=dialogue,
        position=1,
        external_id="t2",
        utterance="play it",
        labels_extra={"rewrite": "play jazz", "preferences": [{"domain": "music"}]},
    )


def test_imported_preferences_and_rewrites_become_gold_labels_and_invalid_ones_stay_extras(old_apps):
    _turns(old_apps)

    _migrate(_head())

    labels = {(label.turn.external_id, label.kind): label for label in Label.objects.select_related("turn")}
    assert set(labels) == {("t1", LabelKind.PREFERENCES), ("t2", LabelKind.REWRITE)}
    assert labels[("t1", LabelKind.PREFERENCES)].value == TAUGHT
    assert labels[("t2", LabelKind.REWRITE)].value == "play jazz"
    assert {(label.status, label.source_type) for label in labels.values()} == {
        (LabelStatus.GOLD, LabelSource.IMPORT)
    }
    extras = dict(Turn.objects.values_list("external_id", "labels_extra"))
    assert extras == {"t1": {"urgency": 3}, "t2": {"preferences": [{"domain": "music"}]}}


def test_migrating_back_puts_the_imported_labels_back_among_the_extras(old_apps):
    _turns(old_apps)
    _migrate(_head())

    _migrate(BEFORE)

    turns = old_apps.get_model("annotations", "Turn").objects
    assert dict(turns.values_list("external_id", "labels_extra")) == {
        "t1": {"urgency": 3, "preferences": TAUGHT},
        "t2": {"preferences": [{"domain": "music"}], "rewrite": "play jazz"},
    }
    assert not old_apps.get_model("annotations", "Label").objects.exists()

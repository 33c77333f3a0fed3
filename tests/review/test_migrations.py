"""The review models moved from annotations to review without touching a table: a database migrated at
the head before the move migrates forward with every row intact, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from annotations.models import Dataset, Label
from review.models import Adjudication, AutoAcceptRule, DialogueReview, DialogueReviewState, LabelReview

# The head of every app before review/ existed: its models were still annotations' (and the apps that
# came later and build on annotations' later migrations, teachable and rewrites, had no table yet).
BEFORE_THE_MOVE = [("annotations", "0004_review"), ("review", None), ("teachable", None), ("rewrites", None)]
LATER_APPS = {app for app, _ in BEFORE_THE_MOVE}


def _migrate(targets: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def database_before_the_move(transactional_db) -> Iterator[object]:
    """The schema and Django's state as they were before the move; the apps of that state."""
    _migrate(BEFORE_THE_MOVE)
    loader = MigrationExecutor(connection).loader
    # Each other app as far as it stayed: migrating annotations back also unapplied the migrations of
    # other apps that build on its later ones (jobs, models_app).
    applied = set(loader.applied_migrations)
    others = [
        max((node for node in applied if node[0] == app), key=lambda node: node[1])
        for app in {node[0] for node in applied}
        if app not in LATER_APPS
    ]
    yield loader.project_state([BEFORE_THE_MOVE[0], *others], at_end=True).apps
    # Leave the database at the head for the tests after this one, whatever happened.
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def test_a_database_at_the_old_head_migrates_forward_with_every_review_row_intact(database_before_the_move):
    old = database_before_the_move
    now = timezone.now()
    user = old.get_model("auth", "User").objects.create(username="rita")
    dataset = old.get_model("annotations", "Dataset").objects.create(name="logs", required_reviews=2)
    dialogue = old.get_model("annotations", "Dialogue").objects.create(dataset=dataset, external_id="d1")
    turn = old.get_model("annotations", "Turn").objects.create(
        dialogue=dialogue, position=0, external_id="t1"
    )
    label = old.get_model("annotations", "Label").objects.create(
        dialogue=dialogue,
        turn=turn,
        kind="intent",
        value="GetWeather",
        confidence=0.4,
        source_type="model",
        created_at=now,
        updated_at=now,
    )
    old.get_model("annotations", "AutoAcceptRule").objects.create(
        dataset=dataset, kind="intent", threshold=0.9
    )
    old.get_model("annotations", "LabelReview").objects.create(
        label=label,
        dialogue=dialogue,
        reviewer=user,
        decision="correct",
        proposed="GetWeather",
        value="PlayMusic",
        created_at=now,
        updated_at=now,
    )
    old.get_model("annotations", "DialogueReview").objects.create(
        dialogue=dialogue, reviewer=user, status="done", updated_at=now
    )
    old.get_model("annotations", "DialogueReviewState").objects.create(
        dialogue=dialogue,
        dataset=dataset,
        is_open=True,
        awaiting=1,
        min_confidence=0.4,
        disagreement=1,
        random_key=7,
        locked_by=user,
        updated_at=now,
    )
    old.get_model("annotations", "Adjudication").objects.create(label=label, dataset=dataset, created_at=now)
    content_types = old.get_model("contenttypes", "ContentType")
    review_type = content_types.objects.get_or_create(app_label="annotations", model="labelreview")[0]
    permission = old.get_model("auth", "Permission").objects.create(
        content_type=review_type, codename="audit_labelreview", name="Can audit reviews"
    )

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert Dataset.objects.get().required_reviews == 2
    moved_label = Label.objects.get()
    assert list(AutoAcceptRule.objects.values_list("dataset__name", "kind", "threshold")) == [
        ("logs", "intent", 0.9)
    ]
    review = LabelReview.objects.get()
    assert (review.label_id, review.reviewer.username, review.decision, review.proposed, review.value) == (
        moved_label.pk,
        "rita",
        "correct",
        "GetWeather",
        "PlayMusic",
    )
    assert list(DialogueReview.objects.values_list("reviewer__username", "status")) == [("rita", "done")]
    state = DialogueReviewState.objects.get()
    assert (state.is_open, state.awaiting, state.min_confidence, state.disagreement, state.random_key) == (
        True,
        1,
        0.4,
        1,
        7,
    )
    assert state.locked_by.username == "rita"
    assert Adjudication.objects.get().label_id == moved_label.pk
    # The content type moved with its id, so the permission (and any admin history) follows the model.
    permission.refresh_from_db()
    assert (permission.content_type.app_label, permission.content_type.model) == ("review", "labelreview")


@pytest.mark.django_db
def test_the_models_and_the_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)

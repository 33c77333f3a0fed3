"""The review services' writes, each one statement whatever the number of rows.

Django's ``bulk_update`` and ``bulk_create`` split their work into statements of at most 999 bound
parameters on SQLite, so "accept all" on a long dialogue would cost more queries than on a short one.
Here each write is one statement: on SQLite an ``executemany`` (one prepared statement run per row, a C
loop), on PostgreSQL one statement over ``unnest`` of one array per column (one round trip, however
many rows). Both go through Django's cursor, so they are counted like any other query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

from annotations.formats.bulk_sql import datetime_value, json_value
from annotations.models import Label, ReviewEvent
from review.models import LabelReview


def _quoted(*names: str) -> list[str]:
    return [connection.ops.quote_name(name) for name in names]


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _rows_source(types: Sequence[str]) -> str:
    """PostgreSQL: the rows as a relation, one array parameter per column (``unnest`` zips them)."""
    return "unnest(" + ", ".join(f"%s::{kind}[]" for kind in types) + ")"


def _run(sqlite_sql: str, postgresql_sql: str, rows: list[tuple[Any, ...]]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(postgresql_sql, [list(column) for column in zip(*rows, strict=True)])
        else:
            cursor.executemany(sqlite_sql, rows)


def labels_update(labels: Iterable[Label]) -> None:
    """Write each label's status, value, target turn, revision and time of change."""
    rows = [
        (
            label.status,
            json_value(label.value),
            label.turn_id,
            label.revision,
            datetime_value(label.updated_at),
            label.pk,
        )
        for label in labels
    ]
    if not rows:
        return
    status, value, turn, revision, updated_at, pk = _quoted(
        "status", "value", "turn_id", "revision", "updated_at", "id"
    )
    table = _table(Label)
    sets = f"{status} = %s, {value} = %s, {turn} = %s, {revision} = %s, {updated_at} = %s"
    source = _rows_source(["text", "jsonb", "bigint", "integer", "timestamptz", "bigint"])
    _run(
        f"UPDATE {table} SET {sets} WHERE {pk} = %s",
        f"UPDATE {table} SET {status} = v.status, {value} = v.value, {turn} = v.turn, "
        f"{revision} = v.revision, {updated_at} = v.updated_at "
        f"FROM {source} AS v(status, value, turn, revision, updated_at, id) WHERE {table}.{pk} = v.id",
        rows,
    )


REVIEW_COLUMNS = (
    "label_id",
    "dialogue_id",
    "reviewer_id",
    "decision",
    "proposed",
    "value",
    "created_at",
    "updated_at",
)


def label_reviews_upsert(reviews: Iterable[LabelReview]) -> None:
    """Insert each reviewer's verdict, or update the one they gave before (keeping what it proposed)."""
    rows = [
        (
            review.label_id,
            review.dialogue_id,
            review.reviewer_id,
            review.decision,
            json_value(review.proposed),
            json_value(review.value),
            datetime_value(review.created_at),
            datetime_value(review.updated_at),
        )
        for review in reviews
    ]
    if not rows:
        return
    columns = ", ".join(_quoted(*REVIEW_COLUMNS))
    label, reviewer, decision, value, updated_at = _quoted(
        "label_id", "reviewer_id", "decision", "value", "updated_at"
    )
    on_conflict = (
        f"ON CONFLICT ({label}, {reviewer}) DO UPDATE SET {decision} = EXCLUDED.{decision}, "
        f"{value} = EXCLUDED.{value}, {updated_at} = EXCLUDED.{updated_at}"
    )
    insert = f"INSERT INTO {_table(LabelReview)} ({columns})"
    types = ["bigint", "bigint", "bigint", "text", "jsonb", "jsonb", "timestamptz", "timestamptz"]
    _run(
        f"{insert} VALUES ({', '.join(['%s'] * len(REVIEW_COLUMNS))}) {on_conflict}",
        f"{insert} SELECT * FROM {_rows_source(types)} {on_conflict}",
        rows,
    )


EVENT_COLUMNS = (
    "dialogue_id",
    "label_id",
    "actor_id",
    "action",
    "kind",
    "before",
    "after",
    "group",
    "reverts_id",
    "created_at",
)


def review_events_insert(events: Iterable[ReviewEvent], *, now: datetime) -> None:
    """Append the events (their time is ``now``: one action, one moment)."""
    created_at = datetime_value(now)
    rows = [
        (
            event.dialogue_id,
            event.label_id,
            event.actor_id,
            event.action,
            event.kind,
            json_value(event.before),
            json_value(event.after),
            event.group,
            event.reverts_id,
            created_at,
        )
        for event in events
    ]
    if not rows:
        return
    insert = f"INSERT INTO {_table(ReviewEvent)} ({', '.join(_quoted(*EVENT_COLUMNS))})"
    types = ["bigint", "bigint", "bigint", "text", "text", "jsonb", "jsonb", "text", "bigint", "timestamptz"]
    _run(
        f"{insert} VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})",
        f"{insert} SELECT * FROM {_rows_source(types)}",
        rows,
    )

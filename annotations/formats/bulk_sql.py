"""Multi-row INSERT for imports and model labels.

Django's ``bulk_create`` builds a model instance per row and runs every value through the field
machinery; at hundreds of thousands of labels that costs several times the database's own work.
Imports write validated rows straight through the database cursor instead: ``executemany`` on
SQLite (a C loop) and ``COPY`` on PostgreSQL (a stream, no statement per row). Model labels, which
may already be there when a chunk is retried, go through ``INSERT ... ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model

# The column order of label rows written through the cursor, by imports (gold) and by labelling
# (model proposals) alike.
LABEL_COLUMNS = (
    "dialogue_id",
    "turn_id",
    "kind",
    "value",
    "confidence",
    "status",
    "source_type",
    "model_version_id",
    "author_id",
    "job_id",
    "revision",
    "created_at",
    "updated_at",
)
# Model proposals carry what they rest on beside (Label.evidence); imports have none.
MODEL_LABEL_COLUMNS = (*LABEL_COLUMNS, "evidence")


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert ``rows`` (values already in database form, see ``json_value``) into ``model``'s table."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO("".join(_copy_line(row) for row in rows))
            cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", list(rows))


class ForeignKeyChecks:
    """What ``foreign_keys_checked_per_statement`` gives its caller: a way back to deferred checks for
    the statements that need them."""

    def __init__(self, active: bool) -> None:
        self.active = active

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Deferred checks again for a while: Django's cascading ``delete()`` orders its statements
        counting on them (it may delete a row before the rows that still point at it). Its checks run
        when the block ends."""
        if not self.active:
            yield
            return
        _set_constraints("DEFERRED")
        yield
        _set_constraints("IMMEDIATE")


@contextmanager
def foreign_keys_checked_per_statement() -> Iterator[ForeignKeyChecks]:
    """Inside the caller's transaction, have PostgreSQL check foreign keys as each statement ends
    rather than all at commit, and put Django's deferred checking back afterwards.

    Django declares its foreign keys ``DEFERRABLE INITIALLY DEFERRED``, so PostgreSQL queues an event
    per row written until the commit: importing a million dialogues (39 M rows) grew the server's
    backend to 2.1 GB. Checked per statement (a batch's COPY) the queue stays a batch long, the work is
    the same (20,000 dialogues: 18.8 s against 19.6), and a violation still rolls everything back.
    When the block fails, the transaction or savepoint around it is rolled back and nothing is put
    back; a caller's own enclosing transaction then checks the rest of its statements at once too.
    SQLite counts its deferred violations instead of queueing rows, so it is left as it is."""
    if connection.vendor != "postgresql":
        yield ForeignKeyChecks(active=False)
        return
    _set_constraints("IMMEDIATE")
    yield ForeignKeyChecks(active=True)
    # Every constraint Django creates is INITIALLY DEFERRED (none is declared otherwise here).
    _set_constraints("DEFERRED")


def _set_constraints(mode: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS ALL {mode}")


def insert_rows_ignoring_conflicts(
    model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Insert ``rows`` into ``model``'s table, skipping any row that a unique constraint already holds
    (both SQLite and PostgreSQL accept ``ON CONFLICT DO NOTHING`` without naming the constraint, which
    covers the partial unique indexes too), and return how many were inserted. COPY cannot skip
    conflicts, so PostgreSQL gets multi-row VALUES statements (``execute_values``) instead: one round
    trip per thousand rows."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            statement = f"INSERT INTO {table} ({names}) VALUES %s ON CONFLICT DO NOTHING RETURNING 1"
            # rowcount would count the last page only; the returned rows count them all.
            return len(execute_values(cursor.cursor, statement, rows, page_size=1000, fetch=True))
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders}) ON CONFLICT DO NOTHING", rows
        )
        return cursor.rowcount  # sqlite3 sums the rows executemany changed; skipped conflicts are 0


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


_quote = json.encoder.encode_basestring  # what _encode does with a str (ensure_ascii=False), in C


def json_value(value: Any) -> str | None:
    """A JSONField's database form; None stays SQL NULL, as the ORM stores it for a nullable field.

    An import encodes about ten values a label (an intent, a flag, an empty dict of unknown keys):
    the usual ones are written without the encoder's Python entry point, which cost 3-5 us a call."""
    if value is None:
        return None
    kind = value.__class__
    if kind is str:
        return _quote(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is dict and not value:
        return "{}"
    return _encode(value)


def datetime_value(value: datetime) -> str:
    """A DateTimeField's database form as text, which both INSERT and COPY accept."""
    adapted = connection.ops.adapt_datetimefield_value(value)
    # PostgreSQL's backend hands the datetime back (the stub says str | None).
    if isinstance(adapted, datetime):
        return adapted.isoformat()
    assert adapted is not None  # only None adapts to None
    return adapted


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


# PostgreSQL's COPY text format, by Python type: a dict lookup per field instead of a chain of tests,
# since an import writes tens of millions of fields.
_COPY_WRITERS: dict[type, Callable[[Any], str]] = {
    str: _copy_text,
    int: str,
    float: repr,
    bool: lambda value: "t" if value else "f",
    type(None): lambda value: "\\N",
    datetime: datetime.isoformat,
}


def _copy_other(value: Any) -> str:
    """Anything else (a str subclass such as a choices member, a Decimal): its text, escaped."""
    return _copy_text(str(value))


def _copy_line(row: Sequence[Any]) -> str:
    writer = _COPY_WRITERS.get
    return "\t".join([writer(type(value), _copy_other)(value) for value in row]) + "\n"

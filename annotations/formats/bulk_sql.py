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

import msgspec
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


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    tail: Sequence[Any] = (),
) -> int:
    """Insert ``rows`` (values already in database form, see ``json_value``) into ``model``'s table and
    return how many there were. ``tail`` holds the last columns' values when every row shares them
    (a label's status, source, job and times): they are put into database form once, not per row.
    ``rows`` may be a generator: on PostgreSQL it is consumed while the server is still writing what
    was sent before it (see ``_CopyStream``)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stream = _CopyStream(rows, tail)
            cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", stream, size=COPY_CHUNK_CHARS)
            return stream.rows
        placeholders = ", ".join(["%s"] * len(columns))
        listed: Sequence[Sequence[Any]]
        if tail:
            ending = tuple(tail)
            listed = [(*row, *ending) for row in rows]
        else:
            listed = rows if isinstance(rows, list) else list(rows)
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", listed)
        return len(listed)


# Characters of COPY text built and sent at a time: the server writes one chunk while the next is built.
COPY_CHUNK_CHARS = 1 << 18


class _CopyStream(io.TextIOBase):
    """COPY's input, built from ``rows`` as psycopg2 asks for it rather than all before the COPY starts.

    psycopg2 reads a chunk and hands it to the server, which parses, checks and writes it while this
    process builds the next one: at 330,000 labels the server's work and ours went one after the other
    (a 26 MB text built first), now they overlap. Counts the rows it gave."""

    def __init__(self, rows: Iterable[Sequence[Any]], tail: Sequence[Any] = ()) -> None:
        super().__init__()
        self._rows = iter(rows)
        self._end = "\t" + _copy_line(tail)[:-1] if tail else ""
        self.rows = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        limit = size if size is not None and size >= 0 else None
        parts: list[str] = []
        length = 0
        end = self._end
        for row in self._rows:
            line = _copy_line(row, end)
            parts.append(line)
            length += len(line)
            if limit is not None and length >= limit:
                break
        self.rows += len(parts)
        return "".join(parts)


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


_encode_parsed = msgspec.json.Encoder().encode


def parsed_json_value(value: Any) -> str | None:
    """``json_value`` for a value parsed from JSON text, which holds no NaN or infinity: msgspec
    encodes its lists and objects in a fifth of the time. (It writes NaN as null, where ``json_value``
    lets the database refuse it, so it is kept to what was parsed.)"""
    kind = value.__class__
    if (kind is list or kind is dict) and value:
        try:
            return _encode_parsed(value).decode()
        except (TypeError, ValueError, OverflowError):  # what it cannot write, the standard encoder may
            return _encode(value)
    return json_value(value)


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


def _copy_line(row: Sequence[Any], end: str = "") -> str:
    """One row in COPY's text format; ``end`` is the rest of the line, already in that format with its
    leading tab."""
    writer = _COPY_WRITERS.get
    return "\t".join([writer(type(value), _copy_other)(value) for value in row]) + end + "\n"

"""Multi-row INSERT for imports.

Django's ``bulk_create`` builds a model instance per row and runs every value through the field
machinery; at hundreds of thousands of labels that costs several times the database's own work.
Imports write validated rows straight through the database cursor instead: ``executemany`` on
SQLite (a C loop) and ``execute_values`` on PostgreSQL (many rows per statement).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert ``rows`` (values already in database form, see ``json_value``) into ``model``'s table."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(cursor.cursor, f"INSERT INTO {table} ({names}) VALUES %s", rows, page_size=2000)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", list(rows))


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_value(value: Any) -> str | None:
    """A JSONField's database form; None stays SQL NULL, as the ORM stores it for a nullable field."""
    return None if value is None else _encode(value)


def datetime_value(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)

"""The row floor of an import: how long the database itself takes to take the same rows, with no parsing,
validating or row building of ours around it.

``copy_of_empty_database()`` copies the migrated, still empty database before the import runs; after it,
``measure_floor()`` reads the rows the import wrote, a chunk at a time, and writes them into the copy
the barest way the backend offers: ``executemany`` on SQLite (with the settings' pragmas) and ``COPY`` on
PostgreSQL (with foreign keys checked per statement, as the import does). Only the writes and the commit
are timed. The copy has no search-index trigger on SQLite: the floor is the rows alone.
"""

from __future__ import annotations

import io
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# Rows read from the imported database and written to the copy at a time.
CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class FloorDatabase:
    vendor: str
    location: str  # a SQLite file, or a PostgreSQL database's URL


def copy_of_empty_database() -> FloorDatabase:
    """A copy of the (migrated, empty) database Django uses now."""
    from django.db import connection, connections

    if connection.vendor == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="selflearn-floor-")) / "floor.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(path)])
        return FloorDatabase("sqlite", str(path))
    import psycopg2

    url = os.environ["DATABASE_URL"]
    source = urlsplit(url).path.lstrip("/")
    name = f"{source}_floor_{uuid.uuid4().hex[:6]}"
    connections.close_all()  # a template database may have no other connection
    admin = psycopg2.connect(url, dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    admin.close()
    return FloorDatabase("postgresql", urlunsplit(urlsplit(url)._replace(path="/" + name)))


def measure_floor(floor: FloorDatabase, tables: Sequence[str]) -> float:
    """Seconds the database takes to write every row of ``tables`` (in that order: parents first) into
    the copy, in one transaction; the copy is dropped afterwards."""
    if floor.vendor == "sqlite":
        return _sqlite_floor(floor, tables)
    return _postgresql_floor(floor, tables)


def _sqlite_floor(floor: FloorDatabase, tables: Sequence[str]) -> float:
    from django.db import connection

    target = sqlite3.connect(floor.location, isolation_level=None)
    target.executescript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
        "PRAGMA foreign_keys=ON;"
    )
    triggers = target.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_insert'"
    )
    for (trigger,) in triggers.fetchall():
        target.execute(f'DROP TRIGGER "{trigger}"')
    spent = 0.0
    target.execute("BEGIN IMMEDIATE")
    for table in tables:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT * FROM "{table}" LIMIT 0')
            columns = [column[0] for column in cursor.description]
            statement = (
                f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join(["?"] * len(columns))})'
            )
            last = -1
            while True:
                cursor.execute(
                    f'SELECT * FROM "{table}" WHERE id > %s ORDER BY id LIMIT {CHUNK_ROWS}', [last]
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                last = rows[-1][columns.index("id")]
                started = time.perf_counter()
                target.executemany(statement, rows)
                spent += time.perf_counter() - started
    started = time.perf_counter()
    target.execute("COMMIT")
    spent += time.perf_counter() - started
    target.close()
    for suffix in ("", "-wal", "-shm"):
        Path(floor.location + suffix).unlink(missing_ok=True)
    return spent


def _postgresql_floor(floor: FloorDatabase, tables: Sequence[str]) -> float:
    import psycopg2
    from django.db import connection

    target = psycopg2.connect(floor.location)
    spent = 0.0
    with target.cursor() as out:
        out.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            with connection.cursor() as cursor:
                last = -1
                while True:
                    chunk = io.StringIO()
                    cursor.cursor.copy_expert(
                        f'COPY (SELECT * FROM "{table}" WHERE id > {last} ORDER BY id LIMIT {CHUNK_ROWS}) '
                        "TO STDOUT",
                        chunk,
                    )
                    if not chunk.tell():
                        break
                    text = chunk.getvalue()
                    last = int(text[text.rfind("\n", 0, len(text) - 1) + 1 :].split("\t", 1)[0])
                    chunk.seek(0)
                    started = time.perf_counter()
                    out.copy_expert(f'COPY "{table}" FROM STDIN', chunk)
                    spent += time.perf_counter() - started
    started = time.perf_counter()
    target.commit()
    spent += time.perf_counter() - started
    target.close()
    admin = psycopg2.connect(floor.location, dbname="postgres")
    admin.autocommit = True
    name = urlsplit(floor.location).path.lstrip("/")
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
    return spent

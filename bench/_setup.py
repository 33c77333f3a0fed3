"""Shared plumbing for benchmarks: a fresh, migrated database of the kind DATABASE_URL names (a
temporary SQLite file by default), and one JSON line of results."""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def fresh_database() -> Iterator[str]:
    """Point Django at a new empty database, migrate it, and drop it afterwards.

    With DATABASE_URL unset, a temporary SQLite file; with a postgres:// URL, a new database on that
    server (its name suffixed with a random tag), so a benchmark never touches real data.
    """
    sys.path.insert(0, str(ROOT))
    base = os.environ.get("DATABASE_URL", "")
    drop = None
    if base.startswith("postgres"):
        import psycopg2

        parts = urlsplit(base)
        name = f"selflearn_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(base)
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(parts._replace(path="/" + name))

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

        os.environ["DATABASE_URL"] = url
    else:
        folder = tempfile.mkdtemp(prefix="selflearn-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        os.environ.setdefault("SELFLEARN_VAR_DIR", folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selflearn_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        yield os.environ["DATABASE_URL"]
    finally:
        if drop is not None:
            drop()


def database_backend() -> str:
    from django.db import connection

    return connection.vendor


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(result: dict) -> None:
    print(json.dumps(result), flush=True)

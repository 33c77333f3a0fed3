"""Resolving preferences kept as written when a catalogue learns their values. One JSON line.

    python bench/preference_resolution.py [--people 20000] [--films 2000]

``--people`` people each stated a liked film no catalogue knew (lower case, as said: "film number 7"),
``--films`` distinct films among them. Then a film catalogue of those films is loaded
(``catalogues_load``, as ``manage.py load_catalogues`` does): the entries are written and every
person's preference is resolved to its entry in the same transaction. Reported: wall and CPU seconds of
that load, the queries it ran, and how many preferences it resolved; and a reload of the same
catalogue, which finds nothing left to resolve. A fresh database of the kind DATABASE_URL names
(temporary SQLite by default).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import database_backend, emit, fresh_database, peak_rss_mb


def _timed_load(data: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from teachable.services import catalogues_load

    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        catalogues_load(data=data, source="bench")
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--films", type=int, default=2_000)
    args = parser.parse_args()
    if args.people < 1 or not 1 <= args.films <= args.people:
        parser.error("--people must be at least 1 and --films between 1 and --people")
    with fresh_database():
        from annotations.models import Dataset
        from teachable.models import Preference

        dataset = Dataset.objects.create(name="bench-resolution", name_key="bench-resolution")
        Preference.objects.bulk_create(
            [
                Preference(
                    dataset=dataset,
                    user_key=f"person-{n}",
                    domain="movies",
                    key="film",
                    value=f"film number {n % args.films}",
                    resolved=False,
                    source="statement",
                )
                for n in range(args.people)
            ],
            batch_size=2000,
        )
        data = {"film": {"entries": [{"value": f"Film Number {n}"} for n in range(args.films)]}}
        first = _timed_load(data)
        first["resolved"] = Preference.objects.filter(key="film", resolved=True).count()
        again = _timed_load(data)
        emit(
            {
                "benchmark": "preference_resolution",
                "database": database_backend(),
                "people": args.people,
                "films": args.films,
                "load_and_resolve": first,
                "reload": again,
                "peak_rss_mb": peak_rss_mb(),
            }
        )


if __name__ == "__main__":
    main()

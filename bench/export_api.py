"""Export N dialogues (6 turns each, labels of every kind) through the REST API in every format, from a
real server (gunicorn, one sync worker, the project's WSGI app); print one JSON line.

    python bench/export_api.py [--dialogues 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/export_api.py

For each format: the seconds to read the whole response, the time to its first byte, its size, and the
server worker's peak RSS (VmHWM, reset before each export where the kernel allows it). An incremental
pull (``changed_since`` after the import: nothing changed) shows what finding the changed dialogues
costs. Run it at two sizes to see that the server's memory does not grow with the dataset.

Targets (2-core machine, SQLite and PostgreSQL): the JSON Lines export of 100,000 dialogues in at most
10 s (20 s before), its first byte within 200 ms (with changed_since too), the server's
memory flat in the number of dialogues.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, database_backend, emit, fresh_database
from import_export import write_dialogues

FORMATS = ("jsonl", "conll", "rasa", "csv", "hf")
READ_CHUNK = 256 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn_server(port: int, workers: int = 1):
    """The project's WSGI app under gunicorn with ``workers`` sync workers, as in production (DEBUG
    off); stopped with SIGTERM, as a deploy stops it."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        # Plain HTTP on the loopback, as behind a TLS-terminating proxy: no redirect to https.
        "SECURE_SSL_REDIRECT": "0",
    }
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "selflearn_site.wsgi",
        f"--workers={workers}",
        f"--bind=127.0.0.1:{port}",
        "--timeout=900",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        yield server
    finally:
        server.terminate()
        server.wait(timeout=60)


def _worker_pid(master: int) -> int:
    """Gunicorn's one worker: the master's only child."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int) -> bool:
    """Make VmHWM the current RSS (Linux 4.0+), so each export's peak is its own."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _wait_until_up(session, base: str) -> None:
    import requests

    deadline = time.monotonic() + 60
    while True:
        try:
            session.get(base + "/api/models/", timeout=30)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still loading
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _export(session, url: str) -> dict:
    started = time.perf_counter()
    first_byte = None
    size = 0
    with session.get(url, stream=True, timeout=900) as response:
        response.raise_for_status()
        for chunk in response.iter_content(READ_CHUNK):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "first_byte_ms": round((first_byte or seconds) * 1000, 1),
        "mb": round(size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    args = parser.parse_args()

    import requests

    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder:
        source_path = Path(folder) / "dialogues.jsonl"
        write_dialogues(source_path, args.dialogues, args.turns)
        with fresh_database():
            from django.contrib.auth import get_user_model
            from django.db import connections

            from accounts.services import api_token_create
            from annotations.formats.importing import ImportSource, import_dialogues
            from annotations.services import dataset_create

            user = get_user_model().objects.create_user("bench", password="bench-only")
            dataset = dataset_create(name="bench", user=user)
            started = time.perf_counter()
            report = import_dialogues(source=ImportSource.from_path(source_path), dataset=dataset)
            fill_seconds = time.perf_counter() - started
            _, key = api_token_create(user=user, name="bench")
            imported_at = datetime.now(UTC).isoformat()
            connections.close_all()

            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            session = requests.Session()
            session.headers["Authorization"] = f"Token {key}"
            results: dict[str, dict] = {}
            with gunicorn_server(port) as server:
                _wait_until_up(session, base)
                worker = _worker_pid(server.pid)
                # Warm (code loaded, a connection open) without reading the dataset: the idle figure
                # holds no database pages.
                session.get(base + "/api/datasets/bench/members/").raise_for_status()
                idle_rss_mb = round(_status_kb(worker, "VmRSS") / 1024, 1)
                peak_resets = True
                exports = [
                    (fmt, f"{base}/api/datasets/bench/export/?format={fmt}")
                    for fmt in args.formats.split(",")
                ]
                exports.append(
                    ("jsonl_changed_since", f"{base}/api/datasets/bench/export/?changed_since={imported_at}")
                )
                for name, url in exports:
                    peak_resets = _reset_peak(worker) and peak_resets
                    result = _export(session, url.replace("+", "%2B"))
                    result["server_peak_rss_mb"] = round(_status_kb(worker, "VmHWM") / 1024, 1)
                    results[name] = result
            emit(
                {
                    "benchmark": "export_api",
                    "database": database_backend(),
                    "dialogues": report.dialogues,
                    "turns": report.turns,
                    "labels": report.labels,
                    "fill_seconds": round(fill_seconds, 1),
                    "server_idle_rss_mb": idle_rss_mb,
                    "peak_rss_is_per_export": peak_resets,
                    "exports": results,
                    "targets": {"jsonl_seconds": 10, "first_byte_ms": 200},
                }
            )


if __name__ == "__main__":
    main()

"""The first run, as a new user meets it: `make run` on a fresh database, its demo trained and labelled
by the real worker that `make run` starts (scripts/serve, scripts/worker).

The demo is made smaller through its settings (SELFLEARN_DEMO_TRAINING_DIALOGUES, SELFLEARN_DEMO_EPOCHS),
which is all that differs from a new user's run: the same Makefile target, the same scripts, the same
default database and broker (SQLite files, here in a folder of the test's own). It runs in the SQLite
pass of `.ci/run` (`make test`): the first run needs no server.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# Generous: the small demo's two trainings, labellings and evaluations take about three minutes on the
# 2-core machine; a run past this is a hang to report, not a slow machine to wait for.
DEADLINE_SECONDS = 15 * 60
EXPECTED_JOBS = {"train": 2, "label": 2, "evaluate": 2}


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def first_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, int, Path]]:
    """`make run` in its own process group, on a fresh var folder; stopped with everything it started."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the first run is tested in the SQLite pass: `make run` needs no database server")
    port = _free_port()
    var = tmp_path / "var"
    log_path = tmp_path / "make-run.log"
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SELFLEARN_", "CELERY_", "DJANGO_")) and name != "DATABASE_URL"
    }
    environment.update(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SELFLEARN_VAR_DIR": str(var),
            "SELFLEARN_DEMO_TRAINING_DIALOGUES": "300",
            "SELFLEARN_DEMO_EPOCHS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "run"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, var / "selflearn.sqlite3", port, log_path
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop `make run` as a person does, with Ctrl-C (SIGINT to its process group), then make sure
    nothing of it is left (SIGKILL to the group: a process that ignored the first is gone too)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _jobs(database: Path) -> list[tuple[int, str, str, str, str]]:
    if not database.exists():
        return []
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as connection:
            return connection.execute(
                "SELECT id, kind, status, error, params FROM jobs_job ORDER BY id"
            ).fetchall()
    except sqlite3.OperationalError:  # not migrated yet, or busy: ask again
        return []


def _page_status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return int(response.status)
    except OSError:
        return 0


def _wait_for_the_demo(process: subprocess.Popen[bytes], database: Path, log: Path) -> list[tuple]:
    """Every demo job, once all have succeeded; fails at once on a failed job or a stopped `make run`."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`make run` stopped (exit {process.returncode}):\n{log.read_text()[-4000:]}")
        jobs = _jobs(database)
        failed = [job for job in jobs if job[2] in ("failed", "cancelled")]
        if failed:
            details = "\n".join(f"job {job[0]} ({job[1]}) {job[2]}: {job[3]}" for job in failed)
            pytest.fail(f"a demo job did not succeed:\n{details}\n\n{log.read_text()[-4000:]}")
        kinds = [job[1] for job in jobs if job[2] == "succeeded"]
        if {kind: kinds.count(kind) for kind in EXPECTED_JOBS} == EXPECTED_JOBS and len(kinds) == len(jobs):
            return jobs
        time.sleep(2)
    pytest.fail(f"the demo's jobs did not all succeed in {DEADLINE_SECONDS} s: {_jobs(database)}")


def test_make_run_serves_and_its_worker_trains_labels_and_evaluates_the_demo(first_run) -> None:
    process, database, port, log = first_run
    _wait_for_the_demo(process, database, log)

    assert _page_status(port, "/login/") == 200
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        models = dict(connection.execute("SELECT name, id FROM models_app_modelversion").fetchall())
        assert set(models) == {"demo-quick", "demo"}
        demo_turns = connection.execute(
            "SELECT COUNT(*) FROM annotations_turn t JOIN annotations_dialogue d ON t.dialogue_id = d.id "
            "JOIN annotations_dataset s ON d.dataset_id = s.id WHERE s.name = 'demo'"
        ).fetchone()[0]
        for name, pk in models.items():
            labelled_turns = connection.execute(
                "SELECT COUNT(DISTINCT l.turn_id) FROM annotations_label l "
                "JOIN annotations_turn t ON l.turn_id = t.id "
                "JOIN annotations_dialogue d ON t.dialogue_id = d.id "
                "JOIN annotations_dataset s ON d.dataset_id = s.id "
                "WHERE s.name = 'demo' AND l.model_version_id = ? AND l.kind = 'intent'",
                (pk,),
            ).fetchone()[0]
            assert demo_turns > 0 and labelled_turns == demo_turns, f"{name} labelled {labelled_turns}"
            evaluations = connection.execute(
                "SELECT e.dialogues, e.metrics FROM models_app_modelevaluation e "
                "JOIN annotations_dataset s ON e.dataset_id = s.id "
                "WHERE s.name = 'demo' AND e.model_version_id = ?",
                (pk,),
            ).fetchall()
            assert len(evaluations) == 1 and evaluations[0][0] == 300
            assert '"intent_accuracy"' in evaluations[0][1]

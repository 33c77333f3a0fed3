"""The served rewrite endpoint's logs, written in batches by a thread of the process, off the requests'
path (``SELFLEARN_SERVING_LOG_SECONDS``).

A request hands its ``RewriteLog`` row over and returns; the thread writes what gathered once a
period, or at once when ``BATCH`` rows wait, in one ``bulk_create``. When the process exits normally
(gunicorn's workers on SIGTERM or SIGQUIT, ``sys.exit``, the end of a script) ``atexit`` writes what
is left, so a stop loses nothing; a process killed outright loses at most one period's rows. A failed
write (the database away) keeps the rows for the next period, up to ``MAX_WAITING``, past which the
oldest are dropped with an error in the log rather than filling the worker's memory.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from django.conf import settings
from django.db import connection

from rewrites.models import RewriteLog

BATCH = 500  # rows that wake the writer before its period ends
MAX_WAITING = 100_000  # rows kept while the database refuses them (about 50 MB)

logger = logging.getLogger(__name__)
_waiting: list[RewriteLog] = []
_lock = threading.Lock()
_wake = threading.Event()
# The process whose writer thread runs: a forked child (a gunicorn worker forked after the app
# loaded) has the parent's memory but not its threads, and starts its own.
_writer_pid: int | None = None


def serving_log_record(entry: RewriteLog) -> None:
    """Log a served answer: written with the next batch, or at once where the period is 0."""
    seconds = settings.SELFLEARN_SERVING_LOG_SECONDS
    if seconds <= 0:
        entry.save()
        return
    with _lock:
        _waiting.append(entry)
        full = len(_waiting) >= BATCH
    _writer_start(seconds)
    if full:
        _wake.set()


def serving_log_flush() -> int:
    """Write every waiting row now; returns how many were written. A failure keeps them waiting and
    raises."""
    with _lock:
        batch = _waiting[:]
        _waiting.clear()
    if not batch:
        return 0
    try:
        RewriteLog.objects.bulk_create(batch, batch_size=BATCH)
    except Exception:
        with _lock:
            _waiting[:0] = batch  # first again, in order
            dropped = len(_waiting) - MAX_WAITING
            if dropped > 0:
                del _waiting[:dropped]
                logger.error(
                    "Dropped the %d oldest waiting rewrite logs: the database refuses them.", dropped
                )
        raise
    return len(batch)


def serving_log_waiting() -> int:
    with _lock:
        return len(_waiting)


def serving_log_discard() -> int:
    """Drop the waiting rows unwritten (the tests, whose rows vanish with each test's transaction)."""
    with _lock:
        dropped = len(_waiting)
        _waiting.clear()
    return dropped


def _writer_start(seconds: float) -> None:
    global _writer_pid
    if _writer_pid == os.getpid():
        return
    with _lock:
        if _writer_pid == os.getpid():
            return
        _writer_pid = os.getpid()
    threading.Thread(target=_write_every, args=(seconds,), name="rewrite-log-writer", daemon=True).start()


def _write_every(seconds: float) -> None:
    while True:
        _wake.wait(seconds)
        _wake.clear()
        try:
            serving_log_flush()
        except Exception:
            logger.exception("Writing the rewrite logs failed; they wait for the next try.")
            connection.close()  # this thread's connection, which may be broken


def _write_at_exit() -> None:
    try:
        serving_log_flush()
    except Exception:
        logger.exception("Writing the last rewrite logs at exit failed.")


def _after_fork_in_child() -> None:
    """A forked child starts with no waiting rows (its parent writes its own), a free lock and no
    writer thread (it starts one when it logs)."""
    global _lock, _wake, _writer_pid
    _waiting.clear()
    _lock, _wake, _writer_pid = threading.Lock(), threading.Event(), None


atexit.register(_write_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)

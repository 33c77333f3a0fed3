"""What a running job reports as it goes: its progress (never backwards within a phase) and whether
it was asked to stop."""

from __future__ import annotations

import time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from jobs.models import Job


class JobCancelCheck:
    """Asks the database whether the job was asked to stop, at most every ``interval`` seconds, so a
    hot loop may ask after every item and still stop within a second of a cancel."""

    def __init__(self, job: Job, *, interval: float = 0.5) -> None:
        self.job, self.interval = job, interval
        self.cancelled = False
        self._checked = time.monotonic()

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.cancelled and now - self._checked >= self.interval:
            self._checked = now
            self.cancelled = Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
        return self.cancelled


class JobProgress:
    """Records a job's progress on its row at most every ``interval`` seconds (and always at the end
    of a phase), so a hot loop can report every item without a write per item. Within a phase the
    count never goes back: a run that starts over (a delivery taking over from a lost worker) shows
    what was reached until it passes it.

    Work that runs inside one long transaction (an import) would hide its progress until it commits.
    On PostgreSQL the progress is therefore written through a connection of its own, which others
    see at once. SQLite allows one writer at a time, so there the progress of such work shows when
    it commits; the phase before it (validation) runs outside any transaction and shows live.
    """

    def __init__(self, job: Job, *, interval: float = 0.5) -> None:
        self.job = job
        self.interval = interval
        self._last_write = 0.0
        self._last_phase = job.phase
        self._side_connection: Any = None

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        phase_done = total is not None and done >= total
        if phase == self._last_phase and not phase_done and now - self._last_write < self.interval:
            return
        self._last_write, self._last_phase = now, phase
        self.job.phase, self.job.progress_done, self.job.progress_total = phase, done, total
        if connection.in_atomic_block and connection.vendor == "postgresql":
            self._write_aside(phase, done, total)
        else:
            Job.objects.filter(pk=self.job.pk).exclude(phase=phase, progress_done__gt=done).update(
                phase=phase, progress_done=done, progress_total=total, updated_at=timezone.now()
            )

    def _write_aside(self, phase: str, done: int, total: int | None) -> None:
        if self._side_connection is None:
            self._side_connection = connections.create_connection(DEFAULT_DB_ALIAS)
        with self._side_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Job._meta.db_table} SET phase = %s, progress_done = %s, progress_total = %s, "
                "updated_at = %s WHERE id = %s AND NOT (phase = %s AND progress_done > %s)",
                [phase, done, total, timezone.now(), self.job.pk, phase, done],
            )

    def close(self) -> None:
        if self._side_connection is not None:
            self._side_connection.close()
            self._side_connection = None

"""The worker's prefork pool, made to survive a child killed while it waits for work.

On a broker without an event loop (the default SQLAlchemy broker), Celery runs billiard's plain
``Pool``: every child takes its next task from one shared pipe, and an idle child waits for it holding
the pipe's read lock (a semaphore shared by the processes). A child killed while idle never releases
it, and every other child, and each one forked to replace the dead, waits on that lock for ever: the
worker stays up, receives tasks and runs none (after the broker no longer crashed).

Here the pipe records which child holds its read lock, and the pool's supervisor, when it cleans up
after dead children, releases the lock that one of them held. (Celery's ``AsynPool``, used with Redis,
gives each child its own pipe and is left as it is.)

The supervisor compares the holder with the children alive after billiard's own cleanup (comparing
with a snapshot of dead children taken before it missed a child whose death showed in between, and
hung a CI run). A child killed in the few instructions between taking the lock and recording it, or
while it reads a message off the pipe, is not covered; the job leases (``jobs.services``) still redo
what it held. (POSIX record locks, which the kernel frees when their holder dies, were tried instead:
the task pipe came out of step now and then after children were killed, so they were not kept.)
"""

from __future__ import annotations

import logging
import os
from typing import Any

from billiard import pool as billiard_pool
from billiard.queues import SimpleQueue
from celery.concurrency import prefork

logger = logging.getLogger(__name__)

# billiard's stubs declare neither the queues' nor the pool's private parts used here.
_SimpleQueue: Any = SimpleQueue
_BilliardPool: Any = billiard_pool.Pool


class TrackedSimpleQueue(_SimpleQueue):
    """A SimpleQueue whose readers record, while they hold its read lock, who they are."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holder = kwargs["ctx"].Value("i", 0, lock=False)  # the pid holding the read lock, or 0

    def __getstate__(self) -> Any:
        return (*super().__getstate__(), self._holder)

    def __setstate__(self, state: Any) -> None:
        *rest, self._holder = state
        super().__setstate__(tuple(rest))

    def get_payload(self) -> bytes:
        with self._rlock:
            self._holder.value = os.getpid()
            try:
                return self._reader.recv_bytes()
            finally:
                self._holder.value = 0

    def release_unless_held_by(self, live: set[int]) -> bool:
        """Release the read lock if a process other than those in ``live`` (the pool's children and
        this process) holds it: the holder has died."""
        holder = self._holder.value
        if holder == 0 or holder in live:
            return False
        self._holder.value = 0
        self._rlock.release()
        return True


class Pool(_BilliardPool):
    """billiard's Pool whose shared task pipe is freed from a dead child's lock."""

    def _setup_queues(self) -> None:
        super()._setup_queues()
        self._inqueue = TrackedSimpleQueue(ctx=self._ctx)
        self._quick_put = self._inqueue._writer.send

    def _join_exited_workers(self, shutdown: bool = False) -> Any:
        try:
            return super()._join_exited_workers(shutdown=shutdown)
        finally:
            # After billiard's cleanup, not from a snapshot before it: a child whose death showed in
            # between was cleaned up without ever being seen dead here, and its lock stayed held.
            live = {worker.pid for worker in self._pool if worker.exitcode is None} | {os.getpid()}
            tracked = isinstance(self._inqueue, TrackedSimpleQueue)
            if tracked and self._inqueue.release_unless_held_by(live):
                logger.warning("a pool child died holding the task pipe's lock; released it")


class TaskPool(prefork.TaskPool):
    """Celery's prefork pool (``worker_pool``) with the pool above when there is no event loop."""

    BlockingPool = Pool

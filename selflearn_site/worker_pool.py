"""The worker's prefork pool, made to survive a child killed while it holds a pipe's lock.

On a broker without an event loop (the default SQLAlchemy broker), Celery runs billiard's plain
``Pool``: every child takes its next task from one shared pipe and writes its results to another,
each pipe guarded by a lock (a semaphore shared by the processes). An idle child waits for work
holding the task pipe's read lock; a busy one holds the result pipe's write lock while it reports. A
child killed while holding either never releases it, and every other child, and each one forked to
replace the dead, waits on that lock for ever: the worker stays up, receives tasks and runs none
(issue 16, finding 1, after the broker no longer crashed).

Here those locks are POSIX record locks (``fcntl.lockf``) on an unlinked temporary file: the kernel
releases a record lock when the process that holds it dies, however it dies, so there is no moment
in which a killed child can leave a lock held. (An earlier version recorded the holder in shared
memory and let the supervisor release a dead holder's lock; a child killed between taking the lock
and recording itself, or dying just as the supervisor looked, still hung the worker now and then.)
Celery's ``AsynPool``, used with Redis, gives each child its own pipes and is left as it is.

A child killed in the middle of reading one message off the task pipe (between its length and its
body) still leaves the pipe out of step; the job leases (``jobs.services``) redo what it held.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import threading
import time
from types import TracebackType
from typing import Any

from billiard import pool as billiard_pool
from billiard.queues import SimpleQueue
from celery.concurrency import prefork

# billiard's stubs declare neither the queues' nor the pool's private parts used here.
_SimpleQueue: Any = SimpleQueue
_BilliardPool: Any = billiard_pool.Pool

# How long a non-blocking acquire with a timeout sleeps between tries.
_POLL_SECONDS = 0.01


class ProcessLock:
    """A lock between forked processes that the kernel releases when its holder dies.

    A POSIX record lock belongs to a process, not to a thread, so the threads of one process first
    take an ordinary thread lock (made afresh in each forked child: one held by a thread of the parent
    when it forked would never be released in the child). Works across ``fork`` only, which is how
    billiard starts the pool's children on POSIX; it cannot be pickled for a spawned process.
    """

    def __init__(self) -> None:
        # Unlinked at once: nothing can open it again, and closing another descriptor of the same
        # file (which drops a process's record locks) cannot happen by accident.
        self._file = tempfile.TemporaryFile(prefix="selflearn-pool-lock-")  # noqa: SIM115 (lives with the lock)
        self._threads = threading.Lock()
        os.register_at_fork(after_in_child=self._forget_threads)

    def _forget_threads(self) -> None:
        self._threads = threading.Lock()

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        if not self._threads.acquire(block, -1 if timeout is None else max(timeout, 0.0)):
            return False
        try:
            while True:
                if self._lock_file(wait=block and deadline is None):
                    return True
                if not block or (deadline is not None and time.monotonic() >= deadline):
                    self._threads.release()
                    return False
                time.sleep(_POLL_SECONDS)
        except BaseException:
            self._threads.release()
            raise

    def _lock_file(self, *, wait: bool) -> bool:
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.lockf(self._file.fileno(), flags, 1, 0)
        except OSError as error:
            # EAGAIN/EACCES: held by another process. EDEADLK: the kernel's per-process deadlock
            # check can misfire when threads of two processes wait on each other's locks; try again.
            if error.errno in (errno.EAGAIN, errno.EACCES, errno.EDEADLK):
                return False
            raise
        return True

    def release(self) -> None:
        fcntl.lockf(self._file.fileno(), fcntl.LOCK_UN, 1, 0)
        self._threads.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()

    def __getstate__(self) -> Any:
        raise TypeError("a ProcessLock is shared by forking only, not by pickling")


class Pool(_BilliardPool):
    """billiard's Pool whose shared pipes cannot be locked for ever by a dead child."""

    def _setup_queues(self) -> None:
        super()._setup_queues()
        for queue in (self._inqueue, self._outqueue):
            queue._rlock = ProcessLock()
            queue._wlock = ProcessLock()


class TaskPool(prefork.TaskPool):
    """Celery's prefork pool (``worker_pool``) with the pool above when there is no event loop."""

    BlockingPool = Pool

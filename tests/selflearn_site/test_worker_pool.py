"""The pool's locks between processes: exclusive, and freed by the kernel when their holder is killed."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from selflearn_site.worker_pool import Pool, ProcessLock


def fork_holding(lock: ProcessLock) -> int:
    """Fork a child that takes the lock, says so on a pipe and sleeps; return its pid."""
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            lock.acquire()
            os.write(ready_write, b"x")
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(ready_write)
    assert os.read(ready_read, 1) == b"x"
    os.close(ready_read)
    return pid


def test_a_lock_held_by_another_process_cannot_be_taken():
    lock = ProcessLock()
    child = fork_holding(lock)
    try:
        assert lock.acquire(block=False) is False
        assert lock.acquire(timeout=0.05) is False
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_a_lock_whose_holder_is_killed_is_free_again():
    lock = ProcessLock()
    child = fork_holding(lock)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)

    assert lock.acquire(timeout=5) is True
    lock.release()


def test_threads_of_one_process_exclude_each_other():
    lock = ProcessLock()
    lock.acquire()
    taken = threading.Event()

    def take() -> None:
        with lock:
            taken.set()

    other = threading.Thread(target=take)
    other.start()
    assert not taken.wait(0.1)
    lock.release()
    other.join(5)
    assert taken.is_set()


def test_a_forked_child_is_not_blocked_by_a_thread_of_the_parent_holding_the_lock_at_fork():
    lock = ProcessLock()
    holder_thread_done = threading.Event()

    def hold_across_fork() -> None:
        with lock:
            holder_thread_done.wait(5)

    holder = threading.Thread(target=hold_across_fork)
    holder.start()
    time.sleep(0.05)
    pid = os.fork()
    if pid == 0:  # the child: the holding thread is not here; the parent releases its record lock soon
        os._exit(0 if lock.acquire(timeout=2) else 1)
    holder_thread_done.set()
    holder.join(5)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_lock_cannot_be_pickled_for_a_spawned_process():
    import pickle

    with pytest.raises(TypeError, match="forking only"):
        pickle.dumps(ProcessLock())


def test_the_pool_runs_tasks_after_its_idle_children_are_killed():
    pool = Pool(processes=2)
    try:
        assert isinstance(pool._inqueue._rlock, ProcessLock)
        assert pool.apply_async(os.getpid).get(timeout=30) in {p.pid for p in pool._pool}
        # An idle child waits for work holding the task pipe's read lock.
        for child in list(pool._pool):
            os.kill(child.pid, signal.SIGKILL)
        results = [pool.apply_async(pow, (2, n)) for n in range(8)]
        assert [r.get(timeout=30) for r in results] == [2**n for n in range(8)]
    finally:
        pool.terminate()
        pool.join()

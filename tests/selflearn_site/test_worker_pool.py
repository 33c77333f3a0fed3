"""The pool's task pipe: a dead child's hold on its read lock is released by the supervisor."""

from __future__ import annotations

import os

from billiard import get_context

from selflearn_site.worker_pool import TrackedSimpleQueue

GONE = 2**22 + 12345  # a pid no live process of the test has


def test_a_read_lock_held_by_a_process_no_longer_alive_is_released():
    queue = TrackedSimpleQueue(ctx=get_context("fork"))
    queue._rlock.acquire()
    queue._holder.value = GONE  # as a child killed while it waited for work leaves it

    assert queue.release_unless_held_by({os.getpid()}) is True
    assert queue._rlock.acquire(False) is True  # free again
    queue._rlock.release()
    assert queue._holder.value == 0


def test_a_read_lock_held_by_a_live_child_is_left_alone():
    queue = TrackedSimpleQueue(ctx=get_context("fork"))
    queue._rlock.acquire()
    queue._holder.value = GONE

    assert queue.release_unless_held_by({os.getpid(), GONE}) is False
    assert queue._rlock.acquire(False) is False  # still held
    queue._holder.value = 0
    queue._rlock.release()


def test_a_free_lock_is_left_alone():
    queue = TrackedSimpleQueue(ctx=get_context("fork"))
    assert queue.release_unless_held_by({os.getpid()}) is False
    assert queue._rlock.acquire(False) is True
    queue._rlock.release()

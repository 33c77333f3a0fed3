"""A process's memory of what the served endpoints answer from, kept under the revision it was read at.

``POST .../rewrite/`` and ``POST .../resolve/`` answer from rewrite pairs, the blocklist, the active
rewriter, a person's preferences and the resolution rules: reading them on every request cost five
queries of a 10 ms budget. Each process keeps what it read under the dataset's ``serving_revision``
(``annotations.models.Dataset``), which the request's dataset row brings at no cost, and reads again
only when a change bumped it (``annotations.services.dataset_serving_changed``): the next request after
a change, in every process, answers from the change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class RevisionCache(Generic[Value]):
    """At most ``size`` values, each under the key and revision it was loaded for; the least recently
    used go first. Thread-safe (a gunicorn worker may run threads); two threads missing the same key
    may both load it, which costs a query, never a wrong answer."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, tuple[int, Value]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, revision: int, load: Callable[[], Value]) -> Value:
        """The value of ``key`` at ``revision``: the kept one if it was loaded at that revision, else
        ``load()``'s, kept from now on."""
        with self._lock:
            kept = self._values.get(key)
            if kept is not None and kept[0] == revision:
                self._values.move_to_end(key)
                return kept[1]
        value = load()
        with self._lock:
            self._values[key] = (revision, value)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

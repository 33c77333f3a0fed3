"""The default broker: kombu's SQLAlchemy transport, made safe for the threads of a Celery worker.

kombu's SQLAlchemy channel keeps one ORM session and uses it from whichever thread calls it. In a
prefork worker on a transport without an event loop, the main thread polls the queue through that
session while the pool's threads give messages back through the same channel: when a pool child is
killed, the task's late acknowledgement becomes a reject with requeue, which writes the message back
from the pool's result-handler thread. Two threads in one session end in
``InvalidRequestError: This session is in 'prepared' state``, raised in the consumer loop, and Celery
stops the whole worker ("Unrecoverable error").

Here each thread has its own session (and so its own connection from the engine's pool); SQLite
serialises their writes with its lock, and every operation of the transport stays one transaction in
one thread.

kombu also caches its engines (with their connection pools and locks) per class, so a pool child
forked while another thread of the worker was publishing (the job reaper, a requeue) inherited a pool
whose lock was held, and hung on its first publish. Engines here belong to the process that made them:
a forked child makes its own, and the locks are new in the child.

The transport also polls as often as ``SELFLEARN_SQLA_BROKER_POLLING_INTERVAL`` says.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from kombu import transport as kombu_transport
from kombu.transport import sqlalchemy
from kombu.transport.sqlalchemy.models import metadata
from sqlalchemy.orm import sessionmaker

# This process's engines and session factories, by URL; made again in a forked child.
_engines: dict[str, tuple[Any, Any]] = {}
_engines_lock = threading.Lock()


def _forget_engines_in_child() -> None:
    global _engines_lock
    _engines_lock = threading.Lock()
    # The parent's engines stay referenced (closing their inherited connections here could disturb
    # the parent's); the child opens its own.
    _inherited.extend(_engines.values())
    _engines.clear()
    # kombu's own lock, which another thread may have held (kombu-stubs do not declare it).
    sqlalchemy._MUTEX = threading.RLock()  # type: ignore[attr-defined]


_inherited: list[tuple[Any, Any]] = []
os.register_at_fork(after_in_child=_forget_engines_in_child)


class Channel(sqlalchemy.Channel):
    """A channel whose ORM session belongs to the calling thread, on an engine of this process."""

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        self._local = threading.local()
        self._sessions: list[Any] = []
        self._sessions_lock = threading.Lock()
        super().__init__(connection, **kwargs)

    def _open(self) -> tuple[Any, Any]:
        url = str(self.connection.client.hostname)  # type: ignore[union-attr]  # set by kombu
        with _engines_lock:
            if url not in _engines:
                engine = self._engine_from_config()
                metadata.create_all(engine)
                _engines[url] = engine, sessionmaker(bind=engine)
            return _engines[url]

    @property
    def session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            _, session_factory = self._open()
            session = self._local.session = session_factory()
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        super().close()
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()


class Transport(sqlalchemy.Transport):
    """kombu's SQLAlchemy transport with thread-safe channels and the configured polling interval."""

    Channel = Channel

    def __init__(self, client: Any, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(client, **kwargs)
        # kombu hands transport options to create_engine (which rejects unknown keys), so the polling
        # interval is set here; kombu's default of one second would delay every task by up to a second.
        self.polling_interval = settings.SELFLEARN_SQLA_BROKER_POLLING_INTERVAL


def use_thread_safe_sqlalchemy_transport() -> None:
    """Make the ``sqla+`` and ``sqlalchemy+`` broker URLs mean this transport in this process."""
    for alias in ("sqla", "sqlalchemy"):
        kombu_transport.TRANSPORT_ALIASES[alias] = f"{__name__}:Transport"
        kombu_transport._transport_cache.pop(alias, None)  # type: ignore[attr-defined]  # a class resolved before this one

"""Background actions: a service an app registered (``jobs.registry.background_action_register``),
run in a worker once the request's transaction commits."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from jobs.dispatch import background_enqueue
from jobs.registry import background_action


def background_call_on_commit(*, name: str, **kwargs: Any) -> None:
    """Run the action ``name`` with ``kwargs`` (JSON values) in a worker, after this transaction
    commits (at once outside one)."""
    background_action(name)  # an unregistered name fails here, in the request, not in a worker
    transaction.on_commit(partial(background_enqueue, name=name, kwargs=kwargs))

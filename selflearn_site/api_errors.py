"""The API's split of domain refusals: a refusal about a field is bad input (400, naming the field);
one that names no field is about the state of things (the last admin of a dataset, a job that cannot
resume), so the API answers 409 Conflict, and a client can tell "fix your request" from "not now"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from selflearn_site.exceptions import ApplicationError


@contextmanager
def refusals_as_conflicts() -> Iterator[None]:
    try:
        yield
    except ApplicationError as error:
        if error.status == 400 and "field" not in error.extra:
            raise ApplicationError(error.message, extra=error.extra, status=409) from error
        raise

"""The one way an API view reaches a dataset: by name, with the role the operation needs.

The rule is the pages' rule (``selectors.dataset_get_for_user``): a stranger gets 404, never 403, so
that dataset names do not leak; a member whose role is too low gets 403. A name no dataset could have
(a NUL character, which PostgreSQL refuses in a query) is a 404 too, not a database error.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework.request import Request

from annotations.models import Dataset, Role
from annotations.selectors import dataset_get_for_user


def dataset_for_request(request: Request, name: str, minimum_role: Role = Role.VIEWER) -> Dataset:
    if "\x00" in name:
        raise Http404("No such dataset.")
    return dataset_get_for_user(request.user, name, minimum_role=minimum_role)

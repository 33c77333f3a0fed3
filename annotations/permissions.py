"""Who may do what with a dataset: one rule set for the pages, the API and the CLI.

Roles are ordered: an admin may do everything a reviewer may, a reviewer everything a viewer may.
Superusers act as admins of every dataset.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from annotations.models import Dataset, Membership, Role

ROLE_RANK = {Role.VIEWER: 1, Role.REVIEWER: 2, Role.ADMIN: 3}


def role_of(user: User | AnonymousUser, dataset: Dataset) -> Role | None:
    """The user's role in the dataset, or None for a stranger."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    role = Membership.objects.filter(dataset=dataset, user=user).values_list("role", flat=True).first()
    return Role(role) if role else None


def role_at_least(dataset: Dataset, minimum: Role) -> bool:
    """Whether the role already read with the dataset (the ``user_role`` that
    ``annotations.selectors.dataset_get_for_user`` annotates, no query) is ``minimum`` or above."""
    role = getattr(dataset, "user_role", None)
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[minimum]


def has_role(user: User | AnonymousUser, dataset: Dataset, minimum: Role) -> bool:
    role = role_of(user, dataset)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]

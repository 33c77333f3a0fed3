"""Writes for a dataset's members, beside ``annotations.services.membership_set``: adding a person by
username, changing a role, removing a member, never leaving a dataset without an admin."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotations.models import Dataset, Membership, Role
from annotations.services import membership_set
from selflearn_site.exceptions import ApplicationError


def _ensure_another_admin(*, dataset: Dataset, membership: Membership) -> None:
    if membership.role != Role.ADMIN:
        return
    others = Membership.objects.filter(dataset=dataset, role=Role.ADMIN).exclude(pk=membership.pk)
    if not others.exists():
        raise ApplicationError(f"{dataset.name} needs at least one admin: make someone else admin first.")


@transaction.atomic
def membership_add(*, dataset: Dataset, username: str, role: Role) -> Membership:
    """Give the person with this username a role in the dataset (or change the one they have)."""
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise ApplicationError(f"There is no user named {username.strip()!r}.", extra={"field": "username"})
    existing = Membership.objects.select_for_update().filter(dataset=dataset, user=user).first()
    if existing is not None and role != Role.ADMIN:
        _ensure_another_admin(dataset=dataset, membership=existing)
    return membership_set(dataset=dataset, user=user, role=role)


@transaction.atomic
def membership_role_change(*, membership: Membership, role: Role) -> Membership:
    membership = Membership.objects.select_for_update().select_related("dataset").get(pk=membership.pk)
    if role != Role.ADMIN:
        _ensure_another_admin(dataset=membership.dataset, membership=membership)
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, dataset: Dataset, user: AbstractBaseUser) -> None:
    membership = Membership.objects.select_for_update().filter(dataset=dataset, user=user).first()
    if membership is None:
        raise ApplicationError(f"{user} is not a member of {dataset.name}.")
    _ensure_another_admin(dataset=dataset, membership=membership)
    membership.delete()

"""Writes for the members of a dataset: invitations that the invitee accepts, roles, removal; never
leaving a dataset without an admin.

Nobody is put into a dataset without their consent: a dataset's admin invites a username, and the
person with that username accepts (or declines) from their datasets list or the API. The invitation
is made the same way whether or not the username exists, so inviting tells nothing about who has an
account. Site admins (superusers) may add a person directly, where ``SELFLEARN_SITE_ADMINS_ADD_MEMBERS``
allows it (the default): they see every account in the admin anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from annotations.models import Dataset, Invitation, Membership, Role
from selflearn_site.exceptions import ApplicationError


@transaction.atomic
def membership_set(*, dataset: Dataset, user: User, role: Role) -> Membership:
    """Give a person a role in a dataset, or change the role they have (no consent asked: for the
    site's own setup, such as the demo, and for site admins)."""
    membership, _ = Membership.objects.update_or_create(dataset=dataset, user=user, defaults={"role": role})
    Invitation.objects.filter(dataset=dataset, username=user.get_username()).delete()
    return membership


def _ensure_another_admin(*, dataset: Dataset, membership: Membership) -> None:
    if membership.role != Role.ADMIN:
        return
    others = Membership.objects.filter(dataset=dataset, role=Role.ADMIN).exclude(pk=membership.pk)
    if not others.exists():
        raise ApplicationError(f"{dataset.name} needs at least one admin: make someone else admin first.")


def adds_directly(actor: User) -> bool:
    """Whether this person's additions are memberships at once rather than invitations."""
    return bool(actor.is_superuser and settings.SELFLEARN_SITE_ADMINS_ADD_MEMBERS)


@transaction.atomic
def membership_add(*, dataset: Dataset, username: str, role: Role, actor: User) -> Membership | Invitation:
    """Offer the person with this username a role in the dataset: an invitation, which they accept or
    decline. A member's role is changed at once (they are in the dataset already); a site admin's
    addition is a membership at once (``adds_directly``)."""
    username = username.strip()
    user = get_user_model().objects.filter(username=username).first()
    if user is not None:
        existing = Membership.objects.select_for_update().filter(dataset=dataset, user=user).first()
        if existing is not None or adds_directly(actor):
            if existing is not None and role != Role.ADMIN:
                _ensure_another_admin(dataset=dataset, membership=existing)
            return membership_set(dataset=dataset, user=user, role=role)
    elif adds_directly(actor):
        raise ApplicationError(f"There is no user named {username!r}.", extra={"field": "username"})
    invitation, _ = Invitation.objects.update_or_create(
        dataset=dataset, username=username, defaults={"role": role, "invited_by": actor}
    )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """The invitee takes the role offered; the invitation is used up. Someone already a member (a site
    admin added them meanwhile) keeps the role they have."""
    if invitation.username != user.get_username():
        raise ApplicationError("This invitation is for someone else.", status=404)
    membership = Membership.objects.filter(dataset=invitation.dataset, user=user).first()
    if membership is None:
        membership = Membership.objects.create(dataset=invitation.dataset, user=user, role=invitation.role)
    invitation.delete()
    return membership


def invitation_decline(*, invitation: Invitation, user: User) -> None:
    if invitation.username != user.get_username():
        raise ApplicationError("This invitation is for someone else.", status=404)
    invitation.delete()


def invitation_withdraw(*, invitation: Invitation) -> None:
    """A dataset admin takes an invitation back before it is accepted."""
    invitation.delete()


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
def membership_remove(*, dataset: Dataset, user: User) -> None:
    membership = Membership.objects.select_for_update().filter(dataset=dataset, user=user).first()
    if membership is None:
        raise ApplicationError(f"{user} is not a member of {dataset.name}.")
    _ensure_another_admin(dataset=dataset, membership=membership)
    membership.delete()

"""Members of a dataset: its admins invite people by username (who join when they accept, from their
datasets list), change roles and remove members."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Membership, Role

pytestmark = pytest.mark.django_db


def members_url(dataset) -> str:
    return reverse("annotations:dataset-members", args=[dataset.name])


def test_an_invited_person_joins_only_when_they_accept_on_their_datasets_list(
    client, dataset, dataset_admin, stranger
):
    client.force_login(dataset_admin)
    response = client.post(members_url(dataset), {"action": "add", "username": "sam", "role": "reviewer"})
    assert response.status_code == 302
    assert not Membership.objects.filter(user=stranger).exists()
    assert b"Withdraw the invitation of sam" in client.get(members_url(dataset)).content

    client.force_login(stranger)
    assert client.get(reverse("annotations:dataset-detail", args=[dataset.name])).status_code == 404
    invitation = client.get(reverse("annotations:dataset-list")).context["invitations"][0]
    accepted = client.post(
        reverse("annotations:invitation-respond", args=[invitation.pk]), {"action": "accept"}
    )

    assert accepted["Location"] == reverse("annotations:dataset-detail", args=[dataset.name])
    assert Membership.objects.get(dataset=dataset, user=stranger).role == Role.REVIEWER
    assert client.get(accepted["Location"]).status_code == 200


def test_a_declined_invitation_makes_no_member(client, dataset, dataset_admin, stranger):
    client.force_login(dataset_admin)
    client.post(members_url(dataset), {"action": "add", "username": "sam", "role": "admin"})
    client.force_login(stranger)
    invitation = client.get(reverse("annotations:dataset-list")).context["invitations"][0]

    client.post(reverse("annotations:invitation-respond", args=[invitation.pk]), {"action": "decline"})

    assert not Membership.objects.filter(user=stranger).exists()
    assert list(client.get(reverse("annotations:dataset-list")).context["invitations"]) == []


def test_inviting_an_unknown_username_looks_the_same_as_inviting_a_known_one(
    client, dataset, dataset_admin, stranger
):
    client.force_login(dataset_admin)
    known = client.post(
        members_url(dataset), {"action": "add", "username": "sam", "role": "viewer"}, follow=True
    )
    unknown = client.post(
        members_url(dataset), {"action": "add", "username": "ghost42", "role": "viewer"}, follow=True
    )

    assert known.status_code == unknown.status_code == 200
    messages = [str(message).replace("sam", "NAME") for message in known.context["messages"]]
    assert messages == [str(message).replace("ghost42", "NAME") for message in unknown.context["messages"]]


def test_an_admin_withdraws_an_invitation(client, dataset, dataset_admin, stranger):
    client.force_login(dataset_admin)
    client.post(members_url(dataset), {"action": "add", "username": "sam", "role": "viewer"})
    invitation = client.get(members_url(dataset)).context["invitations"][0]

    client.post(members_url(dataset), {"action": "withdraw", "invitation": invitation.pk})

    client.force_login(stranger)
    assert list(client.get(reverse("annotations:dataset-list")).context["invitations"]) == []


def test_admin_can_change_a_role(client, dataset, dataset_admin, viewer):
    membership = Membership.objects.get(user=viewer)
    client.force_login(dataset_admin)
    client.post(members_url(dataset), {"action": "role", "membership": membership.pk, "role": "reviewer"})
    membership.refresh_from_db()
    assert membership.role == Role.REVIEWER


def test_admin_can_remove_a_member(client, dataset, dataset_admin, viewer):
    membership = Membership.objects.get(user=viewer)
    client.force_login(dataset_admin)
    response = client.post(members_url(dataset), {"action": "remove", "membership": membership.pk})
    assert response.status_code == 302
    assert not Membership.objects.filter(user=viewer).exists()
    client.force_login(viewer)
    assert client.get(reverse("annotations:dataset-detail", args=[dataset.name])).status_code == 404


def test_the_last_admin_cannot_be_removed_or_demoted(client, dataset, dataset_admin):
    membership = Membership.objects.get(user=dataset_admin)
    client.force_login(dataset_admin)
    response = client.post(members_url(dataset), {"action": "remove", "membership": membership.pk})
    assert response.status_code == 400
    client.post(members_url(dataset), {"action": "role", "membership": membership.pk, "role": "viewer"})
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_members_can_see_the_members_but_only_admins_change_them(
    client, dataset, dataset_admin, reviewer, viewer
):
    client.force_login(viewer)
    response = client.get(members_url(dataset))
    assert response.status_code == 200
    assert b"alice" in response.content and b"Invite a person" not in response.content
    for person in (viewer, reviewer):
        client.force_login(person)
        response = client.post(
            members_url(dataset), {"action": "add", "username": person.username, "role": "admin"}
        )
        assert response.status_code == 403
    assert Membership.objects.get(user=viewer).role == Role.VIEWER


def test_stranger_cannot_add_themselves(client, dataset, dataset_admin, stranger):
    client.force_login(stranger)
    response = client.post(members_url(dataset), {"action": "add", "username": "sam", "role": "admin"})
    assert response.status_code == 404
    assert not Membership.objects.filter(user=stranger).exists()


def test_a_membership_of_another_dataset_cannot_be_touched(client, dataset, dataset_admin, make_user):
    from annotations.models import Dataset

    other = Dataset.objects.create(name="other")
    foreign = Membership.objects.create(dataset=other, user=make_user("olga"), role=Role.VIEWER)
    client.force_login(dataset_admin)
    response = client.post(members_url(dataset), {"action": "remove", "membership": foreign.pk})
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()

"""Members of a dataset: its admins add people by username, change roles and remove members."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Membership, Role

pytestmark = pytest.mark.django_db


def members_url(dataset) -> str:
    return reverse("annotations:dataset-members", args=[dataset.name])


def test_admin_can_add_a_member(client, dataset, dataset_admin, stranger):
    client.force_login(dataset_admin)
    response = client.post(members_url(dataset), {"action": "add", "username": "sam", "role": "reviewer"})
    assert response.status_code == 302
    assert Membership.objects.get(dataset=dataset, user=stranger).role == Role.REVIEWER


def test_a_new_member_then_sees_the_dataset(client, dataset, dataset_admin, stranger):
    client.force_login(dataset_admin)
    client.post(members_url(dataset), {"action": "add", "username": "sam", "role": "viewer"})
    client.force_login(stranger)
    assert client.get(reverse("annotations:dataset-detail", args=[dataset.name])).status_code == 200


def test_adding_an_unknown_username_says_so(client, dataset, dataset_admin):
    client.force_login(dataset_admin)
    response = client.post(members_url(dataset), {"action": "add", "username": "nobody", "role": "viewer"})
    assert response.status_code == 400
    assert "no user named" in str(response.context["add_form"].errors)


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
    assert b"alice" in response.content and b"Add member" not in response.content
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

"""REST for the members of a dataset and the invitations that make them.

A dataset's admins invite a username (``POST .../members/``: 202 with the invitation, made the same
way whether or not the username exists), list and withdraw what they sent; the invitee lists their
own invitations and accepts or declines each (``/api/invitations/``). A member's role is changed, and
a site admin's addition made, at once (201 with the membership). The last admin stays admin.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api_access import dataset_for_request
from annotations.membership_services import (
    invitation_accept,
    invitation_decline,
    invitation_withdraw,
    membership_add,
    membership_remove,
    membership_role_change,
)
from annotations.models import Invitation, Membership, Role
from annotations.selectors import (
    invitation_get,
    invitation_get_for_user,
    invitation_list,
    invitations_for_user,
    membership_list,
)
from selflearn_site.api_docs import BAD_REQUEST, CONFLICT, NOT_ALLOWED
from selflearn_site.api_errors import refusals_as_conflicts
from selflearn_site.authenticated import AuthenticatedRequest

USERNAME_LENGTH = 150


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dataset = serializers.CharField(source="dataset.name")
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    invited_by = serializers.CharField(source="invited_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class DatasetMemberListApi(APIView):
    class AddInputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=USERNAME_LENGTH)
        role = serializers.ChoiceField(choices=Role.choices)

    @extend_schema(responses={200: MemberSerializer(many=True), **NOT_ALLOWED})
    def get(self, request: Request, name: str) -> Response:
        """Every member sees who else is in the dataset."""
        dataset = dataset_for_request(request, name)
        return Response(MemberSerializer(membership_list(dataset), many=True).data)

    @extend_schema(
        request=AddInputSerializer,
        responses={
            201: OpenApiResponse(
                MemberSerializer, description="A member's role changed, or a site admin's addition."
            ),
            202: OpenApiResponse(InvitationSerializer, description="Invited: a member once they accept."),
            **BAD_REQUEST,
            **NOT_ALLOWED,
            **CONFLICT,
        },
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Invite a person by username (admins): they become a member when they accept. A member's role
        is changed at once; the last admin stays admin."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        serializer = self.AddInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_conflicts():
            added = membership_add(
                dataset=dataset,
                username=serializer.validated_data["username"],
                role=Role(serializer.validated_data["role"]),
                actor=request.user,
            )
        if isinstance(added, Invitation):
            return Response(InvitationSerializer(added).data, status=status.HTTP_202_ACCEPTED)
        return Response(MemberSerializer(added).data, status=status.HTTP_201_CREATED)


class DatasetMemberDetailApi(APIView):
    class ChangeInputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices)

    def _membership(self, request: Request, name: str, username: str) -> Membership:
        dataset = dataset_for_request(request, name, Role.ADMIN)
        membership = membership_list(dataset).filter(user__username=username.replace("\x00", "")).first()
        if membership is None:
            raise Http404(f"{username!r} is not a member of {dataset.name}.")
        return membership

    @extend_schema(
        request=ChangeInputSerializer,
        responses={200: MemberSerializer, **BAD_REQUEST, **NOT_ALLOWED, **CONFLICT},
    )
    def patch(self, request: Request, name: str, username: str) -> Response:
        """Change a member's role (admins). The last admin stays admin."""
        membership = self._membership(request, name, username)
        serializer = self.ChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_conflicts():
            membership = membership_role_change(
                membership=membership, role=Role(serializer.validated_data["role"])
            )
        return Response(MemberSerializer(membership).data)

    @extend_schema(responses={204: None, **NOT_ALLOWED, **CONFLICT})
    def delete(self, request: Request, name: str, username: str) -> Response:
        """Remove a member (admins). The last admin cannot be removed."""
        membership = self._membership(request, name, username)
        with refusals_as_conflicts():
            membership_remove(dataset=membership.dataset, user=membership.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetInvitationListApi(APIView):
    @extend_schema(responses={200: InvitationSerializer(many=True), **NOT_ALLOWED})
    def get(self, request: Request, name: str) -> Response:
        """The invitations not yet accepted or declined (admins)."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        return Response(InvitationSerializer(invitation_list(dataset), many=True).data)


class DatasetInvitationDetailApi(APIView):
    @extend_schema(responses={204: None, **NOT_ALLOWED})
    def delete(self, request: Request, name: str, pk: int) -> Response:
        """Withdraw an invitation before it is accepted (admins)."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        invitation_withdraw(invitation=invitation_get(dataset, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyInvitationListApi(APIView):
    @extend_schema(responses={200: InvitationSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        """The invitations waiting for your answer."""
        return Response(InvitationSerializer(invitations_for_user(request.user), many=True).data)


class MyInvitationAcceptApi(APIView):
    class MembershipSerializer(serializers.Serializer):
        dataset = serializers.CharField(source="dataset.name")
        role = serializers.ChoiceField(choices=Role.choices)

    @extend_schema(request=None, responses={201: MembershipSerializer, **NOT_ALLOWED})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        """Accept an invitation: you become a member of its dataset with the role offered."""
        invitation = invitation_get_for_user(request.user, pk)
        membership = invitation_accept(invitation=invitation, user=request.user)
        return Response(self.MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MyInvitationDetailApi(APIView):
    @extend_schema(responses={204: None, **NOT_ALLOWED})
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        """Decline an invitation."""
        invitation_decline(invitation=invitation_get_for_user(request.user, pk), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

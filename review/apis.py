"""The review API: what the review page's keystrokes save, for any client. Each operation validates its
input, calls the same service as the page and answers with the same JSON the page draws from.

A decision on an older revision of a label answers 409 with the label as it is now (``current``);
bad input answers 400 naming the field; strangers get 404, viewers 403.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api_access import dataset_for_request
from annotations.models import Dataset, Dialogue, LabelKind, Role
from review.facts import dialogue_facts
from review.models import LabelReview, ReviewDecision
from review.payload import labels_payload, review_labels, under_review_payload
from review.selectors import (
    auto_accept_thresholds,
    review_dialogue_get,
    review_outcome_payload,
    review_page_data,
)
from review.serializers import (
    AutoAcceptSerializer,
    ReviewConflictSerializer,
    ReviewOutcomeSerializer,
    ReviewPageSerializer,
)
from review.services.auto_accept import auto_accept_rules_set
from review.services.changes import ReviewConflict
from review.services.decisions import DecisionInput, review_decide, review_label_create
from review.services.queue import QueuePolicy, review_leave, review_next
from review.services.undo import review_undo
from selflearn_site.api_docs import BAD_REQUEST, NOT_ALLOWED
from selflearn_site.authenticated import AuthenticatedRequest

# Ids and revisions beyond what the database's integer columns hold are bad input, not a crash.
MAX_ID = 2**63 - 1
MAX_REVISION = 2**31 - 1

# Every operation here is grouped under "review" in the docs.
TAGS = ["review"]
REVIEW_CONFLICT = {
    409: OpenApiResponse(
        ReviewConflictSerializer,
        description="The label changed since the client read it (`{detail, field: revision, current: "
        "[label]}`), or it is settled, or there is nothing to undo (`{detail}`). Nothing was saved.",
    )
}


def _reviewable(request: Request, name: str, pk: int) -> tuple[Dataset, Dialogue]:
    dataset = dataset_for_request(request, name, Role.REVIEWER)
    return dataset, review_dialogue_get(dataset, pk)


def _conflict(error: ReviewConflict, dialogue: Dialogue, request: AuthenticatedRequest) -> Response:
    """409 with every label the client had stale, as they are now, for it to redraw."""
    ids = [label.pk for label in error.labels]
    facts = dialogue_facts([dialogue.pk])[dialogue.pk]
    labels = review_labels(dialogue.labels.filter(pk__in=ids))
    mine = {
        review.label_id: review
        for review in LabelReview.objects.filter(label_id__in=ids, reviewer=request.user)
    }
    current = labels_payload(labels, facts=facts, my_reviews=mine, reviewer_id=request.user.pk)
    body = {
        "detail": error.message,
        **error.extra,
        "current": current,
        "under_review": under_review_payload(facts),
    }
    return Response(body, status=status.HTTP_409_CONFLICT)


class ReviewDialogueApi(APIView):
    @extend_schema(tags=TAGS, responses={200: ReviewPageSerializer, **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        """The dialogue as the review page shows it to the person asking: turns, the label under
        review for each target with its revision, the choices of intents and slot types, the hold."""
        _, dialogue = _reviewable(request, name, pk)
        return Response(review_page_data(dialogue=dialogue, reviewer=request.user))


class LabelDecisionApi(APIView):
    class ReviewDecisionInputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=ReviewDecision.choices)
        revision = serializers.IntegerField(min_value=1, max_value=MAX_REVISION)
        value = serializers.JSONField(
            required=False, allow_null=True, help_text="The corrected value; only with action=correct."
        )

    @extend_schema(
        tags=TAGS,
        request=ReviewDecisionInputSerializer,
        responses={200: ReviewOutcomeSerializer, **BAD_REQUEST, **NOT_ALLOWED, **REVIEW_CONFLICT},
    )
    def post(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        """Accept, correct or reject one label, at the revision the client saw."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        dialogue = _dialogue_of_label(dataset, pk)
        serializer = self.ReviewDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decision = DecisionInput(label_id=pk, action=data["action"], revision=data["revision"])
        if "value" in data:
            decision = DecisionInput(pk, data["action"], data["revision"], data["value"])
        try:
            outcome = review_decide(dialogue=dialogue, reviewer=request.user, decisions=[decision])
        except ReviewConflict as error:
            return _conflict(error, dialogue, request)
        return Response(review_outcome_payload(outcome, request.user))


def _dialogue_of_label(dataset: Dataset, label_pk: int) -> Dialogue:
    dialogue = Dialogue.objects.filter(dataset=dataset, labels__pk=label_pk).first()
    if dialogue is None:
        raise Http404("No such label in this dataset.")
    dialogue.dataset = dataset
    return dialogue


class DialogueAcceptAllApi(APIView):
    class ReviewAcceptAllInputSerializer(serializers.Serializer):
        class ReviewLabelRevisionSerializer(serializers.Serializer):
            id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
            revision = serializers.IntegerField(min_value=1, max_value=MAX_REVISION)

        labels = serializers.ListField(
            child=ReviewLabelRevisionSerializer(),
            allow_empty=False,
            # A dialogue of the import's 1,000 turns, each with every kind of label, and then some.
            max_length=20_000,
            help_text="Each label the client shows.",
        )

    @extend_schema(
        tags=TAGS,
        request=ReviewAcceptAllInputSerializer,
        responses={200: ReviewOutcomeSerializer, **BAD_REQUEST, **NOT_ALLOWED, **REVIEW_CONFLICT},
    )
    def post(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        """Accept every label named, at the revisions the client saw: all of them or, if any changed
        meanwhile, none (409 with those that changed)."""
        _, dialogue = _reviewable(request, name, pk)
        serializer = self.ReviewAcceptAllInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decisions = [
            DecisionInput(item["id"], ReviewDecision.ACCEPT, item["revision"])
            for item in serializer.validated_data["labels"]
        ]
        try:
            outcome = review_decide(dialogue=dialogue, reviewer=request.user, decisions=decisions)
        except ReviewConflict as error:
            return _conflict(error, dialogue, request)
        return Response(review_outcome_payload(outcome, request.user))


class DialogueLabelCreateApi(APIView):
    class ReviewLabelCreateInputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=LabelKind.choices)
        turn = serializers.CharField(
            allow_null=True, max_length=200, help_text="The turn's id in the dialogue; null for goals."
        )
        value = serializers.JSONField(allow_null=True)

    @extend_schema(
        tags=TAGS,
        request=ReviewLabelCreateInputSerializer,
        responses={201: ReviewOutcomeSerializer, **BAD_REQUEST, **NOT_ALLOWED, **REVIEW_CONFLICT},
    )
    def post(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        """Label a target that has no label of this kind yet (or only a rejected one)."""
        _, dialogue = _reviewable(request, name, pk)
        serializer = self.ReviewLabelCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            outcome = review_label_create(
                dialogue=dialogue,
                reviewer=request.user,
                kind=data["kind"],
                turn_external_id=data["turn"],
                value=data["value"],
            )
        except ReviewConflict as error:
            return _conflict(error, dialogue, request)
        return Response(review_outcome_payload(outcome, request.user), status=status.HTTP_201_CREATED)


class DialogueUndoApi(APIView):
    @extend_schema(
        tags=TAGS, request=None, responses={200: ReviewOutcomeSerializer, **NOT_ALLOWED, **REVIEW_CONFLICT}
    )
    def post(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        """Take back the person's latest action on this dialogue."""
        _, dialogue = _reviewable(request, name, pk)
        try:
            outcome = review_undo(dialogue=dialogue, reviewer=request.user)
        except ReviewConflict as error:
            return _conflict(error, dialogue, request)
        return Response(review_outcome_payload(outcome, request.user))


class ReviewNextApi(APIView):
    class ReviewNextInputSerializer(serializers.Serializer):
        policy = serializers.ChoiceField(choices=QueuePolicy.choices, default=QueuePolicy.LEAST_CONFIDENT)
        leave = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=MAX_ID,
            help_text="A dialogue the person moves on from: its hold ends, and unless they finished it "
            "it counts as skipped.",
        )

    class ReviewNextOutputSerializer(serializers.Serializer):
        dialogue = serializers.IntegerField(allow_null=True, help_text="Null when nothing is left.")
        url = serializers.CharField(allow_null=True)
        api_url = serializers.CharField(allow_null=True)

    @extend_schema(
        tags=TAGS,
        request=ReviewNextInputSerializer,
        responses={200: ReviewNextOutputSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Hold the next dialogue for the person, by the chosen policy, and say where it is."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        serializer = self.ReviewNextInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "leave" in data:
            review_leave(dialogue_id=review_dialogue_get(dataset, data["leave"]).pk, reviewer=request.user)
        dialogue_id = review_next(dataset=dataset, reviewer=request.user, policy=data["policy"])
        return Response(_where(dataset, dialogue_id))


def _where(dataset: Dataset, dialogue_id: int | None) -> dict[str, Any]:
    if dialogue_id is None:
        return {"dialogue": None, "url": None, "api_url": None}
    return {
        "dialogue": dialogue_id,
        "url": reverse("review:review-dialogue", args=[dataset.name, dialogue_id]),
        "api_url": reverse("api-review-dialogue", args=[dataset.name, dialogue_id]),
    }


class DatasetAutoAcceptApi(APIView):
    @extend_schema(responses={200: AutoAcceptSerializer, **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str) -> Response:
        """The thresholds at or above which model labels are accepted without review (every member
        reads them; admins change them)."""
        dataset = dataset_for_request(request, name, Role.VIEWER)
        return Response(auto_accept_thresholds(dataset))

    @extend_schema(
        request=AutoAcceptSerializer, responses={200: AutoAcceptSerializer, **BAD_REQUEST, **NOT_ALLOWED}
    )
    def patch(self, request: AuthenticatedRequest, name: str) -> Response:
        """Set the kinds given (null turns one off); the others stay as they are (admins)."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        serializer = AutoAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        auto_accept_rules_set(dataset=dataset, thresholds=serializer.validated_data)
        return Response(auto_accept_thresholds(dataset))

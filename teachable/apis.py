"""The teachable API, under /api/datasets/<name>/: resolve a reading, the assistant users and what is
known about each (export, forget), preferences (add, correct, delete), question sets, guided sessions
turn by turn, and resolution rules.

Viewers read; reviewers teach and correct; admins edit question sets and rules and forget people.
Bad input answers 400 naming the field; strangers get 404, roles too low 403.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api_access import dataset_for_request
from annotations.models import Role
from jobs.serializers import JobSerializer
from selflearn_site.api_docs import BAD_REQUEST, CONFLICT, NOT_ALLOWED
from selflearn_site.authenticated import AuthenticatedRequest
from teachable import selectors, services
from teachable.models import AnswerType, Polarity
from teachable.payload import guided_session_turn
from teachable.serializers import (
    GuidedTurnSerializer,
    MomentSerializer,
    PreferenceSerializer,
    QuestionSetSerializer,
    ResolutionRuleSerializer,
    ResolutionSerializer,
)

TAGS = ["teachable"]


class _SlotSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=64)
    value = serializers.CharField(max_length=200, allow_blank=True, required=False)
    start = serializers.IntegerField(min_value=0, required=False)
    end = serializers.IntegerField(min_value=0, required=False)


class ResolveApi(APIView):
    class ResolveInputSerializer(serializers.Serializer):
        user_id = serializers.CharField(max_length=200)
        utterance = serializers.CharField(max_length=1000, allow_blank=True, required=False)
        intent = serializers.CharField(max_length=200, allow_null=True)
        slots = serializers.ListField(child=_SlotSerializer(), required=False, max_length=50)
        device = serializers.DictField(required=False)

    @extend_schema(
        tags=TAGS,
        request=ResolveInputSerializer,
        responses={200: ResolutionSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """The assistant's reading of a request, completed by what this person taught: a missing team,
        city or genre filled, an ambiguous entity resolved, and which preference did it."""
        dataset = dataset_for_request(request, name, Role.VIEWER)
        serializer = self.ResolveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # reading_resolve answers 404 naming user_id for someone the dataset does not know.
        resolution = selectors.reading_resolve(
            dataset, data["user_id"], data["intent"], list(data.get("slots", []))
        )
        return Response(
            {
                "user_id": data["user_id"],
                "intent": resolution.intent,
                "slots": resolution.slots,
                "applied": resolution.applied,
            }
        )


class AssistantUserListApi(APIView):
    @extend_schema(tags=TAGS, responses={200: serializers.ListSerializer(child=serializers.DictField())})
    def get(self, request: AuthenticatedRequest, name: str) -> Response:
        """The dataset's assistant users (``?q=`` filters), with dialogue and preference counts."""
        dataset = dataset_for_request(request, name, Role.VIEWER)
        return Response(selectors.assistant_users(dataset, request.query_params.get("q", "")))


class AssistantUserApi(APIView):
    @extend_schema(tags=TAGS, responses={200: OpenApiTypes.OBJECT, **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str, user_id: str) -> Response:
        """Everything kept about this person: preferences (also superseded ones), their history, and
        guided sessions."""
        dataset = dataset_for_request(request, name, Role.VIEWER)
        return Response(selectors.user_record(dataset, selectors.assistant_user_require(dataset, user_id)))

    @extend_schema(tags=TAGS, responses={200: OpenApiTypes.OBJECT, **NOT_ALLOWED})
    def delete(self, request: AuthenticatedRequest, name: str, user_id: str) -> Response:
        """Forget this person: preferences, their history and sessions (admins)."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        user_key = selectors.assistant_user_require(dataset, user_id)
        return Response(
            {"user_id": user_key, "deleted": services.user_forget(dataset=dataset, user_key=user_key)}
        )


class _PreferenceInputSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=64)
    key = serializers.CharField(max_length=64)
    value = serializers.CharField(max_length=200)
    polarity = serializers.ChoiceField(choices=Polarity.choices, default=Polarity.LIKE)


class PreferenceListApi(APIView):
    @extend_schema(tags=TAGS, responses={200: PreferenceSerializer(many=True), **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str, user_id: str) -> Response:
        """The person's preferences in force (``?all=1`` also superseded and deleted ones)."""
        dataset = dataset_for_request(request, name, Role.VIEWER)
        user_key = selectors.assistant_user_require(dataset, user_id)
        everything = request.query_params.get("all") in ("1", "true")
        preferences = selectors.preference_list(dataset, user_key, include_inactive=everything)
        return Response(PreferenceSerializer(preferences, many=True).data)

    @extend_schema(
        tags=TAGS,
        request=_PreferenceInputSerializer,
        responses={201: PreferenceSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def post(self, request: AuthenticatedRequest, name: str, user_id: str) -> Response:
        """Teach a preference as a reviewer; a like supersedes the person's earlier like of the key."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        user_key = selectors.assistant_user_require(dataset, user_id)
        serializer = _PreferenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = services.preference_learn(
            dataset=dataset,
            user_key=user_key,
            data=services.PreferenceInput(**serializer.validated_data),
            actor=request.user,
        )
        return Response(PreferenceSerializer(preference).data, status=status.HTTP_201_CREATED)


class LearnFromLabelsApi(APIView):
    @extend_schema(tags=TAGS, request=None, responses={200: OpenApiTypes.OBJECT, **NOT_ALLOWED})
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Learn every settled ``preferences`` label not learned yet (imported gold, say); reviewed
        and auto-accepted ones are learned as they are settled. Reviewers."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        report = services.preferences_learn_from_labels(dataset=dataset)
        return Response({"labels": report.labels, "learned": report.learned, "skipped": report.skipped})


class MomentListApi(APIView):
    @extend_schema(tags=TAGS, responses={200: serializers.ListSerializer(child=serializers.DictField())})
    def get(self, request: AuthenticatedRequest, name: str, user_id: str) -> Response:
        """The person's teachable moments (``?status=open|confirmed|dismissed|all``, default open)."""
        dataset = dataset_for_request(request, name, Role.VIEWER)
        user_key = selectors.assistant_user_require(dataset, user_id)
        wanted = request.query_params.get("status", "open")
        moments = selectors.moment_list(dataset, user_key, status=None if wanted == "all" else wanted)
        return Response(MomentSerializer(moments, many=True).data)


class MomentsFindApi(APIView):
    @extend_schema(tags=TAGS, request=None, responses={202: JobSerializer, **NOT_ALLOWED, **CONFLICT})
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Find the teachable moments of the dataset's logs, in the workers (reviewers); 409 when the
        dataset has no resolution rules (no request leans on a preference)."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        job = services.find_moments_job_create(dataset=dataset, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class MomentDecisionApi(APIView):
    class MomentDecisionInputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=["confirm", "dismiss"])
        value = serializers.CharField(
            max_length=200, required=False, allow_blank=True, help_text="confirm: the value meant."
        )

    @extend_schema(
        tags=TAGS,
        request=MomentDecisionInputSerializer,
        responses={200: MomentSerializer, **BAD_REQUEST, **NOT_ALLOWED, **CONFLICT},
    )
    def post(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        """Confirm a moment (teaching its preference) or dismiss it; a decided one answers 409."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        moment = selectors.moment_get(dataset, pk)
        serializer = self.MomentDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["action"] == "confirm":
            moment = services.moment_confirm(moment=moment, value=data.get("value", ""), actor=request.user)
        else:
            moment = services.moment_dismiss(moment=moment, actor=request.user)
        return Response(MomentSerializer(moment).data)


class PreferenceApi(APIView):
    @extend_schema(
        tags=TAGS,
        request=_PreferenceInputSerializer,
        responses={200: PreferenceSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def put(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        """Correct a preference: the old one is kept in the record, the corrected one is in force."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        preference = selectors.preference_get(dataset, pk)
        serializer = _PreferenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        corrected = services.preference_correct(
            preference=preference,
            data=services.PreferenceInput(**serializer.validated_data),
            actor=request.user,
        )
        return Response(PreferenceSerializer(corrected).data)

    @extend_schema(tags=TAGS, responses={204: None, **NOT_ALLOWED})
    def delete(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        services.preference_delete(preference=selectors.preference_get(dataset, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuestionSetListApi(APIView):
    @extend_schema(tags=TAGS, responses={200: QuestionSetSerializer(many=True), **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str) -> Response:
        dataset = dataset_for_request(request, name, Role.VIEWER)
        return Response(QuestionSetSerializer(selectors.question_set_list(dataset), many=True).data)


class QuestionSetApi(APIView):
    class QuestionSetInputSerializer(serializers.Serializer):
        class QuestionInputSerializer(serializers.Serializer):
            key = serializers.CharField(max_length=64)
            text = serializers.CharField(max_length=300)
            confirm = serializers.CharField(
                max_length=300,
                required=False,
                allow_blank=True,
                default="",
                help_text="How an understood answer is said back, with {value}: “So you live in {value}.”",
            )
            domain = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
            answer_type = serializers.ChoiceField(choices=AnswerType.choices, default=AnswerType.ENTITY)
            catalogue = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)
            next = serializers.CharField(
                max_length=64,
                required=False,
                allow_null=True,
                default=None,
                help_text="Key of the next question.",
            )

        domain = serializers.CharField(max_length=64)
        questions = QuestionInputSerializer(many=True, allow_empty=False)

    @extend_schema(tags=TAGS, responses={200: QuestionSetSerializer, **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str, set_name: str) -> Response:
        dataset = dataset_for_request(request, name, Role.VIEWER)
        return Response(QuestionSetSerializer(selectors.question_set_get(dataset, set_name)).data)

    @extend_schema(
        tags=TAGS,
        request=QuestionSetInputSerializer,
        responses={200: QuestionSetSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def put(self, request: AuthenticatedRequest, name: str, set_name: str) -> Response:
        """Create or replace a question set (admins); questions follow each other in the order given
        unless ``next`` names another; a loop is refused."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        serializer = self.QuestionSetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        question_set = services.question_set_save(
            dataset=dataset,
            name=set_name,
            domain=data["domain"],
            questions=[
                services.QuestionInput(
                    key=q["key"],
                    text=q["text"],
                    confirm=q["confirm"],
                    domain=q["domain"],
                    answer_type=q["answer_type"],
                    catalogue=q["catalogue"],
                    next_key=q["next"],
                )
                for q in data["questions"]
            ],
        )
        return Response(QuestionSetSerializer(question_set).data)


def _turn(session: Any) -> Response:
    return Response(guided_session_turn(session))


class GuidedSessionCreateApi(APIView):
    class GuidedSessionInputSerializer(serializers.Serializer):
        user_id = serializers.CharField(max_length=200)
        question_set = serializers.CharField(max_length=64, default="learn-my-preferences")

    @extend_schema(
        tags=TAGS,
        request=GuidedSessionInputSerializer,
        responses={201: GuidedTurnSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Start "learn my preferences" for one person; the answer holds the first question."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        serializer = self.GuidedSessionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = services.guided_session_start(
            dataset=dataset,
            user_key=selectors.assistant_user_require(dataset, data["user_id"]),
            question_set=selectors.question_set_get(dataset, data["question_set"]),
            actor=request.user,
        )
        return Response(guided_session_turn(session), status=status.HTTP_201_CREATED)


class GuidedSessionApi(APIView):
    @extend_schema(tags=TAGS, responses={200: GuidedTurnSerializer, **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        dataset = dataset_for_request(request, name, Role.VIEWER)
        return _turn(selectors.guided_session_get(dataset, pk))


class GuidedAnswerApi(APIView):
    class GuidedAnswerInputSerializer(serializers.Serializer):
        answer = serializers.CharField(
            max_length=500, help_text='Free text; also "yes", "no", "skip", "stop".'
        )

    @extend_schema(
        tags=TAGS,
        request=GuidedAnswerInputSerializer,
        responses={200: GuidedTurnSerializer, **BAD_REQUEST, **NOT_ALLOWED, **CONFLICT},
    )
    def post(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        """One answer; the response holds what to say next (a confirmation, the next question, or the
        summary). An ended session answers 409."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        serializer = self.GuidedAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.guided_session_answer(
            session=selectors.guided_session_get(dataset, pk),
            answer=serializer.validated_data["answer"],
            actor=request.user,
        )
        return _turn(session)


class GuidedStopApi(APIView):
    @extend_schema(tags=TAGS, request=None, responses={200: GuidedTurnSerializer, **NOT_ALLOWED})
    def post(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        return _turn(services.guided_session_stop(session=selectors.guided_session_get(dataset, pk)))


class ResolutionRulesApi(APIView):
    class RulesInputSerializer(serializers.Serializer):
        class RuleInputSerializer(serializers.Serializer):
            intent = serializers.CharField(max_length=200)
            slot_type = serializers.CharField(max_length=64)
            domain = serializers.CharField(max_length=64)
            key = serializers.CharField(max_length=64)
            catalogue = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)

        rules = RuleInputSerializer(many=True)

    @extend_schema(tags=TAGS, responses={200: ResolutionRuleSerializer(many=True), **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str) -> Response:
        dataset = dataset_for_request(request, name, Role.VIEWER)
        return Response(ResolutionRuleSerializer(selectors.resolution_rule_list(dataset), many=True).data)

    @extend_schema(
        tags=TAGS,
        request=RulesInputSerializer,
        responses={200: ResolutionRuleSerializer(many=True), **BAD_REQUEST, **NOT_ALLOWED},
    )
    def put(self, request: AuthenticatedRequest, name: str) -> Response:
        """Replace the rules that say which preference completes which reading (admins)."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        serializer = self.RulesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.resolution_rules_set(
            dataset=dataset, rules=[services.RuleInput(**rule) for rule in serializer.validated_data["rules"]]
        )
        return Response(ResolutionRuleSerializer(selectors.resolution_rule_list(dataset), many=True).data)

"""The rewrites API, under /api/datasets/<name>/: mine pairs (a job), review them, the blocklist, and
rewrite a request. Viewers read; reviewers decide pairs and block utterances; admins mine.
Bad input answers 400 naming the field; strangers get 404, roles too low 403."""

from __future__ import annotations

import json
from dataclasses import asdict

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api_access import dataset_for_request
from annotations.models import Role
from jobs.serializers import JobSerializer
from rewrites import selectors, services
from rewrites.building import build_rewriter_job_create
from rewrites.models import UTTERANCE_LENGTH, RewritePair
from rewrites.serializers import RewriteAnswerSerializer, RewriteBlockSerializer, RewritePairSerializer
from selflearn_site.api_docs import BAD_REQUEST, NOT_ALLOWED
from selflearn_site.authenticated import AuthenticatedRequest

TAGS = ["rewrites"]


class RewriteMiningApi(APIView):
    class MiningInputSerializer(serializers.Serializer):
        labels = serializers.CharField(default="best", help_text="gold, reviewed, best or model:NAME")
        min_probability = serializers.FloatField(default=0.5, min_value=0.0, max_value=1.0)
        min_support = serializers.IntegerField(default=2, min_value=1, max_value=1_000_000)
        min_margin = serializers.FloatField(
            default=0.1, min_value=0.0, max_value=0.99, help_text="how much likelier than leaving it alone"
        )
        window_seconds = serializers.FloatField(default=300.0, min_value=1.0, max_value=86_400.0)

    @extend_schema(
        tags=TAGS, request=MiningInputSerializer, responses={202: JobSerializer, **BAD_REQUEST, **NOT_ALLOWED}
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Mine rephrase chains into rewrite pairs, in the workers (admins); reviewed pairs keep their
        decisions."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        serializer = self.MiningInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.mine_rewrites_job_create(
            dataset=dataset, user=request.user, options=services.MiningOptions(**serializer.validated_data)
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RewriterBuildApi(APIView):
    class BuildInputSerializer(serializers.Serializer):
        labels = serializers.CharField(default="best", help_text="gold, reviewed, best or model:NAME")

    @extend_schema(
        tags=TAGS, request=BuildInputSerializer, responses={202: JobSerializer, **BAD_REQUEST, **NOT_ALLOWED}
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Build the online rewriter (index, personal histories, ranker) from the logs, in the workers
        (admins); it answers from the next request on."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        serializer = self.BuildInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = build_rewriter_job_create(
            dataset=dataset, user=request.user, labels=serializer.validated_data["labels"]
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RewritePairListApi(APIView):
    @extend_schema(tags=TAGS, responses={200: RewritePairSerializer(many=True), **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str) -> Response:
        """The dataset's rewrite pairs, best first (``?status=proposed|accepted|edited|rejected``)."""
        dataset = dataset_for_request(request, name, Role.VIEWER)
        wanted = request.query_params.get("status")
        if wanted and wanted not in RewritePair.Status.values:
            wanted = None
        return Response(
            RewritePairSerializer(selectors.rewrite_pair_list(dataset, wanted)[:1000], many=True).data
        )


class RewritePairExportApi(APIView):
    @extend_schema(
        tags=TAGS,
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR, **NOT_ALLOWED},
    )
    def get(self, request: AuthenticatedRequest, name: str) -> StreamingHttpResponse:
        """The served pairs (accepted and edited) as JSON Lines, one `{source, target, probability,
        support, users, status}` per line: the pairs file a serving system loads."""
        dataset = dataset_for_request(request, name, Role.VIEWER)
        lines = (
            json.dumps(
                {
                    "source": pair.source,
                    "target": pair.target,
                    "probability": pair.probability,
                    "support": pair.support,
                    "users": pair.users,
                    "status": pair.status,
                },
                ensure_ascii=False,
            )
            + "\n"
            for pair in selectors.served_pairs(dataset).iterator()
        )
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
        response["Content-Disposition"] = f'attachment; filename="{dataset.name}-rewrites.jsonl"'
        return response


class RewritePairDecisionApi(APIView):
    class DecisionInputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=["accept", "reject", "edit"])
        target = serializers.CharField(
            max_length=UTTERANCE_LENGTH, required=False, help_text="edit: the rewrite"
        )

    @extend_schema(
        tags=TAGS,
        request=DecisionInputSerializer,
        responses={200: RewritePairSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def post(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        """Accept, reject or edit a pair (reviewers); accepted and edited pairs are served."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        pair = selectors.rewrite_pair_get(dataset, pk)
        serializer = self.DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pair = services.rewrite_pair_decide(
            pair=pair, action=data["action"], target=data.get("target"), actor=request.user
        )
        return Response(RewritePairSerializer(pair).data)


class RewriteBlockListApi(APIView):
    class BlockInputSerializer(serializers.Serializer):
        utterance = serializers.CharField(max_length=UTTERANCE_LENGTH)

    @extend_schema(tags=TAGS, responses={200: RewriteBlockSerializer(many=True), **NOT_ALLOWED})
    def get(self, request: AuthenticatedRequest, name: str) -> Response:
        dataset = dataset_for_request(request, name, Role.VIEWER)
        return Response(RewriteBlockSerializer(selectors.rewrite_block_list(dataset), many=True).data)

    @extend_schema(
        tags=TAGS,
        request=BlockInputSerializer,
        responses={201: RewriteBlockSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Never rewrite this utterance, nor rewrite anything into it (reviewers)."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        serializer = self.BlockInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        block = services.rewrite_block_add(
            dataset=dataset, utterance=serializer.validated_data["utterance"], actor=request.user
        )
        return Response(RewriteBlockSerializer(block).data, status=status.HTTP_201_CREATED)


class RewriteBlockApi(APIView):
    @extend_schema(tags=TAGS, responses={204: None, **NOT_ALLOWED})
    def delete(self, request: AuthenticatedRequest, name: str, pk: int) -> Response:
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        services.rewrite_block_remove(block=selectors.rewrite_block_get(dataset, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RewriteApi(APIView):
    class RewriteInputSerializer(serializers.Serializer):
        user_id = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        utterance = serializers.CharField(max_length=UTTERANCE_LENGTH)
        device = serializers.DictField(required=False, help_text="{type, has_screen}: read by the ranker")

    @extend_schema(
        tags=TAGS,
        request=RewriteInputSerializer,
        responses={200: RewriteAnswerSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """The rewrite to send on instead of the utterance, or null with the reason (viewers); every
        answer is logged."""
        dataset = dataset_for_request(request, name, Role.VIEWER)
        serializer = self.RewriteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        answer = services.rewrite_request(
            dataset=dataset, user_key=data["user_id"], utterance=data["utterance"], device=data.get("device")
        )
        return Response(asdict(answer))

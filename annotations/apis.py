"""REST for datasets: the datasets themselves, imports, dialogues, labels and the streamed export
(members and invitations are ``member_apis.py``; auto-accept rules and reviewing are the review app's,
``review/apis.py``). Each view validates, calls a service or a selector, serializes.

Who may do what is the pages' rule (``api_access.dataset_for_request``): viewers read, reviewers also
start labelling, admins also change the dataset, its members and rules, and import; strangers get 404.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db import transaction
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api_access import dataset_for_request
from annotations.formats.export_formats import EXPORT_FORMATS
from annotations.formats.streaming import export_response
from annotations.formats.upload_parsers import GzipFileParser, NdjsonFileParser
from annotations.forms import ON_DUPLICATE_CHOICES, validate_import_filename
from annotations.models import (
    DATASET_DESCRIPTION_MAX_LENGTH,
    MAX_REQUIRED_REVIEWS,
    Dataset,
    LabelStatus,
    Role,
)
from annotations.selectors import (
    dataset_list_for_user,
    dialogue_get_with_labels,
    dialogue_list_filtered,
    label_list,
)
from annotations.serializers import (
    DialogueDetailSerializer,
    DialogueSummarySerializer,
    ExportParamsSerializer,
    LabelFilterSerializer,
    LabelSerializer,
)
from annotations.services import (
    dataset_counts_ensure,
    dataset_create,
    dataset_delete,
    dataset_update,
    import_job_create,
)
from jobs.serializers import JobSerializer
from review.services import dataset_required_reviews_set
from selflearn_site.api_docs import BAD_REQUEST, NOT_ALLOWED
from selflearn_site.authenticated import AuthenticatedRequest
from selflearn_site.negotiation import ErrorsAsJsonNegotiation
from selflearn_site.pagination import IdCursorPagination, PageNumberPagination

# ---------------------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------------------


class _DatasetWithCounts(Protocol):
    """A dataset from ``dataset_list_for_user``: the counts it annotates (and ``labels_<status>``)."""

    label_count: int


class DatasetSerializer(serializers.Serializer):
    """A dataset from ``dataset_list_for_user``, with the person's role and the counts."""

    name = serializers.CharField()
    description = serializers.CharField()
    required_reviews = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    role = serializers.ChoiceField(source="user_role", choices=Role.choices)
    dialogues = serializers.IntegerField(source="dialogue_count")
    turns = serializers.IntegerField(source="turn_count")
    labels = serializers.SerializerMethodField(help_text="Labels in all, and by status.")

    def get_labels(self, dataset: _DatasetWithCounts) -> dict[str, int]:
        counts = {"total": dataset.label_count}
        counts.update({status: getattr(dataset, f"labels_{status}") for status in LabelStatus.values})
        return counts


def _with_counts(request: Request, dataset: Dataset) -> Dataset:
    dataset = dataset_list_for_user(request.user).get(pk=dataset.pk)
    dataset_counts_ensure(datasets=[dataset])
    return dataset


class DatasetListApi(APIView):
    pagination_class = PageNumberPagination

    class CreateInputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=Dataset._meta.get_field("name").max_length)
        description = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=DATASET_DESCRIPTION_MAX_LENGTH
        )

    @extend_schema(responses={200: DatasetSerializer(many=True), **BAD_REQUEST})
    def get(self, request: Request) -> Response:
        """The datasets the person belongs to, with their role and counts."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(dataset_list_for_user(request.user), request, view=self)
        dataset_counts_ensure(datasets=page or [])
        return paginator.get_paginated_response(DatasetSerializer(page, many=True).data)

    @extend_schema(request=CreateInputSerializer, responses={201: DatasetSerializer, **BAD_REQUEST})
    def post(self, request: AuthenticatedRequest) -> Response:
        """Create a dataset; the person who creates it becomes its admin."""
        serializer = self.CreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dataset = dataset_create(user=request.user, **serializer.validated_data)
        return Response(
            DatasetSerializer(_with_counts(request, dataset)).data, status=status.HTTP_201_CREATED
        )


class DatasetDetailApi(APIView):
    class UpdateInputSerializer(serializers.Serializer):
        description = serializers.CharField(
            required=False, allow_blank=True, max_length=DATASET_DESCRIPTION_MAX_LENGTH
        )
        required_reviews = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_REQUIRED_REVIEWS
        )

    @extend_schema(responses={200: DatasetSerializer, **NOT_ALLOWED})
    def get(self, request: Request, name: str) -> Response:
        dataset = dataset_for_request(request, name)
        return Response(DatasetSerializer(_with_counts(request, dataset)).data)

    @extend_schema(
        request=UpdateInputSerializer, responses={200: DatasetSerializer, **BAD_REQUEST, **NOT_ALLOWED}
    )
    def patch(self, request: Request, name: str) -> Response:
        """Change the description or the reviews each dialogue needs (admins)."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        serializer = self.UpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            # The number of reviews is a review rule: its service settles the labels that now have all
            # their verdicts and recomputes the queue. It comes first, so that a refused number leaves
            # the description unchanged too.
            if data.get("required_reviews") not in (None, dataset.required_reviews):
                dataset_required_reviews_set(dataset=dataset, required_reviews=data["required_reviews"])
            dataset_update(dataset=dataset, description=data.get("description"))
        return Response(DatasetSerializer(_with_counts(request, dataset)).data)

    @extend_schema(responses={204: None, **NOT_ALLOWED})
    def delete(self, request: Request, name: str) -> Response:
        """Delete the dataset and everything in it (admins)."""
        dataset_delete(dataset=dataset_for_request(request, name, Role.ADMIN))
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------------


class DatasetImportApi(APIView):
    """Start an import; answers 202 with the job, to follow at /api/jobs/<id>/.

    The file comes as a multipart form field ``file``, or as the whole body with the type
    ``application/x-ndjson`` (plain) or ``application/gzip`` (compressed); with a raw body the options
    go in the query string."""

    parser_classes = [MultiPartParser, FormParser, NdjsonFileParser, GzipFileParser]

    class OptionsSerializer(serializers.Serializer):
        on_duplicate = serializers.ChoiceField(
            choices=ON_DUPLICATE_CHOICES,
            default="error",
            help_text="A dialogue id already in the dataset: error, skip (keep it) or replace.",
        )
        skip_invalid = serializers.BooleanField(
            default=False, help_text="Import the valid lines, keep the invalid ones in a rejects file."
        )

    class MultipartSerializer(OptionsSerializer):
        file = serializers.FileField(help_text="FORMAT.md JSON Lines, .jsonl or .jsonl.gz.")

    class InputSerializer(OptionsSerializer):
        file = serializers.FileField(validators=[validate_import_filename])

    @extend_schema(
        request={
            "multipart/form-data": MultipartSerializer,
            "application/x-ndjson": OpenApiTypes.BINARY,
            "application/gzip": OpenApiTypes.BINARY,
        },
        parameters=[OptionsSerializer],
        responses={202: JobSerializer, **BAD_REQUEST, **NOT_ALLOWED},
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        dataset = dataset_for_request(request, name, Role.ADMIN)
        # Options from the query string (raw bodies) and from the form (multipart); the form wins.
        data = {**request.query_params.dict(), **_form_values(request.data)}
        serializer = self.InputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        job = import_job_create(
            dataset=dataset,
            upload=serializer.validated_data["file"],
            user=request.user,
            on_duplicate=serializer.validated_data["on_duplicate"],
            skip_invalid=serializer.validated_data["skip_invalid"],
        )
        job.dataset = dataset
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def _form_values(data: object) -> dict[str, Any]:
    """One value per key of a parsed body (a QueryDict for forms, a plain dict for raw files)."""
    if hasattr(data, "dict"):
        return data.dict()
    return dict(data) if isinstance(data, dict) else {}


# ---------------------------------------------------------------------------------------------------
# Dialogues and labels
# ---------------------------------------------------------------------------------------------------


class DialogueListApi(APIView):
    pagination_class = IdCursorPagination

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False, allow_blank=True, max_length=500, help_text="In an utterance."
        )
        external_id = serializers.CharField(required=False, max_length=200, help_text="The dialogue's id.")
        user_id = serializers.CharField(required=False, max_length=200, help_text="The speaker's key.")
        locale = serializers.CharField(required=False, max_length=35)
        changed_since = serializers.DateTimeField(
            required=False, help_text="Imported, or with a label changed, at or after this time (ISO 8601)."
        )

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: DialogueSummarySerializer(many=True), **BAD_REQUEST, **NOT_ALLOWED},
    )
    def get(self, request: Request, name: str) -> Response:
        """The dataset's dialogues in import order, a cursor page at a time."""
        dataset = dataset_for_request(request, name)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            dialogue_list_filtered(dataset, **filters.validated_data), request, view=self
        )
        return paginator.get_paginated_response(DialogueSummarySerializer(page, many=True).data)


class DialogueDetailApi(APIView):
    @extend_schema(responses={200: DialogueDetailSerializer, **NOT_ALLOWED})
    def get(self, request: Request, name: str, pk: int) -> Response:
        """A dialogue with its turns and every label on them, whatever their source or status."""
        dataset = dataset_for_request(request, name)
        return Response(DialogueDetailSerializer(dialogue_get_with_labels(dataset, pk=pk)).data)


class LabelListApi(APIView):
    pagination_class = IdCursorPagination

    @extend_schema(
        parameters=[LabelFilterSerializer],
        responses={200: LabelSerializer(many=True), **BAD_REQUEST, **NOT_ALLOWED},
    )
    def get(self, request: Request, name: str) -> Response:
        """The dataset's labels that pass the filters, by id, a cursor page at a time."""
        dataset = dataset_for_request(request, name)
        filters = LabelFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        labels = label_list(
            dataset,
            label_filter=filters.validated_data["label_filter"],
            changed_since=filters.validated_data["changed_since"],
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(labels, request, view=self)
        return paginator.get_paginated_response(LabelSerializer(page, many=True).data)


# ---------------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------------


class DatasetExportApi(APIView):
    """The dataset's labels as training data, streamed: constant memory and the first byte at once,
    whatever the dataset's size. The same code as ``manage.py export_dialogues``."""

    # The body's type is the format's; errors are JSON whatever the client accepts.
    renderer_classes = [JSONRenderer]
    content_negotiation_class = ErrorsAsJsonNegotiation

    @extend_schema(
        parameters=[ExportParamsSerializer],
        responses={
            **{
                (200, content_type): OpenApiResponse(OpenApiTypes.STR, description="The export, streamed.")
                for content_type in sorted({each.content_type for each in EXPORT_FORMATS.values()})
            },
            **BAD_REQUEST,
            **NOT_ALLOWED,
        },
    )
    def get(self, request: Request, name: str) -> StreamingHttpResponse:
        dataset = dataset_for_request(request, name)
        params = ExportParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return export_response(dataset, params.validated_data)

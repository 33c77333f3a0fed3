"""REST for datasets: the person's datasets with their counts, and the upload door into import."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.forms import ON_DUPLICATE_CHOICES, validate_import_filename
from annotations.models import LabelStatus, Role
from annotations.selectors import dataset_get_for_user, dataset_list_for_user
from annotations.services import import_job_create
from jobs.apis import JobDetailApi


class DatasetListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        description = serializers.CharField()
        created_at = serializers.DateTimeField()
        role = serializers.CharField(source="user_role")
        dialogues = serializers.IntegerField(source="dialogue_count")
        turns = serializers.IntegerField(source="turn_count")
        labels = serializers.SerializerMethodField()

        def get_labels(self, dataset: object) -> dict[str, int]:
            counts = {"total": dataset.label_count}
            counts.update({status: getattr(dataset, f"labels_{status}") for status in LabelStatus.values})
            return counts

    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(dataset_list_for_user(request.user), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class DatasetImportApi(APIView):
    """Start an import of an uploaded file; answers 202 with the job, to poll at /api/jobs/<id>/."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(validators=[validate_import_filename])
        on_duplicate = serializers.ChoiceField(choices=ON_DUPLICATE_CHOICES, default="error")
        skip_invalid = serializers.BooleanField(default=False)

    def post(self, request: Request, name: str) -> Response:
        dataset = dataset_get_for_user(request.user, name, minimum_role=Role.ADMIN)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = import_job_create(
            dataset=dataset,
            upload=serializer.validated_data["file"],
            user=request.user,
            on_duplicate=serializer.validated_data["on_duplicate"],
            skip_invalid=serializer.validated_data["skip_invalid"],
        )
        job.dataset = dataset
        return Response(JobDetailApi.OutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)

"""REST for jobs: list and follow them, cancel them, retry a failed or cancelled one. Who sees a job and
who controls it is the pages' rule (``jobs.selectors``, ``jobs.selectors.job_may_control``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.models import Job
from jobs.registry import job_kind_choices
from jobs.selectors import job_get_for_user, job_get_to_control, job_list_for_user
from jobs.serializers import JobDetailSerializer, JobSerializer
from jobs.services import job_request_cancel, job_retry
from selflearn_site.api_docs import BAD_REQUEST, CONFLICT, NOT_ALLOWED
from selflearn_site.api_errors import refusals_as_conflicts
from selflearn_site.pagination import PageNumberPagination


class JobListApi(APIView):
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Job.Status.choices, required=False)
        kind = serializers.ChoiceField(choices=[], required=False)
        dataset = serializers.CharField(required=False, max_length=200, help_text="A dataset's name.")

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            kind = self.fields["kind"]
            assert isinstance(kind, serializers.ChoiceField)
            kind.choices = job_kind_choices()  # the kinds the apps registered

    @extend_schema(parameters=[FilterSerializer], responses={200: JobSerializer(many=True), **BAD_REQUEST})
    def get(self, request: Request) -> Response:
        """The jobs of the person's datasets and those they started, newest first."""
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = job_list_for_user(request.user)
        if "status" in filters.validated_data:
            jobs = jobs.filter(status=filters.validated_data["status"])
        if "kind" in filters.validated_data:
            jobs = jobs.filter(kind=filters.validated_data["kind"])
        if "dataset" in filters.validated_data:
            jobs = jobs.filter(dataset__name=filters.validated_data["dataset"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(jobs, request, view=self)
        return paginator.get_paginated_response(JobSerializer(page, many=True).data)


class JobDetailApi(APIView):
    @extend_schema(responses={200: JobDetailSerializer, **NOT_ALLOWED})
    def get(self, request: Request, pk: int) -> Response:
        """The job's status, phase, progress, rate and ETA, and its result or error."""
        return Response(JobDetailSerializer(job_get_for_user(request.user, pk)).data)


class JobCancelApi(APIView):
    @extend_schema(request=None, responses={200: JobDetailSerializer, **NOT_ALLOWED})
    def post(self, request: Request, pk: int) -> Response:
        """Cancel a pending job at once, or ask a running one to stop after the work in hand. A job
        that has ended is left as it is."""
        job = job_request_cancel(job=job_get_to_control(request.user, pk))
        return Response(JobDetailSerializer(job).data)


class JobRetryApi(APIView):
    @extend_schema(request=None, responses={200: JobDetailSerializer, **NOT_ALLOWED, **CONFLICT})
    def post(self, request: Request, pk: int) -> Response:
        """Run a failed or cancelled job again: a labelling job its unfinished chunks (the labels of
        the finished ones are kept, none written twice), any other kind from the top. 409 when the job
        cannot run again, with the reason (it has not ended, or an import's upload was removed)."""
        job = job_get_to_control(request.user, pk)
        with refusals_as_conflicts():
            job_retry(job=job)
        return Response(JobDetailSerializer(job).data)

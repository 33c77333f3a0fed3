"""REST for jobs: list and follow them, cancel them, resume a labelling job. Who sees a job and who
controls it is the pages' rule (``jobs.selectors``, ``jobs.selectors.job_may_control``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.models import Job
from jobs.selectors import job_get_for_user, job_list_for_user, job_may_control
from jobs.serializers import JobDetailSerializer, JobSerializer
from jobs.services import job_request_cancel
from models_app.job_services import label_job_resume
from selflearn_site.api_docs import BAD_REQUEST, CONFLICT, NOT_ALLOWED
from selflearn_site.api_errors import refusals_as_conflicts
from selflearn_site.pagination import PageNumberPagination


def _job_to_control(request: Request, pk: int) -> Job:
    """404 for those who may not see the job, 403 for those who see it but may not control it."""
    job = job_get_for_user(request.user, pk)
    if not job_may_control(request.user, job):
        raise PermissionDenied("Only the person who started this job or an admin of its dataset may do this.")
    return job


class JobListApi(APIView):
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Job.Status.choices, required=False)
        kind = serializers.ChoiceField(choices=Job.Kind.choices, required=False)
        dataset = serializers.CharField(required=False, max_length=200, help_text="A dataset's name.")

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
        job = job_request_cancel(job=_job_to_control(request, pk))
        return Response(JobDetailSerializer(job).data)


class JobResumeApi(APIView):
    @extend_schema(request=None, responses={200: JobDetailSerializer, **NOT_ALLOWED, **CONFLICT})
    def post(self, request: Request, pk: int) -> Response:
        """Run a failed or cancelled labelling job's unfinished chunks again."""
        job = _job_to_control(request, pk)
        with refusals_as_conflicts():
            label_job_resume(job=job)
        return Response(JobDetailSerializer(job).data)

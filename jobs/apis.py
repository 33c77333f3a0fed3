"""REST: a job's state, for scripts that start an import and wait for it."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.selectors import job_get_for_user


class JobDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        status = serializers.CharField()
        phase = serializers.CharField()
        progress_done = serializers.IntegerField()
        progress_total = serializers.IntegerField(allow_null=True)
        result = serializers.JSONField(allow_null=True)
        error = serializers.CharField()
        created_at = serializers.DateTimeField()
        started_at = serializers.DateTimeField(allow_null=True)
        finished_at = serializers.DateTimeField(allow_null=True)
        dataset = serializers.CharField(source="dataset.name", allow_null=True)

    def get(self, request: Request, pk: int) -> Response:
        job = job_get_for_user(request.user, pk)
        return Response(self.OutputSerializer(job).data)

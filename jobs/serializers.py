"""The job as the API shows it: state, progress, rate and ETA, result or error."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.models import Job
from jobs.selectors import job_chunk_counts, job_rate_and_eta


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Job.Kind.choices)
    status = serializers.ChoiceField(choices=Job.Status.choices)
    phase = serializers.CharField()
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField(allow_null=True)
    percent = serializers.SerializerMethodField()
    rate = serializers.SerializerMethodField(help_text="Units done per second (turns, for labelling).")
    eta_seconds = serializers.SerializerMethodField(help_text="Seconds left at that rate; null when done.")
    is_finished = serializers.BooleanField()
    cancel_requested = serializers.BooleanField()
    result = serializers.JSONField(allow_null=True)
    error = serializers.CharField()
    dataset = serializers.CharField(source="dataset.name", allow_null=True, default=None)
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_percent(self, job: Job) -> float | None:
        fraction = job.fraction_done
        return None if fraction is None else round(fraction * 100, 1)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_rate(self, job: Job) -> float | None:
        return job_rate_and_eta(job)[0]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_eta_seconds(self, job: Job) -> float | None:
        return job_rate_and_eta(job)[1]


class JobDetailSerializer(JobSerializer):
    chunks = serializers.SerializerMethodField(help_text="Labelling jobs: chunks by status (one query).")

    @extend_schema_field(
        serializers.DictField(child=serializers.IntegerField(), allow_null=True),
    )
    def get_chunks(self, job: Job) -> dict[str, int] | None:
        return job_chunk_counts(job) if job.kind == Job.Kind.LABEL else None

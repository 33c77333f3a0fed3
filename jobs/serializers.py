"""The job as the API shows it: state, progress, rate and ETA, result or error."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.display import kind_label
from jobs.models import Job
from jobs.registry import UnknownJobKind, job_kind
from jobs.selectors import job_chunk_counts, job_rate_and_eta


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="The kind of job (labelling is 'label').")
    kind_label = serializers.SerializerMethodField(help_text="The kind in words.")
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

    def get_kind_label(self, job: Job) -> str:
        return kind_label(job)

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
    chunks = serializers.SerializerMethodField(help_text="Chunked jobs (labelling): chunks by status.")

    @extend_schema_field(
        serializers.DictField(child=serializers.IntegerField(), allow_null=True),
    )
    def get_chunks(self, job: Job) -> dict[str, int] | None:
        try:
            chunked = job_kind(job.kind).is_chunked
        except UnknownJobKind:
            chunked = False
        return job_chunk_counts(job) if chunked else None

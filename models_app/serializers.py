"""Model versions as the API shows them: what they label, how they scored, where they came from."""

from __future__ import annotations

from rest_framework import serializers


class ModelVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tasks = serializers.JSONField(help_text="The label kinds this model writes.")
    metrics = serializers.JSONField(help_text="Validation metrics from training, and later evaluations.")
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_by_job = serializers.IntegerField(source="created_by_job_id", allow_null=True)


class ModelVersionDetailSerializer(ModelVersionSerializer):
    inventories = serializers.JSONField(help_text="The intents, slot types and other labels it knows.")
    config = serializers.JSONField()

"""Model versions as the API shows them: what they label, how they scored, where they came from."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from models_app.models import ModelVersion


class ModelVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tasks = serializers.JSONField(help_text="The label kinds this model writes.")
    metrics = serializers.JSONField(help_text="Validation metrics from training (held out: evaluations).")
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_by_job = serializers.IntegerField(source="created_by_job_id", allow_null=True)


class ModelEvaluationSerializer(serializers.Serializer):
    dataset = serializers.CharField(source="dataset.name")
    dialogues = serializers.IntegerField()
    precision = serializers.CharField()
    learned_from = serializers.BooleanField(
        help_text="Whether the model learned from this dataset (then the figures are not held out)."
    )
    metrics = serializers.JSONField(help_text="The metrics against the dataset's gold labels.")
    created_at = serializers.DateTimeField()
    job = serializers.IntegerField(source="job_id", allow_null=True)


class ModelVersionDetailSerializer(ModelVersionSerializer):
    inventories = serializers.JSONField(help_text="The intents, slot types and other labels it knows.")
    config = serializers.JSONField()
    evaluations = serializers.SerializerMethodField(
        help_text="The latest evaluation on each dataset you belong to (held out unless learned_from)."
    )

    @extend_schema_field(ModelEvaluationSerializer(many=True))
    def get_evaluations(self, model_version: ModelVersion) -> Any:
        return ModelEvaluationSerializer(self.context.get("evaluations", []), many=True).data

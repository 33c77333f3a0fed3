"""The registry of trained label generation models."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ModelVersion(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # The label kinds this model writes, and the inventories (intents, slot types) it knows.
    tasks = models.JSONField(default=list, blank=True)
    inventories = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    checkpoint_path = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="model_versions"
    )
    # The datasets the model learned from (training, validation, self-training): its inventories carry
    # their intents and slot names, so a person sees the model only while they belong to each one.
    trained_on = models.ManyToManyField("annotations.Dataset", blank=True, related_name="model_versions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class ModelEvaluation(models.Model):
    """A model measured against one dataset's gold labels (an evaluation job, the command, a recipe).

    The model page shows the latest one per dataset: held-out figures (a dataset the model never
    learned from) beside the validation metrics that chose its checkpoint."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="evaluations")
    dataset = models.ForeignKey(
        "annotations.Dataset", on_delete=models.CASCADE, related_name="model_evaluations"
    )
    # Whether the dataset was among those the model learned from (then the figures are not held out).
    learned_from = models.BooleanField(default=False)
    precision = models.CharField(max_length=8, default="fp32")
    dialogues = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["model_version", "dataset", "-created_at"], name="evaluation_latest")]

    def __str__(self) -> str:
        return f"{self.model_version} on {self.dataset}"

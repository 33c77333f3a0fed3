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

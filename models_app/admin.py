from django.contrib import admin

from models_app.models import ModelEvaluation, ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["created_by", "created_by_job"]
    readonly_fields = ["created_at"]


@admin.register(ModelEvaluation)
class ModelEvaluationAdmin(admin.ModelAdmin):
    list_display = ["model_version", "dataset", "dialogues", "learned_from", "created_at"]
    list_filter = ["learned_from"]
    raw_id_fields = ["model_version", "dataset", "job"]
    readonly_fields = ["created_at"]

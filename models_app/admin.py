from django.contrib import admin

from models_app.models import ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["created_by", "created_by_job"]
    readonly_fields = ["created_at"]

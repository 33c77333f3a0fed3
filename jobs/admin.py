from django.contrib import admin

from jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "phase",
        "dataset",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["dataset", "created_by"]
    search_fields = ["dataset__name", "created_by__username"]
    raw_id_fields = ["dataset", "created_by"]
    readonly_fields = ["created_at", "started_at", "finished_at", "updated_at"]
    date_hierarchy = "created_at"

from django.contrib import admin

from rewrites.models import RewriteBlock, RewriteLog, RewritePair


@admin.register(RewritePair)
class RewritePairAdmin(admin.ModelAdmin):
    list_display = ["source", "target", "probability", "support", "users", "status", "dataset"]
    list_filter = ["status"]
    search_fields = ["source", "target"]


@admin.register(RewriteBlock)
class RewriteBlockAdmin(admin.ModelAdmin):
    list_display = ["utterance", "dataset", "created_at"]


@admin.register(RewriteLog)
class RewriteLogAdmin(admin.ModelAdmin):
    list_display = ["utterance", "rewrite", "layer", "score", "dataset", "created_at"]
    readonly_fields = [
        "dataset",
        "user_key",
        "utterance",
        "rewrite",
        "layer",
        "score",
        "reason",
        "created_at",
    ]

from django.contrib import admin

from annotations.models import Dataset, Dialogue, Label, Membership, ReviewEvent, Turn


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    raw_id_fields = ["user"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "required_reviews", "created_by", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["created_by"]
    inlines = [MembershipInline]


@admin.register(Dialogue)
class DialogueAdmin(admin.ModelAdmin):
    list_display = ["external_id", "dataset", "user_key", "locale", "created_at"]
    list_filter = ["dataset"]
    list_select_related = ["dataset"]
    search_fields = ["external_id"]
    raw_id_fields = ["dataset", "import_job"]


@admin.register(Turn)
class TurnAdmin(admin.ModelAdmin):
    list_display = ["external_id", "dialogue", "position", "utterance", "intent", "status"]
    list_select_related = ["dialogue"]
    search_fields = ["dialogue__external_id", "utterance"]
    raw_id_fields = ["dialogue"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "source_type", "dialogue", "turn", "confidence", "updated_at"]
    list_filter = ["kind", "status", "source_type"]
    list_select_related = ["dialogue", "turn"]
    raw_id_fields = ["dialogue", "turn", "model_version", "author", "job"]


@admin.register(ReviewEvent)
class ReviewEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only: readable here, never edited or deleted."""

    list_display = ["created_at", "action", "kind", "actor", "dialogue", "label"]
    list_filter = ["action", "kind"]
    list_select_related = ["actor", "dialogue", "label"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False

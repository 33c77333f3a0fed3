"""The review tables in the admin: written only by the review services (with their audit), so read-only
here."""

from django.contrib import admin

from review.models import Adjudication, AutoAcceptRule, DialogueReviewState, LabelReview


@admin.register(LabelReview)
class LabelReviewAdmin(admin.ModelAdmin):
    """Reviewers' verdicts: written by the review services (with their audit), only read here."""

    list_display = ["updated_at", "reviewer", "decision", "label", "dialogue"]
    list_filter = ["decision"]
    list_select_related = ["reviewer", "label", "dialogue"]
    raw_id_fields = ["label", "dialogue", "reviewer"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(DialogueReviewState)
class DialogueReviewStateAdmin(admin.ModelAdmin):
    """Each dialogue's place in the review queue, kept by the services; read-only here."""

    list_display = [
        "dialogue",
        "dataset",
        "is_open",
        "awaiting",
        "min_confidence",
        "disagreement",
        "locked_by",
    ]
    list_filter = ["is_open", "dataset"]
    list_select_related = ["dialogue", "dataset", "locked_by"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Adjudication)
class AdjudicationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "dataset", "label", "resolved_by", "resolved_at"]
    list_select_related = ["dataset", "label", "resolved_by"]
    raw_id_fields = ["label", "resolved_by"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(AutoAcceptRule)
class AutoAcceptRuleAdmin(admin.ModelAdmin):
    list_display = ["dataset", "kind", "threshold"]
    list_filter = ["kind"]
    list_select_related = ["dataset"]

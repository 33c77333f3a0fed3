from django.contrib import admin

from teachable.models import (
    Catalogue,
    CatalogueEntry,
    GuidedSession,
    Preference,
    PreferenceEvent,
    Question,
    QuestionSet,
    ResolutionRule,
)


class CatalogueEntryInline(admin.TabularInline):
    model = CatalogueEntry
    extra = 0


@admin.register(Catalogue)
class CatalogueAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "stamp"]
    inlines = [CatalogueEntryInline]


class PreferenceEventInline(admin.TabularInline):
    model = PreferenceEvent
    extra = 0
    readonly_fields = ["action", "actor", "before", "after", "at"]
    can_delete = False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = [
        "user_key",
        "dataset",
        "domain",
        "key",
        "value",
        "polarity",
        "resolved",
        "source",
        "active",
        "created_at",
    ]
    list_filter = ["active", "resolved", "polarity", "source", "domain"]
    search_fields = ["user_key", "value"]
    raw_id_fields = ["turn", "superseded_by", "entity"]
    inlines = [PreferenceEventInline]


class QuestionInline(admin.TabularInline):
    model = Question
    fk_name = "question_set"
    extra = 0


@admin.register(QuestionSet)
class QuestionSetAdmin(admin.ModelAdmin):
    list_display = ["name", "dataset", "domain"]
    inlines = [QuestionInline]


@admin.register(GuidedSession)
class GuidedSessionAdmin(admin.ModelAdmin):
    list_display = ["user_key", "dataset", "question_set", "status", "created_at"]
    list_filter = ["status"]


@admin.register(ResolutionRule)
class ResolutionRuleAdmin(admin.ModelAdmin):
    list_display = ["dataset", "intent", "slot_type", "domain", "key", "catalogue"]

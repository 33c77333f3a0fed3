from django.contrib import admin

from accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "key_prefix"]
    # The digest is useless to read and must not be edited; revoking is deleting.
    exclude = ["key_digest"]
    readonly_fields = ["user", "key_prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False  # a key is shown once, to its owner, on the tokens page

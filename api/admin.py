"""Admin for API tokens: staff can see who holds tokens and revoke one by deleting it."""

from django.contrib import admin

from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "key_sha256", "created_at"]

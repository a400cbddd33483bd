from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from core.admin import NoDeleteAdminMixin
from moderation.models import ApiToken, Item


@admin.register(Item)
class ItemAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ("account", "kind", "author", "received_at", "due_at", "handled_at")
    list_filter = ("kind",)
    list_select_related = ("account",)
    readonly_fields = ("due_at", "limit_at")


@admin.register(ApiToken)
class ApiTokenAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    """Read-only: tokens are issued and revoked by the social media lead in the app (or with
    issue_api_token / revoke_api_token), never deleted. The hash is not shown."""

    list_display = ("name", "prefix", "all_accounts", "created_at", "last_used_at", "revoked_at")
    list_filter = ("all_accounts",)
    search_fields = ("name", "prefix")
    fields = (
        "name",
        "prefix",
        "all_accounts",
        "accounts",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Account, Ambassador, FigureReading
from core.admin import NoDeleteAdminMixin


@admin.register(Account)
class AccountAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "platform", "handle", "unit", "owner", "status")
    list_filter = ("platform", "status")
    search_fields = ("name", "handle")
    list_select_related = ("unit", "owner")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The registry changes only through its services, which keep owner and deputies valid, raise
        # the start-page need on a major change, walk the closing steps and record who and why.
        return False


@admin.register(FigureReading)
class FigureReadingAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    """The platforms' daily figures (KAU-FOLLOWUP), read-only: written by the daily job alone, never
    changed or deleted."""

    list_display = (
        "taken_on",
        "account",
        "source",
        "followers",
        "posts_total",
        "views_total",
        "reactions_total",
    )
    list_filter = ("source",)
    search_fields = ("account__name", "account__handle")
    list_select_related = ("account",)
    date_hierarchy = "taken_on"
    readonly_fields = [field.name for field in FigureReading._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ambassador)
class AmbassadorAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    """Ambassadors and bloggers on assignment (KAU-PRIVATE, KTH-BLOG), read-only: proposed, decided and
    ended through accounts.ambassadors alone, never deleted."""

    list_display = ("name", "kind", "unit", "status", "starts_on", "ends_on")
    list_filter = ("kind", "status")
    search_fields = ("name", "email")
    list_select_related = ("unit",)
    readonly_fields = [field.name for field in Ambassador._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from core.admin import NoDeleteAdminMixin
from core.models import InstitutionSettings, OrgUnit
from governance.models import AccountRequest, Campaign


@admin.register(OrgUnit)
class OrgUnitAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "parent", "head", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "name_en", "code")
    # The tree (parent, path) and the head change only through governance.services, which keep the
    # materialised path and the head-of-unit role in step.
    readonly_fields = ("parent", "head", "path", "is_active")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Units are created through governance.services so that their tree path is written.
        return False


@admin.register(InstitutionSettings)
class InstitutionSettingsAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The social media lead edits the settings in the app, where the service validates them.
        return False


@admin.register(AccountRequest)
class AccountRequestAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    """Read-only: requests change only through their workflow (governance.services)."""

    list_display = ("name", "platform", "unit", "requester", "status", "updated_at")
    list_filter = ("status", "platform")
    search_fields = ("name", "handle")
    list_select_related = ("unit", "requester")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    """Read-only: campaigns change only through governance.campaigns (KAU-ADS)."""

    list_display = ("subject", "account", "kind", "starts_on", "ends_on", "budget", "status")
    list_filter = ("status", "kind")
    search_fields = ("subject", "agency", "account__name")
    list_select_related = ("account",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

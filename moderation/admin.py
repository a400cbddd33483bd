from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from core.admin import NoDeleteAdminMixin
from moderation.models import (
    AffectedPost,
    Alert,
    ApiToken,
    Consent,
    Crisis,
    CrisisLogEntry,
    CrowdSituation,
    Item,
    LogEntry,
    PhotographerCredit,
)


class ReadOnlyAdminMixin(NoDeleteAdminMixin):
    """Moderation records change only through moderation.services, which writes the log with every
    change; the admin shows them and never adds, changes or deletes one (KAU-PUBLIC-RECORD)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Item)
class ItemAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Items, read-only and never deleted (KAU-PUBLIC-RECORD)."""

    list_display = ("account", "kind", "author", "received_at", "due_at", "status", "handled_at")
    list_filter = ("kind", "status", "threat", "pile_on_risk")
    list_select_related = ("account",)
    search_fields = ("author", "text", "platform_id")
    readonly_fields = ("due_at", "limit_at")


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The moderation log, append-only: read here, never changed or deleted (KAU-PUBLIC-RECORD)."""

    list_display = ("at", "item", "action", "actor", "note")
    list_filter = ("action",)
    list_select_related = ("item", "actor")
    search_fields = ("note",)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Alerts routed and sent by the sweep: read-only, never deleted (KAU-THREAT, KAU-DREV,
    KAU-RESPONSE-CRITICISM, KAU-RESPONSE-DEADLINE)."""

    list_display = ("created_at", "item", "kind", "target", "acknowledged_at")
    list_filter = ("kind", "target")
    list_select_related = ("item",)


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


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Consents to publication of images and film (KAU-CONSENT): read-only, never deleted. Personal
    data: recorded and withdrawn only in the register's pages (moderation.consents)."""

    list_display = ("person_name", "form", "given_on", "valid_until", "unit", "recorded_at", "withdrawn_at")
    list_filter = ("form",)
    list_select_related = ("unit",)
    search_fields = ("person_name",)
    exclude = ("file",)  # the kept form is served only by the register, to those who may see it


@admin.register(CrowdSituation)
class CrowdSituationAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Crowd situations (KAU-CONSENT): read-only, never deleted."""

    list_display = ("place", "occurred_on", "unit", "recorded_at")
    search_fields = ("place",)


@admin.register(PhotographerCredit)
class PhotographerCreditAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Photographer credits (KAU-CREDIT): read-only, never deleted."""

    list_display = ("photographer", "credit_line", "unit", "recorded_at")
    search_fields = ("photographer",)
    exclude = ("file",)


@admin.register(AffectedPost)
class AffectedPostAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Posts affected by a withdrawn consent (KAU-CONSENT): read-only, never deleted."""

    list_display = ("consent", "account", "listed_at", "handled_at", "outcome")
    list_filter = ("outcome",)
    list_select_related = ("consent", "account")


@admin.register(Crisis)
class CrisisAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Crises, read-only and never deleted: declared and ended in the app (KAU-CRISIS)."""

    list_display = ("title", "declared_at", "declared_by", "ended_at", "ended_by")
    list_select_related = ("declared_by", "ended_by")
    search_fields = ("title", "what_happened", "summary")


@admin.register(CrisisLogEntry)
class CrisisLogEntryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """What the accounts published during a crisis: read-only, never deleted (KAU-CRISIS)."""

    list_display = ("published_at", "crisis", "account", "where", "recorded_by")
    list_select_related = ("crisis", "account", "recorded_by")
    search_fields = ("where", "text")

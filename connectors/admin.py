"""The connectors' records in the admin, read-only and never deleted: connections change only through
connectors.services (which checks the token with Meta), deliveries and events are what the platforms
sent (KAU-PUBLIC-RECORD), and outgoing actions are written with the decision in moderation. The
access token is never shown, not even encrypted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from connectors.models import Connection, Delivery, Event, Outgoing
from core.admin import NoDeleteAdminMixin


class ReadOnlyAdminMixin(NoDeleteAdminMixin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Connections and their health; the token is excluded from every view of it."""

    list_display = (
        "account",
        "platform",
        "external_id",
        "health",
        "cause",
        "last_event_at",
        "disconnected_at",
    )
    list_filter = ("platform", "health", "cause")
    list_select_related = ("account",)
    search_fields = ("external_id", "name_on_platform", "account__name")
    exclude = ("token_encrypted",)
    # simple-history's own pages list the changed fields: the encrypted token is left out there too.
    history_list_display = ("health", "cause")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Webhook deliveries as received."""

    list_display = ("received_at", "platform", "status", "attempts", "sha256")
    list_filter = ("platform", "status")
    search_fields = ("sha256",)
    exclude = ("body",)
    readonly_fields = ("body_text",)

    @admin.display(description="body")
    def body_text(self, obj: Delivery) -> str:
        return bytes(obj.body).decode("utf-8", errors="replace")[:20000]


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The changes inside deliveries (and those the poll fetched), with what became of each."""

    list_display = ("processed_at", "connection", "object_type", "field", "outcome", "item")
    list_filter = ("outcome", "object_type", "field")
    list_select_related = ("connection", "item")
    search_fields = ("entry_id", "error")


@admin.register(Outgoing)
class OutgoingAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Answers and removals carried out on the platform, with the platform's answer."""

    list_display = ("requested_at", "connection", "item", "action", "status", "attempts", "finished_at")
    list_filter = ("action", "status")
    list_select_related = ("connection", "item")
    search_fields = ("platform_ref", "reason")

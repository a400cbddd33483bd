"""Admin for people and shared bookkeeping. Records are never deleted here, only deactivated."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.models import Heartbeat, Notification, User


class NoDeleteAdminMixin:
    """Public records are never hard-deleted, in the app or in the admin."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        actions.pop("delete_selected", None)
        return actions


@admin.register(User)
class KanalvaktUserAdmin(NoDeleteAdminMixin, UserAdmin, SimpleHistoryAdmin):
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "break_glass", "groups")
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("Single sign-on"), {"fields": ("break_glass",)}))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # KAU-RESP-OWNER: the heads and the social media lead hear at once that an owner or a
            # deputy has left; the hourly sweep is only the safety net.
            from django.utils import timezone

            from accounts.people import deactivate_person

            deactivate_person(obj, by=request.user, now=timezone.now())  # type: ignore[arg-type]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    """The processes' last signs of life, written by themselves: read-only."""

    list_display = ("name", "seen_at", "detail")
    readonly_fields = ("name", "seen_at", "detail")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    """The e-mail outbox, read-only: what was sent to whom, when, and what failed."""

    list_display = ("created_at", "kind", "email", "subject", "sent_at", "attempts")
    list_filter = ("kind",)
    search_fields = ("email", "subject", "key")
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import NoDeleteAdminMixin
from moderation.models import Item


@admin.register(Item)
class ItemAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ("account", "kind", "author", "received_at", "due_at", "handled_at")
    list_filter = ("kind",)
    list_select_related = ("account",)
    readonly_fields = ("due_at", "limit_at")

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Account
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

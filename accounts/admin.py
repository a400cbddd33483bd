from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Account
from core.admin import NoDeleteAdminMixin


@admin.register(Account)
class AccountAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "platform", "handle", "unit", "owner", "status")
    list_filter = ("platform", "status")
    search_fields = ("name", "handle")
    list_select_related = ("unit", "owner")

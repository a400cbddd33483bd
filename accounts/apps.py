from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Account registry")

    def ready(self) -> None:
        from accounts import coverage, followup
        from core import events, todo

        todo.register(coverage.todo_gaps, order=40)
        todo.register(followup.todo_followups, order=50)
        events.person_deactivated.listen(coverage.deactivate_person)

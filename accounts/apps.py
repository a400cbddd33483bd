from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Account registry")

    def ready(self) -> None:
        from accounts import ambassadors, coverage, flags, followup, people
        from core import events, todo

        # The compliance flags in the order the registry shows them; governance registers the
        # strategy document (20) and moderation the late answers (50).
        flags.register_flag(flags.RESP_OWNER, order=10)
        flags.register_flag(flags.STARTPAGE, order=30)
        flags.register_flag(flags.FOLLOWUP, order=40)
        flags.register_flag(flags.INFORM, order=60)
        flags.register_flag(flags.SENDER, order=70)
        flags.register_flag(flags.COVERAGE, order=80)
        todo.register(coverage.todo_gaps, order=40)
        todo.register(followup.todo_followups, order=50)
        todo.register(ambassadors.todo_ambassadors, order=55)  # KTH-BLOG: proposals awaiting the head
        events.person_deactivated.listen(people.deactivate_person)
        from accounts import policy_rules

        policy_rules.register_rules()  # the policy page (core.policy)

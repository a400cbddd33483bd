from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        from accounts.flags import register_flag
        from core import todo
        from governance import (
            campaigns,
            checks,  # noqa: F401  (registers the profile-guide check)
        )
        from governance import todo as request_todo
        from governance.account_flags import STRATEGY

        todo.register(request_todo.requests_to_decide, order=20)
        todo.register(request_todo.requests_to_review, order=30)
        todo.register(request_todo.requests_to_finish, order=60)
        todo.register(campaigns.campaigns_to_approve, order=35)  # KAU-ADS
        register_flag(STRATEGY, order=20)  # KAU-START-CHECKLIST on the account registry
        from governance import policy_rules

        policy_rules.register_rules()  # the policy page (core.policy)

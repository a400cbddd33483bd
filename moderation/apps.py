from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from accounts.flags import register_flag
        from accounts.sections import register_section
        from core import banners, events, todo
        from moderation.account_flags import RESPONSE
        from moderation.account_page import items_section
        from moderation.cases import case_section
        from moderation.consents import affected_todo
        from moderation.crisis import crisis_banner
        from moderation.sections import register_item_section
        from moderation.selectors import alerts_todo, items_to_answer_todo
        from moderation.tasks import recompute_after_calendar_change

        banners.register(crisis_banner, order=10)  # KAU-CRISIS: the active crisis on every page
        todo.register(alerts_todo, order=5)  # a threat is told at once (KAU-THREAT)
        todo.register(items_to_answer_todo, order=10)  # deadlines in working hours come next
        todo.register(affected_todo, order=30)  # KAU-CONSENT: posts affected by a withdrawn consent
        events.working_calendar_changed.listen(recompute_after_calendar_change)
        register_flag(RESPONSE, order=50)  # KAU-RESPONSE-DEADLINE on the account registry
        register_section(items_section, order=10)
        register_item_section(
            case_section, order=1
        )  # KAU-THREAT: the threat's case, first  # the account page's unanswered items
        from moderation import policy_rules

        policy_rules.register_rules()  # the policy page (core.policy)

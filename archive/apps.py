from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        from accounts.sections import register_section
        from archive import checks  # noqa: F401  (registers the timestamp authority's check)
        from archive.account_page import startpage_fact
        from archive.disposal_notes import item_disposal_section
        from archive.registration import packages_todo
        from core import todo
        from moderation.sections import register_item_section

        todo.register(packages_todo, order=20)  # KAU-DIARY-ACTION: the registrar's queue
        register_section(startpage_fact, order=10, place="facts")  # KAU-STARTPAGE on the account page
        register_item_section(item_disposal_section, order=5)  # gallringsnotering on the item page
        from archive import policy_rules

        policy_rules.register_rules()  # the policy page (core.policy)

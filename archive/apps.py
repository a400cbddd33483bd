from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        from archive.registration import packages_todo
        from archive.services import store_evidence
        from core import todo
        from moderation.demo import register_evidence_keeper

        todo.register(packages_todo, order=20)  # KAU-DIARY-ACTION: the registrar's queue
        register_evidence_keeper(store_evidence)  # the demo's removed comment (KAU-PROHIBITED-EVIDENCE)

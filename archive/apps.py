from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        from archive.registration import packages_todo
        from core import todo

        todo.register(packages_todo, order=20)  # KAU-DIARY-ACTION: the registrar's queue

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from core import todo
        from moderation.selectors import items_to_answer_todo

        todo.register(items_to_answer_todo, order=10)  # deadlines in working hours come first

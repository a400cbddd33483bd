from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core import checks, policy_rules, roles, sessions  # noqa: F401  (checks registers the deploy checks)

        # Roles are data every installation needs; keep them in step with the code after each migrate.
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="core.sync_roles")
        # The session index and the end of every session of a deactivated person.
        sessions.connect_signals()
        policy_rules.register_rules()  # the policy page: what Kanalvakt does about each rule

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Connectors")

    def ready(self) -> None:
        from connectors import registrations

        registrations.register_all()
        from connectors import policy_rules

        policy_rules.register_rules()  # the policy page (core.policy)

"""What the connections to the platforms do about the policy's rules, for the policy page
(core.policy). Registered from ConnectorsConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.policy_rules import flag_figure
from core.policy import register

APP = "connectors"


def register_rules() -> None:
    register(
        "KAU-RESP-DAILY",
        app=APP,
        what=_(
            "Connections bring comments and messages from the platforms into Kanalvakt as they come. "
            "A connection that needs attention tells the owner, the deputies and the social media "
            "lead, and flags the account."
        ),
        where=("connectors:overview",),
        figures=(flag_figure("connection", _("Accounts with a connection that needs attention")),),
    )
    register(
        "KAU-FOLLOWUP",
        app=APP,
        what=_(
            "Every day the platforms' own numbers (followers and activity) are read and kept, so a "
            "follow-up opens with the period's figures."
        ),
        where=("accounts:list",),
    )

"""What Kanalvakt's core does about the policy's rules, for the policy page (core.policy). Registered
from CoreConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.policy import register

APP = "core"


def register_rules() -> None:
    register(
        "KAU-ACCESS",
        app=APP,
        what=_(
            "Kanalvakt speaks plain Swedish by default, and English for those who choose it. Its pages "
            "meet WCAG 2.1 AA and work on a phone; every page is checked with an accessibility test, "
            "and charts give their figures in words too."
        ),
        where=("core:policy", "core:home"),
    )
    always_at_once = _(
        "Alerts about threats and pile-ons always come by e-mail at once, whatever a person chose "
        "for digests."
    )
    register("KAU-THREAT", app=APP, what=always_at_once, where=("core:email_settings",))
    register("KAU-DREV", app=APP, what=always_at_once, where=("core:email_settings",))

"""What the connectors add to the apps below them, in one place: listeners on moderation's events,
the item page's and the account page's sections, the registry's flag and the start page's list."""

from __future__ import annotations


def register_all() -> None:
    from accounts.figures import register_figures
    from accounts.flags import register_flag
    from accounts.sections import register_section
    from connectors.account_flags import CONNECTION
    from connectors.account_page import connection_fact
    from connectors.figures import platform_figures

    # The platform's figures pre-fill the follow-up form (KAU-FOLLOWUP).
    register_figures(platform_figures)
    # Connections: the account page's fact and the registry's flag.
    register_flag(CONNECTION, order=85)  # KAU-RESP-DAILY: a connection that needs attention
    register_section(connection_fact, order=20, place="facts")

"""What the connectors add to the apps below them, in one place: listeners on moderation's events,
the item page's and the account page's sections, the registry's flag and the start page's list."""

from __future__ import annotations


def register_all() -> None:
    # Connections: the account page's fact and the registry's flag (connectors.account_page,
    # connectors.account_flags).
    from accounts.flags import register_flag
    from accounts.sections import register_section
    from connectors.account_flags import CONNECTION
    from connectors.account_page import connection_fact

    register_flag(CONNECTION, order=85)  # KAU-RESP-DAILY: a connection that needs attention
    register_section(connection_fact, order=20, place="facts")

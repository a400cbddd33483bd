"""What the connectors add to the apps below them, in one place: listeners on moderation's events,
the item page's and the account page's sections, the registry's flag and the start page's list."""

from __future__ import annotations


def register_all() -> None:
    # --- In: the platform's figures pre-fill the follow-up form (KAU-FOLLOWUP).
    from accounts.figures import register_figures
    from connectors.figures import platform_figures

    register_figures(platform_figures)
    # --- End of In.

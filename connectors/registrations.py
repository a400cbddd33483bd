"""What the connectors add to the apps below them, in one place: listeners on moderation's events,
the item page's and the account page's sections, the registry's flag and the start page's list."""

from __future__ import annotations


def register_all() -> None:
    pass

"""The account page's sections that other apps contribute: the account's unanswered items
(moderation), its start-page screenshots (archive).

An app registers a provider in its AppConfig.ready(); a provider takes the person, the account and
the time and returns an AccountSection (a template and its context), or None when that person may
not see it. The page renders the sections of each place in order; each provider runs a fixed number
of queries, so the page costs the same whatever the account holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from accounts.models import Account

# Where on the page a section goes: "facts" is a <dt>/<dd> pair in the account's facts, after the
# registration date; "main" a <section> of its own, after follow-up and closing, before the history.
Place = Literal["facts", "main"]


@dataclass(frozen=True)
class AccountSection:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


Provider = Callable[[Any, Account, datetime], AccountSection | None]
_providers: list[tuple[Place, int, Provider]] = []


def register_section(provider: Provider, *, order: int, place: Place = "main") -> None:
    """Add a provider; the sections of a place show by ``order``, lowest first."""
    if all(existing is not provider for _place, _order, existing in _providers):
        _providers.append((place, order, provider))
        _providers.sort(key=lambda entry: entry[1])


def sections_for(user: Any, account: Account, now: datetime) -> dict[Place, list[AccountSection]]:
    """The sections ``user`` sees on the page of ``account``, by place."""
    placed: dict[Place, list[AccountSection]] = {"facts": [], "main": []}
    for place, _order, provider in _providers:
        section = provider(user, account, now)
        if section is not None:
            placed[place].append(section)
    return placed

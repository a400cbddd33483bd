"""The start page, "Att göra" / "My tasks": each app contributes what a person must act on.

An app registers a provider in its AppConfig.ready(); a provider takes the user and the time and
returns a TodoSection, or None when it has nothing to say to that person. Each provider runs a
fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise


@dataclass
class TodoSection:
    key: str
    title: str | Promise
    empty: str | Promise
    template: str
    rows: Sequence[Any]
    extra: dict[str, Any] = field(default_factory=dict)


Provider = Callable[[Any, datetime], TodoSection | None]
_providers: list[tuple[int, Provider]] = []


def register(provider: Provider, *, order: int = 100) -> None:
    """Add a provider; sections show by ``order``, the most time-critical (lowest) first."""
    if all(existing is not provider for _order, existing in _providers):
        _providers.append((order, provider))
        _providers.sort(key=lambda entry: entry[0])


def sections_for(user: Any, now: datetime) -> list[TodoSection]:
    return [section for _order, provider in _providers if (section := provider(user, now)) is not None]

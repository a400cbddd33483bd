"""What other apps add to the item page: where an answer goes (a connector posts it to the platform)
and what became of it there.

Providers are registered in the contributing app's AppConfig.ready(). A section provider takes the
person and the item and returns an ItemSection (a template and its context) or None; an answer
destination takes the item and says, in a sentence, where an answer recorded now will go, or None
when it is only recorded. Each provider runs a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moderation.models import Item


@dataclass(frozen=True)
class ItemSection:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


SectionProvider = Callable[[Any, Item], ItemSection | None]
Destination = Callable[[Item], str | None]
_sections: list[tuple[int, SectionProvider]] = []
_destinations: list[Destination] = []


def register_item_section(provider: SectionProvider, *, order: int) -> None:
    if all(existing is not provider for _order, existing in _sections):
        _sections.append((order, provider))
        _sections.sort(key=lambda entry: entry[0])


def register_answer_destination(destination: Destination) -> None:
    if destination not in _destinations:
        _destinations.append(destination)


def item_sections(user: Any, item: Item) -> list[ItemSection]:
    return [section for _order, provider in _sections if (section := provider(user, item)) is not None]


def answer_destination(item: Item) -> str | None:
    """Where an answer to ``item`` goes besides the log: the first destination that claims it."""
    for destination in _destinations:
        said = destination(item)
        if said:
            return said
    return None

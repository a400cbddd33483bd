"""Things that happen in a lower layer and that higher apps act on.

A lower app cannot import a higher one (CONTRIBUTING.md, "Layers"), so when core or governance does
something that moderation or accounts must follow, it announces it here and the higher app listens.
Listeners are added in the listening app's ``AppConfig.ready()``: explicit, greppable, and run in the
order they were added, in the caller's transaction. Not Django signals: a reader finds every listener
with ``git grep <event>.listen``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """One kind of happening; ``announce`` calls every listener with the same keyword arguments."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc
        self._listeners: list[Callable[..., Any]] = []

    def listen(self, listener: Callable[..., Any]) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def announce(self, **kwargs: Any) -> None:
        for listener in list(self._listeners):
            listener(**kwargs)

    def __repr__(self) -> str:
        return f"<Event {self.name}: {len(self._listeners)} listener(s)>"


person_deactivated = Event(
    "person_deactivated",
    "A person was deactivated (``person``, ``by``, ``now``): accounts finds the accounts left without "
    "an owner or a deputy and tells the heads and the social media lead (KAU-RESP-OWNER).",
)

working_calendar_changed = Event(
    "working_calendar_changed",
    "The institution's response hours, threat re-alert hours or days off changed (``by``): moderation "
    "recomputes the open items' deadlines and the waiting threats' re-alert times (KAU-RESPONSE-DEADLINE, "
    "KAU-THREAT).",
)

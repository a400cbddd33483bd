"""Banners on every signed-in page: a notice an app above core puts at the top of each page while
something concerns everyone (KAU-CRISIS: the active crisis).

core cannot import the apps above it, so they register a provider in their AppConfig.ready(). A
provider takes the request and returns a ``Banner``, or None when it has nothing to show. It runs on
every page, so it must be cheap: at most one query, and none when what it shows is cached.
``base.html`` draws the banners (``core.context_processors.banners``) for signed-in people only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise


@dataclass(frozen=True)
class Banner:
    """One banner: a heading, a short text, the page to read more on, and an outside link (the
    university's own website) when there is one. ``urgent`` banners are announced as an alert."""

    key: str
    heading: str | Promise
    text: str | Promise = ""
    url: str = ""
    url_label: str | Promise = ""
    external_url: str = ""
    external_label: str | Promise = ""
    urgent: bool = False


Provider = Callable[[HttpRequest], Banner | None]
_providers: list[tuple[int, Provider]] = []


def register(provider: Provider, *, order: int = 100) -> None:
    """Add a provider; banners show by ``order``, the most urgent (lowest) first."""
    if all(existing is not provider for _order, existing in _providers):
        _providers.append((order, provider))
        _providers.sort(key=lambda entry: entry[0])


def banners_for(request: HttpRequest) -> list[Banner]:
    """The banners of a signed-in page; none for a visitor who is not signed in, or a connector's token."""
    user: Any = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "groups"):
        return []
    return [banner for _order, provider in _providers if (banner := provider(request)) is not None]

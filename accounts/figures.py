"""The figures a platform gives for a follow-up (KAU-FOLLOWUP: "pre-filled with the numbers the
platform gives (followers, posts in the period) where the token allows").

A registry, as accounts knows no platform: a higher app (connectors) registers a provider in its
``AppConfig.ready()``; the follow-up form asks every provider and pre-fills what they give. A provider
takes the account and the period (first and last day) and returns figure name → number, or {}. A
provider that fails is skipped: the form is then simply not pre-filled, never an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

logger = logging.getLogger(__name__)

FIGURES = ("followers", "posts", "reactions", "comments")

FiguresProvider = Callable[[Any, date, date], Mapping[str, int]]
_providers: list[FiguresProvider] = []


def register_figures(provider: FiguresProvider) -> None:
    """Add a provider of platform figures (once, however often ``ready()`` runs)."""
    if provider not in _providers:
        _providers.append(provider)


def figures_for(account: Any, start: date, end: date) -> dict[str, int]:
    """The figures the providers give for ``account`` over ``start``–``end``; the first provider to
    give a figure wins. Only the follow-up's own figures, as whole numbers from 0 up, are kept."""
    figures: dict[str, int] = {}
    for provider in _providers:
        try:
            given = provider(account, start, end) or {}
        except Exception:  # a platform's failure is no reason to refuse the form
            logger.warning("figures provider %r failed for account %s", provider, account.pk, exc_info=True)
            continue
        for name, value in given.items():
            if name in FIGURES and type(value) is int and 0 <= value < 2**31:
                figures.setdefault(name, value)
    return figures

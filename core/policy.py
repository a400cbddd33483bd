"""The policy's rules and what Kanalvakt does about each: the catalogue and the registry.

The catalogue (``core.policy_catalogue``) names every rule of docs/POLICY.md: its ID, its section and
its text in plain language, and, where Kanalvakt cannot enforce a rule (or a part of it), the reason.
The registry is filled by each app from its own ``policy_rules`` module, called from its
AppConfig.ready(): ``register(rule_id, what=..., where=..., figures=..., app=...)`` says what the
app does about a rule, on which pages a person meets it, and which live figures count it. A rule ID
that is not in the catalogue is refused at startup, so a typo cannot hide an enforcement.

The policy page (core.policy_views) reads both: every rule, its enforcements and its figures, or a
clear "not enforced by Kanalvakt" with its reason. Each figure is one cheap query, so the page costs
the same number of queries whatever the size of the data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise

from core.policy_catalogue import RULES, SECTIONS, Rule, Section

__all__ = [
    "RULES",
    "SECTIONS",
    "Enforcement",
    "Figure",
    "Rule",
    "Section",
    "UnknownRule",
    "enforcements_for",
    "register",
    "rule",
]

# A page: its URL name, or its URL name and the arguments it takes.
Where = str | tuple[str, Mapping[str, Any]]


class UnknownRule(LookupError):
    """A rule ID that docs/POLICY.md does not name."""


@dataclass(frozen=True)
class Figure:
    """A live figure: a count over the whole institution at ``now`` (one cheap query), with the page
    that lists what it counts (``url``, narrowed by ``query``) where there is one. ``visible`` keeps
    a figure from people who may not know it (a count of threat cases is for those who follow them);
    ``None`` shows it to everyone signed in."""

    label: str | Promise
    count: Callable[[datetime], int]
    url: Where | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    visible: Callable[[Any], bool] | None = None

    def shown_to(self, user: Any) -> bool:
        return self.visible is None or bool(self.visible(user))

    def path(self) -> str | None:
        if self.url is None:
            return None
        base = path_of(self.url)
        if not self.query:
            return base
        from urllib.parse import urlencode

        return f"{base}?{urlencode(dict(self.query))}"


@dataclass(frozen=True)
class Enforcement:
    """What one app does about one rule: a sentence or two, the pages, the figures."""

    rule_id: str
    app: str
    what: str | Promise
    where: tuple[Where, ...] = ()
    figures: tuple[Figure, ...] = ()


_registry: dict[str, list[Enforcement]] = {}


def rule(rule_id: str) -> Rule:
    """The catalogue's rule ``rule_id``; raises UnknownRule for an ID the policy does not name."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise UnknownRule(f"{rule_id!r} is not a rule of docs/POLICY.md") from None


def register(
    rule_id: str,
    *,
    what: str | Promise,
    where: Sequence[Where] = (),
    figures: Sequence[Figure] = (),
    app: str,
) -> None:
    """Record that ``app`` enforces ``rule_id``: ``what`` it does, ``where`` a person meets it (URL
    names, or a URL name with its arguments) and the live ``figures`` that count it. Called from the
    app's AppConfig.ready(); an unknown rule ID raises at startup. Registering the same app's
    enforcement of a rule again (a second ready()) changes nothing."""
    rule(rule_id)
    enforcement = Enforcement(rule_id, app, what, tuple(where), tuple(figures))
    entries = _registry.setdefault(rule_id, [])
    if all(existing.app != app or str(existing.what) != str(what) for existing in entries):
        entries.append(enforcement)


def enforcements_for(rule_id: str) -> tuple[Enforcement, ...]:
    """What every app registered for ``rule_id``, in the order the apps are loaded."""
    return tuple(_registry.get(rule_id, ()))


def all_enforcements() -> tuple[Enforcement, ...]:
    return tuple(entry for entries in _registry.values() for entry in entries)


def path_of(where: Where) -> str:
    """The absolute path of a page named by ``where``."""
    if isinstance(where, str):
        return reverse(where)
    name, kwargs = where
    return reverse(name, kwargs=dict(kwargs))


def sections_with_rules() -> list[tuple[Section, list[Rule]]]:
    """The catalogue by section, in the order of docs/POLICY.md."""
    return [(section, [r for r in RULES.values() if r.section == section.key]) for section in SECTIONS]

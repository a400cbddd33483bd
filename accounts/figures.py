"""The platforms' own numbers for the follow-up (KAU-FOLLOWUP: "statistics (followers, activity,
reactions, comments, growth or decline of traffic)").

Three parts, each the one place for its job:

- **The readings.** ``record_reading`` is the one write path of ``FigureReading``: what a platform
  said of an account's counts on one day (followers, and its running totals of posts, views and
  reactions), read by the daily job in connectors.figures. Every count is checked here, whoever
  calls: a whole number from 0 up to the database's integer limit, or the reading is refused whole
  and nothing is stored. The day's first reading is kept (see ``FigureReading``).
- **The pre-fill.** ``prefill_for`` gives the follow-up form its figures for a period, each with where
  it came from: the readings first (``from_readings``, pure: followers at the last reading in the
  period; posts and reactions as the difference between the running totals of the first and the last
  reading in it), then the providers below for what the readings do not give. The form carries what it
  pre-filled, signed (``sign_prefill``), so that the follow-up service can tell a figure kept as given
  from one the person typed or changed.
- **The providers.** Accounts knows no platform and no item: a higher app registers a provider in its
  ``AppConfig.ready()`` (connectors counts the account's posts and comments that came in). A provider
  takes the account and the period (first and last day) and returns figure name → number, or {}; it
  reads what Kanalvakt keeps and calls no platform (the form and the service both wait for it). A
  provider that fails is skipped: the form is then simply not pre-filled, never an error page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import FOLLOWUP_FIGURES, READING_KEYS, Account, FigureReading, FigureSource
from core import bounds
from core.calendar import local_today

logger = logging.getLogger(__name__)

FIGURES = FOLLOWUP_FIGURES
COUNT_LIMIT = 2**31  # PostgreSQL's integer: every count is 0 <= n < 2**31
SOURCE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,19}")
# The running total behind each figure of a period (followers is a reading of its own).
TOTALS = {"posts": "posts_total", "reactions": "reactions_total"}


def is_count(value: object) -> bool:
    """A whole number from 0 up to the database's limit (a bool is not a count)."""
    return type(value) is int and 0 <= value < COUNT_LIMIT


# --- The readings ---------------------------------------------------------------------------------


@transaction.atomic
def record_reading(
    account: Account, *, on: date, counts: Mapping[str, object], source: str, now: datetime
) -> tuple[FigureReading, bool]:
    """Keep what the platform ``source`` said of ``account``'s counts on the day ``on`` (KAU-FOLLOWUP).

    ``counts`` holds some of READING_KEYS, each a whole number 0 <= n < 2**31; anything else (another
    name, a negative or fractional number, a text, a bool, nothing at all) refuses the whole reading
    with a ValidationError, and nothing is stored. The day's first reading is kept: a second one for the
    same account and day changes nothing and returns the first with ``created`` False, so the daily job
    may run twice. Returns (reading, created).
    """
    if not isinstance(counts, Mapping) or not counts:
        raise ValidationError(_("A reading holds at least one count."), code="empty")
    unknown = sorted(str(name) for name in counts if name not in READING_KEYS)
    if unknown:
        raise ValidationError(
            _("A reading holds only followers and running totals, not %(names)s.")
            % {"names": ", ".join(unknown)},
            code="unknown",
        )
    bad = sorted(name for name, value in counts.items() if not is_count(value))
    if bad:
        raise ValidationError(
            _("A count is a whole number from 0 up to %(limit)s: %(names)s.")
            % {"limit": COUNT_LIMIT - 1, "names": ", ".join(bad)},
            code="count",
        )
    if not isinstance(source, str) or not SOURCE_PATTERN.fullmatch(source):
        raise ValidationError(_("The platform of a reading is named by its code."), code="source")
    if not isinstance(on, date) or isinstance(on, datetime):
        raise ValidationError(_("A reading is of one day."), code="day")
    bounds.check_past_day(on, today=local_today(now), field="taken_on")
    return FigureReading.objects.get_or_create(
        account=account,
        taken_on=on,
        defaults={**counts, "source": source, "taken_at": now},
    )


# --- The pre-fill ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One pre-filled figure: its value, where it came from (FigureSource), and the days of the
    readings it was taken from (none for a count Kanalvakt made)."""

    value: int
    source: str
    read_on: tuple[date, ...] = ()


@dataclass(frozen=True)
class Prefill:
    """What the follow-up form pre-filled for the period ``start``–``end``, figure by figure."""

    start: date
    end: date
    figures: Mapping[str, Figure]


class ReadingRow(NamedTuple):
    """A reading as the pre-fill reads it."""

    taken_on: date
    followers: int | None
    posts_total: int | None
    reactions_total: int | None


def from_readings(rows: Sequence[ReadingRow], start: date, end: date) -> dict[str, Figure]:
    """The figures the readings give for the period ``start``–``end`` (KAU-FOLLOWUP). Pure.

    - followers: the last reading in the period that has them;
    - posts and reactions in the period: the running total of the last reading in the period less that
      of the first, when two readings in the period have it (one reading says nothing of a period) and
      the total did not fall (a platform's total falls when posts are deleted: the difference would
      not be the period's activity).

    A reading before the period is not used, so a connection that broke long ago pre-fills nothing
    stale.
    """
    inside = sorted((row for row in rows if start <= row.taken_on <= end), key=lambda row: row.taken_on)
    figures: dict[str, Figure] = {}
    followers = [(row.taken_on, row.followers) for row in inside if row.followers is not None]
    if followers:
        day, value = followers[-1]
        figures["followers"] = Figure(int(value or 0), FigureSource.PLATFORM, (day,))
    for name, total in TOTALS.items():
        given: list[tuple[date, int]] = [
            (row.taken_on, count) for row in inside if isinstance(count := getattr(row, total), int)
        ]
        if len(given) < 2:
            continue
        (first_day, first), (last_day, last) = given[0], given[-1]
        if last >= first:
            figures[name] = Figure(last - first, FigureSource.PLATFORM, (first_day, last_day))
    return figures


def prefill_for(account: Account, start: date, end: date) -> Prefill:
    """The follow-up form's figures for ``start``–``end``: the account's readings first (one query),
    then the registered providers for the figures the readings do not give."""
    rows = [
        ReadingRow(*row)
        for row in FigureReading.objects.filter(account=account, taken_on__gte=start, taken_on__lte=end)
        .order_by("taken_on")
        .values_list("taken_on", "followers", "posts_total", "reactions_total")
    ]
    figures = from_readings(rows, start, end)
    for name, value in figures_for(account, start, end).items():
        if name not in figures:
            figures[name] = Figure(value, FigureSource.COUNTED)
    return Prefill(start=start, end=end, figures=figures)


_SALT = "kanalvakt.followup.prefill"


def sign_prefill(prefill: Prefill, *, account_id: int) -> str:
    """What the form pre-filled, signed for the form to carry back, bound to the account."""
    return signing.dumps(
        {
            "a": account_id,
            "s": prefill.start.isoformat(),
            "e": prefill.end.isoformat(),
            "f": {
                name: [figure.value, figure.source, [day.isoformat() for day in figure.read_on]]
                for name, figure in prefill.figures.items()
            },
        },
        salt=_SALT,
        compress=True,
    )


def unsign_prefill(token: object, *, account_id: int) -> Prefill | None:
    """The pre-fill the form carried, or None when there is none, or when it was altered, is for
    another account or holds anything but figures (the follow-up then counts every figure as typed)."""
    if not isinstance(token, str) or not token or len(token) > 4000:
        return None
    try:
        data = signing.loads(token, salt=_SALT)
        if not isinstance(data, dict) or data.get("a") != account_id:
            return None
        figures: dict[str, Figure] = {}
        for name, (value, source, days) in dict(data["f"]).items():
            if name not in FIGURES or not is_count(value) or source not in FigureSource.values:
                return None
            figures[name] = Figure(value, source, tuple(date.fromisoformat(day) for day in days))
        return Prefill(
            start=date.fromisoformat(data["s"]), end=date.fromisoformat(data["e"]), figures=figures
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def sources_kept(
    prefill: Prefill | None, submitted: Mapping[str, Any], *, start: date, end: date
) -> dict[str, str]:
    """Figure name → FigureSource for each figure the form pre-filled for this very period and the
    person kept as given (KAU-FOLLOWUP: a pre-filled value the person changed is typed by hand, and so
    is every figure of a period other than the one pre-filled)."""
    if prefill is None or (prefill.start, prefill.end) != (start, end):
        return {}
    return {
        name: figure.source
        for name, figure in prefill.figures.items()
        if name in FIGURES and submitted.get(name) == figure.value
    }


# --- The providers ---------------------------------------------------------------------------------

FiguresProvider = Callable[[Any, date, date], Mapping[str, int]]
_providers: list[FiguresProvider] = []


def register_figures(provider: FiguresProvider) -> None:
    """Add a provider of figures Kanalvakt counted itself (once, however often ``ready()`` runs)."""
    if provider not in _providers:
        _providers.append(provider)


def figures_for(account: Any, start: date, end: date) -> dict[str, int]:
    """The figures the providers give for ``account`` over ``start``–``end``; the first provider to
    give a figure wins. Only the follow-up's own figures, as whole numbers from 0 up, are kept."""
    figures: dict[str, int] = {}
    for provider in _providers:
        try:
            given = provider(account, start, end) or {}
        except Exception:  # a provider's failure is no reason to refuse the form
            logger.warning("figures provider %r failed for account %s", provider, account.pk, exc_info=True)
            continue
        for name, value in given.items():
            if name in FIGURES and is_count(value):
                figures.setdefault(name, value)
    return figures

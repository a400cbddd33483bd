"""The arithmetic of retention and legal holds. Pure: no ORM, no clock.

A record passes its retention period when its date lies more than the period before the moment the
proposal counts up to (``cutoff``); the period is in calendar months, counted on the Stockholm calendar
like every other date the archivist reads. A rule without a period keeps for ever (*bevaras*) and
never yields a cutoff: there is no disposal by default (arkivlagen 10 §).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.dates import add_months
from core.calendar import STOCKHOLM


def cutoff_for(period_months: int | None, *, now: datetime) -> datetime | None:
    """The instant before which a record of a rule with this period has passed it: the start of the day
    ``period_months`` calendar months before today in Stockholm. None for "kept for ever"."""
    if period_months is None or period_months <= 0:
        return None
    today = now.astimezone(STOCKHOLM).date()
    return datetime.combine(add_months(today, -period_months), time.min, tzinfo=STOCKHOLM)


def describe_period(period_months: int | None) -> str:
    """The period in words, for the schedule: "Kept for ever", "Disposed of after 2 years"."""
    if period_months is None:
        return _("Kept for ever (bevaras)")
    if period_months % 12 == 0:
        years = period_months // 12
        return ngettext("Disposed of after %(n)d year", "Disposed of after %(n)d years", years) % {"n": years}
    return ngettext("Disposed of after %(n)d month", "Disposed of after %(n)d months", period_months) % {
        "n": period_months
    }


@dataclass(frozen=True)
class Hold:
    """A legal hold as the arithmetic needs it: what it names (an account, an item, a period of days,
    or a period of one account's records)."""

    account_id: int | None
    item_id: int | None
    start: date | None
    end: date | None

    def covers(self, *, account_id: int | None, item_ids: Iterable[int | None], day: date) -> bool:
        """Whether this hold stops the disposal of a record of that account, item(s) and date.

        A hold naming a period covers the records dated in it (of its account, when it names one); a
        hold naming only an account covers all that account's records; one naming an item covers the
        item and whatever belongs to it (its screenshots)."""
        if self.item_id is not None:
            return self.item_id in set(item_ids)
        if self.start is not None and self.end is not None:
            in_period = self.start <= day <= self.end
            return in_period and (self.account_id is None or self.account_id == account_id)
        return self.account_id is not None and self.account_id == account_id


def is_held(
    holds: Iterable[Hold], *, account_id: int | None, item_ids: Iterable[int | None], day: date
) -> bool:
    """Whether any of the holds in force covers the record."""
    ids = list(item_ids)
    return any(hold.covers(account_id=account_id, item_ids=ids, day=day) for hold in holds)

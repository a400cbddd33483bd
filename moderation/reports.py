"""The response-time report: how fast the accounts' items were dealt with, per account or per unit,
over a period (KAU-RESPONSE-DEADLINE).

A read-side module like a selector: it takes the person and the filters and returns dataclasses. The
items come through moderation.selectors.items_visible_to, the same gate as every other page, narrowed
for a head of unit to the units they head (KAU-RESP-MANAGER). The counts are one grouped SQL query;
the median is computed in Python from one more query, because "working hours" is a calendar
question (core.calendar) that SQL cannot answer. The number of queries does not grow with the
number of accounts or items.

How an item counts against a deadline: one dealt with (answered, closed or removed) counts as met
when ``handled_at`` is at or before the deadline, missed otherwise; one still open counts as missed
once the deadline has passed, and is left out of that share while the deadline is still ahead.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Account
from core.calendar import STOCKHOLM, working_hours_between
from core.models import InstitutionSettings, OrgUnit, User
from core.roles import Role, has_role
from core.units import in_subtrees, unit_paths_headed_by
from moderation.models import Item
from moderation.selectors import items_visible_to

GROUP_ACCOUNT = "account"
GROUP_UNIT = "unit"
DEFAULT_DAYS = 90


def may_read_report(user: Any) -> bool:
    """The social media lead reads the report for every account, a head of unit for the accounts of
    the units they head and those below (KAU-RESP-MANAGER); nobody else reads it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return has_role(user, Role.SOCIAL_MEDIA_LEAD) or bool(unit_paths_headed_by(user))


def report_items(user: User) -> QuerySet[Item]:
    """The items the report may count for ``user``: every item for the social media lead; for a head
    of unit, the items of their units and below, even where they also own or deputise for an account
    elsewhere (the report is a manager's view, not a moderator's)."""
    items = items_visible_to(user)
    if has_role(user, Role.SOCIAL_MEDIA_LEAD):
        return items
    return items.filter(in_subtrees(unit_paths_headed_by(user), field="account__unit"))


def report_units(user: User) -> QuerySet[OrgUnit]:
    """The units ``user`` may filter the report by: every unit for the lead, the headed ones and
    those below for a head of unit."""
    units = OrgUnit.objects.order_by("path")
    if has_role(user, Role.SOCIAL_MEDIA_LEAD):
        return units
    condition = Q(pk__in=[])
    for path in unit_paths_headed_by(user):
        condition |= Q(path__startswith=path)
    return units.filter(condition)


def default_period(today: date) -> tuple[date, date]:
    """The last 90 days, today included."""
    return today - timedelta(days=DEFAULT_DAYS - 1), today


@dataclass(frozen=True)
class ReportRow:
    """The figures of one account or unit, or of the whole report (``is_total``)."""

    label: str
    detail: str = ""
    url: str = ""
    is_total: bool = False
    received: int = 0
    answered: int = 0
    closed: int = 0
    removed: int = 0
    open: int = 0
    due_met: int = 0
    due_counted: int = 0
    limit_met: int = 0
    limit_counted: int = 0
    median_hours: float | None = None

    @property
    def share_by_due(self) -> float | None:
        """Share dealt with by the due time, 0–1; None when no item has been decided against it."""
        return self.due_met / self.due_counted if self.due_counted else None

    @property
    def share_by_limit(self) -> float | None:
        return self.limit_met / self.limit_counted if self.limit_counted else None

    @property
    def due_percent(self) -> float | None:
        share = self.share_by_due
        return None if share is None else 100 * share

    @property
    def limit_percent(self) -> float | None:
        share = self.share_by_limit
        return None if share is None else 100 * share


@dataclass(frozen=True)
class ResponseReport:
    start: date
    end: date
    group: str
    unit: OrgUnit | None
    rows: list[ReportRow]
    total: ReportRow
    due_hours: int
    limit_hours: int
    chart: BarChart | None = None

    @property
    def rows_with_total(self) -> list[ReportRow]:
        return [*self.rows, self.total]


COUNTERS = (
    "received",
    "answered",
    "closed",
    "removed",
    "open",
    "due_met",
    "due_counted",
    "limit_met",
    "limit_counted",
)


def _counters(now: datetime) -> dict[str, Any]:
    handled = Q(handled_at__isnull=False)
    return {
        "received": Count("pk"),
        "answered": Count("pk", filter=Q(status=Item.Status.ANSWERED)),
        "closed": Count("pk", filter=Q(status=Item.Status.CLOSED)),
        "removed": Count("pk", filter=Q(status=Item.Status.REMOVED)),
        "open": Count("pk", filter=Q(handled_at__isnull=True)),
        "due_met": Count("pk", filter=handled & Q(handled_at__lte=F("due_at"))),
        # Decided against the due time: dealt with, or still open with the due time passed.
        "due_counted": Count("pk", filter=handled | Q(due_at__lte=now)),
        "limit_met": Count("pk", filter=handled & Q(handled_at__lte=F("limit_at"))),
        "limit_counted": Count("pk", filter=handled | Q(limit_at__lte=now)),
    }


def response_report(
    user: User,
    *,
    start: date,
    end: date,
    now: datetime,
    unit: OrgUnit | None = None,
    group: str = GROUP_ACCOUNT,
) -> ResponseReport:
    """Items received from ``start`` to ``end`` (both days included, Stockholm time) on the accounts
    ``user`` may report on, within ``unit`` and the units below it, grouped by account or by the
    account's unit, with a total row (KAU-RESPONSE-DEADLINE).

    Five queries whatever the size: the settings, the grouped counts, the answer times, the labels,
    and the person's headed units (read once per request).
    """
    items = report_items(user).filter(
        received_at__gte=datetime.combine(start, time.min, tzinfo=STOCKHOLM),
        received_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=STOCKHOLM),
    )
    if unit is not None:
        items = items.filter(account__unit__path__startswith=unit.path)
    key = "account_id" if group == GROUP_ACCOUNT else "account__unit_id"
    institution = InstitutionSettings.objects.get_solo()
    calendar = institution.working_calendar()

    counts = {row[key]: row for row in items.order_by().values(key).annotate(**_counters(now))}
    hours: dict[int, list[float]] = defaultdict(list)
    answered = items.filter(status=Item.Status.ANSWERED, answered_at__isnull=False).order_by()
    for group_key, received_at, answered_at in answered.values_list(key, "received_at", "answered_at"):
        hours[group_key].append(working_hours_between(received_at, answered_at, calendar))

    rows = _labelled_rows(counts, hours, group=group)
    everything = [h for values in hours.values() for h in values]
    total = ReportRow(
        label=_("All"),
        is_total=True,
        median_hours=statistics.median(everything) if everything else None,
        **{name: sum(row[name] for row in counts.values()) for name in COUNTERS},
    )
    return ResponseReport(
        start=start,
        end=end,
        group=group,
        unit=unit,
        rows=rows,
        total=total,
        due_hours=institution.response_due_hours,
        limit_hours=institution.response_limit_hours,
        chart=report_chart(rows),
    )


def _labelled_rows(
    counts: dict[int, dict[str, Any]], hours: dict[int, list[float]], *, group: str
) -> list[ReportRow]:
    def figures(pk: int) -> dict[str, Any]:
        values = hours.get(pk)
        return {
            "median_hours": statistics.median(values) if values else None,
            **{name: counts[pk][name] for name in COUNTERS},
        }

    if group == GROUP_ACCOUNT:
        accounts = (
            Account.objects.filter(pk__in=counts).select_related("unit").order_by("unit__path", "name", "pk")
        )
        return [
            ReportRow(
                label=account.name,
                detail=f"{account.platform_label}, {account.unit.display_name}",
                url=reverse("moderation:inbox", args=[account.pk]),
                **figures(account.pk),
            )
            for account in accounts
        ]
    units = OrgUnit.objects.filter(pk__in=counts).order_by("path")
    return [ReportRow(label=unit.display_name, **figures(unit.pk)) for unit in units]


# --- The chart ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    y: str
    text_y: str
    width: str
    value_x: str
    value: str  # "83 %", or a dash when nothing is decided yet
    title: str


@dataclass(frozen=True)
class BarGroup:
    label: str
    full_label: str
    label_y: str
    due: Bar
    limit: Bar


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart drawn by the template: the share dealt with by the due time and by the
    outer limit, per row. Coordinates are preformatted strings (the template would write "12,5")."""

    width: int
    height: int
    left: str
    right: str
    bar_height: str
    axis_top: str
    axis_bottom: str
    ticks: list[tuple[str, str]]  # x, label
    groups: list[BarGroup]
    ticks_y: str
    legend_limit_x: str
    summary: str


def _f(value: float) -> str:
    return f"{value:.1f}"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{round(100 * share)} %"


def _short(text: str, length: int = 26) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def report_chart(rows: Sequence[ReportRow]) -> BarChart | None:
    """Pure: coordinates for an SVG bar chart of the rows' two shares, and a text summary of it. The
    table beside it carries the same figures. None when there is nothing to draw."""
    if not rows:
        return None
    width, left, right = 640, 200.0, 560.0
    top, group_height, bar_height = 40.0, 44.0, 14.0
    height = int(top + group_height * len(rows) + 30)
    span = right - left

    def bar(y: float, share: float | None, title: str) -> Bar:
        length = span * (share or 0.0)
        return Bar(
            y=_f(y),
            text_y=_f(y + 11),
            width=_f(length),
            value_x=_f(left + length + 6),
            value=_percent(share),
            title=f"{title}: {_percent(share)}",
        )

    groups = []
    for index, row in enumerate(rows):
        y0 = top + group_height * index
        groups.append(
            BarGroup(
                label=_short(row.label),
                full_label=row.label,
                label_y=_f(y0 + 20),
                due=bar(y0 + 4, row.share_by_due, _("%(row)s, by the due time") % {"row": row.label}),
                limit=bar(
                    y0 + 4 + bar_height + 2,
                    row.share_by_limit,
                    _("%(row)s, by the outer limit") % {"row": row.label},
                ),
            )
        )
    axis_bottom = top + group_height * len(rows)
    ticks = [(_f(left + span * p / 100), f"{p} %") for p in (0, 25, 50, 75, 100)]
    best = max(rows, key=lambda row: (row.share_by_due is not None, row.share_by_due or 0.0))
    worst = min(rows, key=lambda row: (row.share_by_due is None, row.share_by_due or 0.0))
    summary = _(
        "The share of items dealt with by the due time and by the outer limit, for %(count)s rows. "
        "Highest share by the due time: %(best)s (%(best_share)s); lowest: %(worst)s (%(worst_share)s). "
        "Every figure is in the table below."
    ) % {
        "count": len(rows),
        "best": best.label,
        "best_share": _percent(best.share_by_due),
        "worst": worst.label,
        "worst_share": _percent(worst.share_by_due),
    }
    return BarChart(
        width=width,
        height=height,
        left=_f(left),
        right=_f(right),
        bar_height=_f(bar_height),
        axis_top=_f(top - 4),
        axis_bottom=_f(axis_bottom),
        ticks=ticks,
        groups=groups,
        ticks_y=_f(axis_bottom + 16),
        legend_limit_x=_f(left + 180),
        summary=summary,
    )

"""The chart of an account's follow-ups on the account page (KAU-FOLLOWUP): pure, no ORM.

Coordinates are computed here and drawn by the template as inline SVG, with a text summary; the
table beside the chart carries the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import FollowUp


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    dash: str
    points: str
    dots: list[tuple[str, str, str]]  # x, y, the value as read


@dataclass(frozen=True)
class Panel:
    title: str
    title_y: str
    top: str
    bottom: str
    ticks: list[tuple[str, str]]  # y, label
    series: list[Series]


@dataclass(frozen=True)
class Chart:
    """An SVG line chart drawn by the template; every coordinate is a preformatted string, since the
    template would otherwise localise "12.5" into "12,5"."""

    width: int
    height: int
    left: str
    right: str
    panels: list[Panel]
    dates: list[tuple[str, str, str]]  # x, text-anchor, label
    dates_y: str
    legend: list[tuple[str, str, str, str, str]]  # x, y of the sample line, colour, dash, label
    summary: str


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _f(value: float) -> str:
    return f"{value:.1f}"


# One line of a panel: its label, colour, dash pattern and a value per follow-up.
Line = tuple[str, str, str, list[int]]

WIDTH, HEIGHT, LEFT, RIGHT = 640, 400, 64.0, 620.0


def _panel(title: str, top: float, bottom: float, lines: list[Line], xs: list[float]) -> Panel:
    """One panel between ``top`` and ``bottom``: its lines over the x positions ``xs``, scaled to a
    round ceiling, with three ticks."""
    ceiling = _nice_ceiling(max(max(values) for _l, _c, _d, values in lines))

    def y_of(value: int) -> float:
        return bottom - (bottom - top) * value / ceiling

    drawn = []
    for label, colour, dash, values in lines:
        coords = [(x, y_of(v)) for x, v in zip(xs, values, strict=True)]
        drawn.append(
            Series(
                label=label,
                colour=colour,
                dash=dash,
                points=" ".join(f"{_f(x)},{_f(y)}" for x, y in coords),
                dots=[
                    (_f(x), _f(y), number_format(v, force_grouping=True))
                    for (x, y), v in zip(coords, values, strict=True)
                ],
            )
        )
    ticks = [(_f(y_of(v)), number_format(v, force_grouping=True)) for v in (0, ceiling // 2, ceiling)]
    if ceiling == 1:
        ticks = [(_f(y_of(v)), str(v)) for v in (0, 1)]
    return Panel(title=title, title_y=_f(top - 12), top=_f(top), bottom=_f(bottom), ticks=ticks, series=drawn)


def _date_labels(points: Sequence[FollowUp], xs: list[float], *, spread: bool) -> list[tuple[str, str, str]]:
    """At most six date labels, evenly picked, always the first and the last."""
    count = len(points)
    picked = sorted({round(i * (count - 1) / 5) for i in range(6)}) if count > 6 else list(range(count))
    dates = []
    for i in picked:
        x = xs[i]
        # A label at either edge grows inwards, so that it is not cut off.
        anchor = "start" if x <= LEFT and spread else "end" if x >= RIGHT and spread else "middle"
        dates.append((_f(x), anchor, date_format(points[i].period_end, "j M Y").lower()))
    return dates


def _summary(points: Sequence[FollowUp]) -> str:
    """The chart in words, for those who do not see it."""
    first, last = points[0], points[-1]
    if len(points) == 1:
        return _(
            "One follow-up so far, for the period up to %(date)s: %(followers)s followers, %(posts)s "
            "posts, %(reactions)s reactions and %(comments)s comments."
        ) % {
            "date": date_format(first.period_end, "j M Y").lower(),
            "followers": number_format(first.followers, force_grouping=True),
            "posts": number_format(first.posts, force_grouping=True),
            "reactions": number_format(first.reactions, force_grouping=True),
            "comments": number_format(first.comments, force_grouping=True),
        }
    return _(
        "Followers went from %(first)s (%(first_date)s) to %(last)s (%(last_date)s) over %(count)s "
        "follow-ups. Posts, reactions and comments per period are in the table below."
    ) % {
        "first": number_format(first.followers, force_grouping=True),
        "first_date": date_format(first.period_end, "j M Y").lower(),
        "last": number_format(last.followers, force_grouping=True),
        "last_date": date_format(last.period_end, "j M Y").lower(),
        "count": len(points),
    }


def followup_chart(followups: Sequence[FollowUp]) -> Chart | None:
    """Followers, and posts, reactions and comments per period, over time (KAU-FOLLOWUP).

    Pure: takes the follow-ups oldest first and returns coordinates for an inline SVG with a text
    summary; the table beside it carries the same figures. None when there is nothing to draw.
    """
    points = sorted(followups, key=lambda f: (f.period_end, f.pk or 0))
    if not points:
        return None
    first = points[0].period_end
    span = (points[-1].period_end - first).days

    def x_of(day: date) -> float:
        if span == 0:
            return (LEFT + RIGHT) / 2
        return LEFT + (RIGHT - LEFT) * (day - first).days / span

    xs = [x_of(f.period_end) for f in points]
    followers = _panel(
        _("Followers"), 40, 150, [(_("Followers"), "#1d3b5e", "", [f.followers for f in points])], xs
    )
    activity_lines: list[Line] = [
        (_("Posts"), "#1d3b5e", "", [f.posts for f in points]),
        (_("Reactions"), "#a4161a", "7 4", [f.reactions for f in points]),
        (_("Comments"), "#1f6b33", "2 3", [f.comments for f in points]),
    ]
    activity = _panel(_("Activity in each period"), 205, 315, activity_lines, xs)
    legend = [
        (_f(LEFT + 150 * i), "370.0", colour, dash, label)
        for i, (label, colour, dash, _values) in enumerate(activity_lines)
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=_f(LEFT),
        right=_f(RIGHT),
        panels=[followers, activity],
        dates=_date_labels(points, xs, spread=bool(span)),
        dates_y="340.0",
        legend=legend,
        summary=_summary(points),
    )

"""The chart of an account's follow-ups on the account page (KAU-FOLLOWUP): pure, no ORM.

Coordinates are computed here and drawn by the template as inline SVG, with a text summary; the
tables beside the chart carry the same figures: the follow-ups', and the platform's daily readings of
followers (accounts.FigureReading) that give the followers line its history between follow-ups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


@dataclass(frozen=True)
class Line:
    """One line of a panel: its label, colour and dash pattern, and its points (x, value); ``dotted``
    draws a dot, with its value, at each point."""

    label: str
    colour: str
    dash: str
    xs: list[float]
    values: list[int]
    dotted: bool = True


# A day and the followers the platform gave that day (accounts.FigureReading).
Reading = tuple[date, int]

WIDTH, LEFT, RIGHT = 640, 64.0, 620.0
LEGEND_ROW = 22.0  # between two rows of the legend
LABEL_CHAR = 7.5  # the width of a character of a date label at 12 px, a little generous
LABEL_GAP = 8.0  # the least room between two date labels
DAILY_POINTS = 120  # up to this many readings are drawn day by day; more, week by week
DOTTED_READINGS = 31  # a short history of readings is drawn with a dot per reading


def reading_points(readings: Sequence[Reading]) -> list[Reading]:
    """The readings the chart draws and its table lists (KAU-FOLLOWUP): every day up to DAILY_POINTS
    of them, beyond that the last reading of each week (and the very first), oldest first."""
    points = sorted(readings)
    if len(points) <= DAILY_POINTS:
        return points
    weeks: dict[tuple[int, int], Reading] = {}
    for day, value in points:
        year, week, _weekday = day.isocalendar()
        weeks[(year, week)] = (day, value)
    thinned = sorted(weeks.values())
    if thinned[0] != points[0]:
        thinned.insert(0, points[0])
    return thinned


def _panel(title: str, top: float, bottom: float, lines: list[Line]) -> Panel:
    """One panel between ``top`` and ``bottom``: its lines, scaled to a round ceiling, with three ticks."""
    ceiling = _nice_ceiling(max(max(line.values) for line in lines))

    def y_of(value: int) -> float:
        return bottom - (bottom - top) * value / ceiling

    drawn = []
    for line in lines:
        coords = [(x, y_of(v)) for x, v in zip(line.xs, line.values, strict=True)]
        drawn.append(
            Series(
                label=line.label,
                colour=line.colour,
                dash=line.dash,
                points=" ".join(f"{_f(x)},{_f(y)}" for x, y in coords),
                dots=[
                    (_f(x), _f(y), number_format(v, force_grouping=True))
                    for (x, y), v in zip(coords, line.values, strict=True)
                ]
                if line.dotted
                else [],
            )
        )
    ticks = [(_f(y_of(v)), number_format(v, force_grouping=True)) for v in (0, ceiling // 2, ceiling)]
    if ceiling == 1:
        ticks = [(_f(y_of(v)), str(v)) for v in (0, 1)]
    return Panel(title=title, title_y=_f(top - 12), top=_f(top), bottom=_f(bottom), ticks=ticks, series=drawn)


def _day(day: date) -> str:
    return date_format(day, "j M Y").lower()


def _date_labels(
    days: Sequence[date], x_of: Callable[[date], float], *, spread: bool
) -> list[tuple[str, str, str]]:
    """At most six date labels among ``days`` (sorted, distinct), evenly picked, always the first and
    the last, and never two that would overlap (a neighbour of the last gives way to it)."""
    count = len(days)
    picked = sorted({round(i * (count - 1) / 5) for i in range(6)}) if count > 6 else list(range(count))
    kept: list[tuple[float, float, str, str, str]] = []  # left, right, x, anchor, text
    for i in picked:
        x = x_of(days[i])
        text = _day(days[i])
        width = LABEL_CHAR * len(text)
        # A label at either edge grows inwards, so that it is not cut off.
        if x <= LEFT and spread:
            anchor, left = "start", x
        elif x >= RIGHT and spread:
            anchor, left = "end", x - width
        else:
            anchor, left = "middle", x - width / 2
        label = (left, left + width, _f(x), anchor, text)
        if kept and kept[-1][1] + LABEL_GAP > left:
            if i != picked[-1]:
                continue  # it would overlap the label before it
            while len(kept) > 1 and kept[-1][1] + LABEL_GAP > left:
                kept.pop()  # the last day is always labelled: its neighbours give way
        kept.append(label)
    return [(x, anchor, text) for _left, _right, x, anchor, text in kept]


def _summary(points: Sequence[FollowUp]) -> str:
    """The follow-ups in words, for those who do not see the chart."""
    first, last = points[0], points[-1]
    if len(points) == 1:
        return _(
            "One follow-up so far, for the period up to %(date)s: %(followers)s followers, %(posts)s "
            "posts, %(reactions)s reactions and %(comments)s comments."
        ) % {
            "date": _day(first.period_end),
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
        "first_date": _day(first.period_end),
        "last": number_format(last.followers, force_grouping=True),
        "last_date": _day(last.period_end),
        "count": len(points),
    }


def _readings_summary(readings: Sequence[Reading]) -> str:
    """The platform's readings in words (KAU-FOLLOWUP, KAU-ACCESS)."""
    (first_day, first), (last_day, last) = readings[0], readings[-1]
    if len(readings) == 1:
        return _("One reading from the platform so far: %(followers)s followers on %(date)s.") % {
            "followers": number_format(first, force_grouping=True),
            "date": _day(first_day),
        }
    return _(
        "Read from the platform, followers went from %(first)s (%(first_date)s) to %(last)s "
        "(%(last_date)s); the readings are in the table below."
    ) % {
        "first": number_format(first, force_grouping=True),
        "first_date": _day(first_day),
        "last": number_format(last, force_grouping=True),
        "last_date": _day(last_day),
    }


def followup_chart(followups: Sequence[FollowUp], readings: Sequence[Reading] = ()) -> Chart | None:
    """Followers, and posts, reactions and comments per period, over time (KAU-FOLLOWUP).

    Pure: takes the follow-ups and the platform's readings of followers (``reading_points``), and
    returns coordinates for an inline SVG with a text summary; the tables beside it carry the same
    figures. The followers panel draws the follow-ups' figures and, beside them, the readings' line;
    the activity panel the follow-ups' figures per period. None when there is nothing to draw.
    """
    points = sorted(followups, key=lambda f: (f.period_end, f.pk or 0))
    history = sorted(readings)
    if not points and not history:
        return None
    days = sorted({f.period_end for f in points} | {day for day, _value in history})
    first = days[0]
    span = (days[-1] - first).days

    def x_of(day: date) -> float:
        if span == 0:
            return (LEFT + RIGHT) / 2
        return LEFT + (RIGHT - LEFT) * (day - first).days / span

    follower_lines: list[Line] = []
    if points:
        follower_lines.append(
            Line(
                _("Followers at each follow-up") if history else _("Followers"),
                "#1d3b5e",
                "",
                [x_of(f.period_end) for f in points],
                [f.followers for f in points],
            )
        )
    if history:
        follower_lines.append(
            Line(
                _("Followers, read from the platform"),
                "#6b3fa0",
                "6 3",
                [x_of(day) for day, _value in history],
                [value for _day, value in history],
                dotted=len(history) <= DOTTED_READINGS,
            )
        )
    panels = [_panel(_("Followers"), 40, 150, follower_lines)]
    legend_rows: list[list[Line]] = []
    if points:
        xs = [x_of(f.period_end) for f in points]
        activity_lines = [
            Line(_("Posts"), "#1d3b5e", "", xs, [f.posts for f in points]),
            Line(_("Reactions"), "#a4161a", "7 4", xs, [f.reactions for f in points]),
            Line(_("Comments"), "#1f6b33", "2 3", xs, [f.comments for f in points]),
        ]
        panels.append(_panel(_("Activity in each period"), 205, 315, activity_lines))
        legend_rows.append(activity_lines)
        dates_y = 340.0
    else:
        dates_y = 175.0
    if history:
        legend_rows.append(follower_lines)
    legend_y = dates_y + 30
    legend = []
    for row, lines in enumerate(legend_rows):
        step = 150 if len(lines) > 2 else 260
        y = legend_y + LEGEND_ROW * row
        legend += [
            (_f(LEFT + step * i), _f(y), line.colour, line.dash, line.label) for i, line in enumerate(lines)
        ]
    summary = " ".join(
        ([_summary(points)] if points else []) + ([_readings_summary(history)] if history else [])
    )
    return Chart(
        width=WIDTH,
        height=round(legend_y + LEGEND_ROW * (len(legend_rows) - 1) + 30),
        left=_f(LEFT),
        right=_f(RIGHT),
        panels=panels,
        dates=_date_labels(days, x_of, spread=bool(span)),
        dates_y=_f(dates_y),
        legend=legend,
        summary=summary,
    )

"""The platforms' daily readings of an account's counts (KAU-FOLLOWUP): the one write path and its
bounds, one reading a day, a record never changed or deleted, the admin read-only, the arithmetic of a
period's figures, and the signed pre-fill the follow-up form carries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts import figures
from accounts.figures import Figure, Prefill, ReadingRow, from_readings, record_reading
from accounts.models import FigureReading, FigureSource
from core.calendar import STOCKHOLM

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 15, 5, 40, tzinfo=STOCKHOLM)
TODAY = NOW.date()


# --- The one write path and its bounds -------------------------------------------------------------------


def test_a_reading_is_kept_once_a_day_and_the_first_stays(make_account: Any) -> None:
    """KAU-FOLLOWUP: the day's first reading is kept; a second the same day changes nothing."""
    account = make_account()
    first, created = record_reading(
        account, on=TODAY, counts={"followers": 980, "posts_total": 77}, source="instagram", now=NOW
    )
    assert created
    assert (first.followers, first.posts_total, first.views_total, first.reactions_total) == (
        980,
        77,
        None,
        None,
    )
    assert (first.taken_on, first.taken_at, first.source) == (TODAY, NOW, "instagram")
    again, created = record_reading(
        account, on=TODAY, counts={"followers": 1200}, source="instagram", now=NOW + timedelta(hours=6)
    )
    assert not created
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.followers, again.taken_at) == (980, NOW)
    assert FigureReading.objects.count() == 1
    _next, created = record_reading(
        account,
        on=TODAY + timedelta(days=1),
        counts={"followers": 1200},
        source="instagram",
        now=NOW + timedelta(days=1),
    )
    assert created


@pytest.mark.parametrize(
    "counts",
    [
        {"followers": -1},
        {"followers": 2**31},
        {"followers": 1.5},
        {"followers": "980"},
        {"followers": True},
        {"followers": None},
        {"followers": 980, "posts_total": -2},  # one bad count refuses the whole reading
        {"likes": 5},
        {},
    ],
)
def test_bad_numbers_are_refused_and_nothing_is_stored(make_account: Any, counts: dict[str, Any]) -> None:
    """KAU-FOLLOWUP: every count a whole number, 0 <= n < 2**31, whoever calls."""
    with pytest.raises(ValidationError):
        record_reading(make_account(), on=TODAY, counts=counts, source="instagram", now=NOW)
    assert not FigureReading.objects.exists()


def test_the_bounds_themselves_are_whole_numbers_kept(make_account: Any) -> None:
    account = make_account()
    kept, _created = record_reading(
        account, on=TODAY, counts={"followers": 0, "views_total": 2**31 - 1}, source="youtube", now=NOW
    )
    kept.refresh_from_db()
    assert (kept.followers, kept.views_total) == (0, 2**31 - 1)


@pytest.mark.parametrize("source", ["", "Facebook", "face book", "x" * 21, "../etc"])
def test_a_reading_names_its_platform_by_its_code(make_account: Any, source: str) -> None:
    with pytest.raises(ValidationError):
        record_reading(make_account(), on=TODAY, counts={"followers": 1}, source=source, now=NOW)
    assert not FigureReading.objects.exists()


@pytest.mark.parametrize("day", [TODAY + timedelta(days=1), date(1989, 12, 31)])
def test_a_reading_is_of_a_day_that_has_been(make_account: Any, day: date) -> None:
    with pytest.raises(ValidationError) as refused:
        record_reading(make_account(), on=day, counts={"followers": 1}, source="facebook", now=NOW)
    assert "taken_on" in refused.value.message_dict
    assert not FigureReading.objects.exists()


@pytest.mark.postgres
def test_a_reading_is_never_changed_or_deleted(make_account: Any) -> None:
    """KAU-PUBLIC-RECORD: what the platform said that day; the database itself refuses."""
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    kept, _created = record_reading(
        make_account(), on=TODAY, counts={"followers": 5}, source="facebook", now=NOW
    )
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        FigureReading.objects.filter(pk=kept.pk).update(followers=6)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        FigureReading.objects.filter(pk=kept.pk).delete()
    kept.refresh_from_db()
    assert kept.followers == 5


def test_the_admin_shows_readings_and_changes_none(admin_client: Client, make_account: Any) -> None:
    kept, _created = record_reading(
        make_account(), on=TODAY, counts={"followers": 5}, source="facebook", now=NOW
    )
    model_admin = admin.site._registry[FigureReading]
    request = admin_client.get(reverse("admin:accounts_figurereading_changelist")).wsgi_request
    assert admin_client.get(reverse("admin:accounts_figurereading_changelist")).status_code == 200
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, kept)
    assert not model_admin.has_delete_permission(request, kept)
    assert admin_client.get(reverse("admin:accounts_figurereading_delete", args=[kept.pk])).status_code == 403
    admin_client.post(
        reverse("admin:accounts_figurereading_changelist"),
        {"action": "delete_selected", "_selected_action": [kept.pk]},
    )
    assert FigureReading.objects.filter(pk=kept.pk).exists()


# --- A period's figures from the readings (pure) ------------------------------------------------------------


def row(
    day: int, followers: int | None, posts: int | None = None, reactions: int | None = None
) -> ReadingRow:
    return ReadingRow(date(2030, 3, day), followers, posts, reactions)


def test_followers_are_the_last_reading_and_activity_the_difference_of_running_totals() -> None:
    """KAU-FOLLOWUP: followers at the last reading in the period; posts and reactions in the period as
    the last running total less the first."""
    rows = [row(1, 90, 10, 500), row(2, 100, 12, 510), row(15, 120, 20, 800), row(31, 130, 25, 900)]
    given = from_readings(rows, date(2030, 3, 2), date(2030, 3, 20))
    assert given["followers"] == Figure(120, FigureSource.PLATFORM, (date(2030, 3, 15),))
    assert given["posts"] == Figure(8, FigureSource.PLATFORM, (date(2030, 3, 2), date(2030, 3, 15)))
    assert given["reactions"] == Figure(290, FigureSource.PLATFORM, (date(2030, 3, 2), date(2030, 3, 15)))
    assert "comments" not in given


def test_readings_outside_the_period_give_nothing() -> None:
    """A reading before the period is not "followers at the end of the period", however recent."""
    rows = [row(1, 90, 10, 500), row(31, 130, 25, 900)]
    assert from_readings(rows, date(2030, 3, 2), date(2030, 3, 30)) == {}


def test_one_reading_gives_followers_but_no_activity() -> None:
    given = from_readings([row(10, 100, 10, 500)], date(2030, 3, 1), date(2030, 3, 31))
    assert set(given) == {"followers"}


def test_a_total_the_platform_does_not_give_falls_back() -> None:
    """Facebook gives followers only: posts and reactions are left to Kanalvakt's own counts."""
    given = from_readings([row(1, 90), row(20, 95)], date(2030, 3, 1), date(2030, 3, 31))
    assert set(given) == {"followers"}
    some = from_readings(
        [row(1, 90, None), row(5, 91, 3), row(20, 95, None), row(25, 96, 9)],
        date(2030, 3, 1),
        date(2030, 3, 31),
    )
    assert some["posts"].value == 6
    assert some["followers"].value == 96


def test_a_falling_total_is_no_figure_of_the_period() -> None:
    """Posts deleted on the platform make the total fall: the difference would not be the activity."""
    given = from_readings([row(1, 90, 30, 500), row(20, 95, 25, 600)], date(2030, 3, 1), date(2030, 3, 31))
    assert "posts" not in given
    assert given["reactions"].value == 100


def test_the_prefill_reads_the_readings_then_the_providers(make_account: Any) -> None:
    account = make_account()
    for day, counts in (
        (1, {"followers": 90, "posts_total": 10}),
        (20, {"followers": 95, "posts_total": 14}),
    ):
        record_reading(
            account, on=date(2030, 3, day), counts=counts, source="instagram", now=NOW + timedelta(days=9)
        )
    calls: list[tuple[date, date]] = []

    def provider(_account: Any, start: date, end: date) -> dict[str, int]:
        calls.append((start, end))
        return {"posts": 99, "comments": 7, "reactions": -1}  # posts: the readings win; -1 is no count

    figures.register_figures(provider)
    try:
        prefill = figures.prefill_for(account, date(2030, 3, 1), date(2030, 3, 15))
    finally:
        figures._providers.remove(provider)
    assert calls == [(date(2030, 3, 1), date(2030, 3, 15))]
    assert prefill.figures["followers"] == Figure(90, FigureSource.PLATFORM, (date(2030, 3, 1),))
    assert prefill.figures["posts"] == Figure(99, FigureSource.COUNTED)  # one reading in the period
    assert prefill.figures["comments"] == Figure(7, FigureSource.COUNTED)
    assert "reactions" not in prefill.figures


# --- The signed pre-fill --------------------------------------------------------------------------------


def test_the_prefill_comes_back_only_as_signed_and_for_its_account() -> None:
    prefill = Prefill(
        start=date(2030, 3, 1),
        end=date(2030, 3, 15),
        figures={
            "followers": Figure(90, FigureSource.PLATFORM, (date(2030, 3, 14),)),
            "comments": Figure(7, FigureSource.COUNTED),
        },
    )
    token = figures.sign_prefill(prefill, account_id=12)
    assert figures.unsign_prefill(token, account_id=12) == prefill
    assert figures.unsign_prefill(token, account_id=13) is None
    assert (
        figures.unsign_prefill(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), account_id=12)
        is None
    )
    assert figures.unsign_prefill("", account_id=12) is None
    assert figures.unsign_prefill(None, account_id=12) is None
    assert figures.unsign_prefill("x" * 5000, account_id=12) is None


def test_only_figures_kept_as_given_for_the_same_period_keep_their_source() -> None:
    """KAU-FOLLOWUP: a pre-filled value the person changed is typed by hand, and so is every figure of
    another period than the one pre-filled."""
    prefill = Prefill(
        start=date(2030, 3, 1),
        end=date(2030, 3, 15),
        figures={
            "followers": Figure(90, FigureSource.PLATFORM, (date(2030, 3, 14),)),
            "posts": Figure(4, FigureSource.COUNTED),
        },
    )
    submitted = {"followers": 90, "posts": 5, "reactions": 10, "comments": 1}
    period = {"start": date(2030, 3, 1), "end": date(2030, 3, 15)}
    assert figures.sources_kept(prefill, submitted, **period) == {"followers": "platform"}
    assert figures.sources_kept(prefill, {**submitted, "posts": 4}, **period) == {
        "followers": "platform",
        "posts": "counted",
    }
    assert figures.sources_kept(prefill, submitted, start=date(2030, 3, 1), end=date(2030, 3, 14)) == {}
    assert figures.sources_kept(None, submitted, **period) == {}

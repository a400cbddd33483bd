"""Follow-up of accounts (KAU-FOLLOWUP): who records it, the due date, reminders, the chart, the
side-by-side comparison, the start page, and every follow-up view against every role."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import charts, closing, followup
from accounts.dates import add_months
from accounts.models import Account, FollowUp
from core.models import InstitutionSettings, Notification
from governance import services as governance_services
from tests.conftest import Cast, browser_login
from tests.support import HIDDEN, PEOPLE, assert_accessible, login, run_in_threads

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2030, 3, 15, 9, 0, tzinfo=STOCKHOLM)
TODAY = NOW.date()

RECORDERS = {"communicator", "deputy", "head_of_unit", "dean", "social_media_lead"}
MANAGERS = {"head_of_unit", "dean", "social_media_lead"}


def figures(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "period_end": date(2030, 2, 28),
        "followers": 1200,
        "posts": 24,
        "reactions": 830,
        "comments": 61,
        "traffic": "up",
        "reaches_audiences": "yes",
        "keeps_up": "partly",
        "value_estimate": "Många sökande nämner kontot; två timmar i veckan.",
        "decision": "continue",
        "note": "",
    }
    data.update(overrides)
    return data


def form_post(**overrides: Any) -> dict[str, str]:
    """The form as a browser posts it. The view reads the real clock, so the period lies in the past."""
    overrides.setdefault("period_end", date(2025, 2, 28))
    return {key: "" if value is None else str(value) for key, value in figures(**overrides).items()}


def set_due(account: Account, due: date) -> None:
    """Test setup: put the account's due date where the test needs it."""
    Account.objects.filter(pk=account.pk).update(followup_due_on=due)
    account.followup_due_on = due


# --- Who records (KAU-FOLLOWUP) ---------------------------------------------------------------------------


@pytest.mark.parametrize("person", sorted(RECORDERS))
def test_owner_deputy_heads_and_lead_record_a_followup(cast: Cast, make_account: Any, person: str) -> None:
    """KAU-FOLLOWUP: the owner, a deputy, the head of the unit or above and the social media lead."""
    account = make_account()
    recorded = followup.record_followup(account, by=cast[person], now=NOW, **figures())
    assert recorded.recorded_by == cast[person]
    assert recorded.recorded_at == NOW
    assert list(account.followups.values_list("followers", flat=True)) == [1200]


@pytest.mark.parametrize(
    "person", ["communications", "registrar", "other_head", "outsider", "security_officer"]
)
def test_others_may_not_record_a_followup(cast: Cast, make_account: Any, person: str) -> None:
    account = make_account()
    with pytest.raises(PermissionDenied):
        followup.record_followup(account, by=cast[person], now=NOW, **figures())
    assert not FollowUp.objects.exists()


def test_an_inactive_owner_may_not_record(cast: Cast, make_account: Any) -> None:
    account = make_account()
    cast["communicator"].is_active = False
    cast["communicator"].save()
    with pytest.raises(PermissionDenied):
        followup.record_followup(account, by=cast["communicator"], now=NOW, **figures())


# --- The due date ----------------------------------------------------------------------------------------


def test_due_date_follows_the_institutions_interval_with_history(cast: Cast, make_account: Any) -> None:
    """KAU-FOLLOWUP: the next follow-up falls one interval (the institution's, 12 months) after the period."""
    account = make_account()
    followup.record_followup(
        account, by=cast["communicator"], now=NOW, **figures(period_end=date(2030, 1, 31))
    )
    account.refresh_from_db()
    assert account.followup_due_on == date(2031, 1, 31)
    latest = account.history.latest()
    assert (latest.history_change_reason, latest.history_user, latest.followup_due_on) == (
        "follow-up recorded",
        cast["communicator"],
        date(2031, 1, 31),
    )
    assert FollowUp.history.filter(history_user=cast["communicator"]).count() == 1


def test_a_changed_institution_interval_applies_to_the_next_followup(cast: Cast, make_account: Any) -> None:
    account = make_account()
    governance_services.update_institution_settings(by=cast["social_media_lead"], followup_interval_months=3)
    followup.record_followup(account, by=cast["deputy"], now=NOW, **figures(period_end=date(2030, 2, 10)))
    assert Account.objects.get(pk=account.pk).followup_due_on == date(2030, 5, 10)


def test_the_accounts_own_interval_wins_and_clamps_to_the_month_end(cast: Cast, make_account: Any) -> None:
    """KAU-FOLLOWUP: an interval of the account's own overrides the institution's."""
    account = make_account()
    followup.set_followup_interval(account, months=6, by=cast["head_of_unit"], now=NOW)
    followup.record_followup(
        account, by=cast["communicator"], now=NOW, **figures(period_end=date(2029, 8, 31))
    )
    account.refresh_from_db()
    assert account.followup_interval_months == 6
    assert account.followup_due_on == date(2030, 2, 28)


def test_changing_the_interval_recomputes_from_the_last_followup_or_registration(
    cast: Cast, make_account: Any
) -> None:
    account = make_account()
    registered = account.created_at.astimezone(STOCKHOLM).date()
    followup.set_followup_interval(account, months=2, by=cast["social_media_lead"], now=NOW)
    assert Account.objects.get(pk=account.pk).followup_due_on == add_months(registered, 2)
    followup.record_followup(
        account, by=cast["communicator"], now=NOW, **figures(period_end=date(2030, 1, 15))
    )
    followup.set_followup_interval(account, months=4, by=cast["dean"], now=NOW)
    assert Account.objects.get(pk=account.pk).followup_due_on == date(2030, 5, 15)
    followup.set_followup_interval(account, months=None, by=cast["dean"], now=NOW)  # back to 12
    account.refresh_from_db()
    assert (account.followup_interval_months, account.followup_due_on) == (None, date(2031, 1, 15))
    reasons = list(account.history.values_list("history_change_reason", flat=True))
    assert reasons.count("follow-up interval changed") == 3


@pytest.mark.parametrize("person", ["communicator", "deputy", "communications", "registrar"])
def test_only_heads_and_the_lead_change_the_interval(cast: Cast, make_account: Any, person: str) -> None:
    account = make_account()
    with pytest.raises(PermissionDenied):
        followup.set_followup_interval(account, months=6, by=cast[person], now=NOW)
    assert Account.objects.get(pk=account.pk).followup_interval_months is None


@pytest.mark.parametrize("months", [0, 37])
def test_the_interval_has_limits(cast: Cast, make_account: Any, months: int) -> None:
    account = make_account()
    with pytest.raises(ValidationError) as refused:
        followup.set_followup_interval(account, months=months, by=cast["head_of_unit"], now=NOW)
    assert set(refused.value.message_dict) == {"months"}


def test_without_a_period_end_the_period_ends_today(cast: Cast, make_account: Any) -> None:
    account = make_account()
    recorded = followup.record_followup(account, by=cast["communicator"], now=NOW, **figures(period_end=None))
    assert recorded.period_end == TODAY
    assert Account.objects.get(pk=account.pk).followup_due_on == date(2031, 3, 15)


def test_a_period_ending_in_the_future_is_refused(cast: Cast, make_account: Any) -> None:
    account = make_account()
    with pytest.raises(ValidationError) as refused:
        followup.record_followup(
            account, by=cast["communicator"], now=NOW, **figures(period_end=TODAY + timedelta(days=1))
        )
    assert set(refused.value.message_dict) == {"period_end"}
    assert not FollowUp.objects.exists()


def test_a_closed_account_is_not_followed_up(cast: Cast, make_account: Any) -> None:
    account = make_account(status=Account.Status.CLOSED)
    with pytest.raises(followup.StepRefused):
        followup.record_followup(account, by=cast["head_of_unit"], now=NOW, **figures())
    assert not FollowUp.objects.exists()


# --- Reminders (KAU-FOLLOWUP) ----------------------------------------------------------------------------


def notified(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_reminder_14_days_before_goes_once_to_owner_and_deputies(cast: Cast, make_account: Any) -> None:
    """KAU-FOLLOWUP: reminded before it is due; the head is not bothered yet."""
    account = make_account(deputies=("deputy", "staff"))
    set_due(account, TODAY + timedelta(days=14))
    assert followup.remind_followups(now=NOW) == 3
    assert notified("followup_due") == {"communicator", "deputy", "staff"}
    row = Notification.objects.filter(kind="followup_due").first()
    assert row is not None
    assert row.key == f"followup-due:{account.pk}:{account.followup_due_on.isoformat()}:{row.recipient_id}"
    assert row.url == reverse("accounts:followup", args=[account.pk])
    assert account.name in row.subject
    assert account.name in row.body
    # A second run, and the next days before the due date, say nothing new.
    assert followup.remind_followups(now=NOW) == 0
    assert followup.remind_followups(now=NOW + timedelta(days=7)) == 0
    assert Notification.objects.count() == 3


def test_nothing_is_sent_15_days_before(cast: Cast, make_account: Any) -> None:
    account = make_account()
    set_due(account, TODAY + timedelta(days=15))
    assert followup.remind_followups(now=NOW) == 0
    assert not Notification.objects.exists()


def test_overdue_goes_once_to_owner_deputies_and_head(cast: Cast, make_account: Any) -> None:
    """KAU-FOLLOWUP, KAU-RESP-MANAGER: an overdue follow-up is reported to the head of the unit too."""
    account = make_account()
    set_due(account, TODAY - timedelta(days=1))
    assert followup.remind_followups(now=NOW) == 3
    assert notified("followup_overdue") == {"communicator", "deputy", "head_of_unit"}
    assert not notified("followup_due")
    assert followup.remind_followups(now=NOW) == 0
    assert followup.remind_followups(now=NOW + timedelta(days=30)) == 0
    keys = set(Notification.objects.values_list("key", flat=True))
    assert all(
        key.startswith(f"followup-overdue:{account.pk}:{account.followup_due_on.isoformat()}:")
        for key in keys
    )


def test_a_new_due_date_is_reminded_again(cast: Cast, make_account: Any) -> None:
    """Once per due date: after a follow-up moves the date, the next one is reminded in its turn."""
    account = make_account()
    set_due(account, TODAY + timedelta(days=10))
    assert followup.remind_followups(now=NOW) == 2
    followup.record_followup(account, by=cast["communicator"], now=NOW, **figures(period_end=TODAY))
    assert followup.remind_followups(now=NOW) == 0  # due in a year
    assert followup.remind_followups(now=NOW + timedelta(days=365 - 14)) == 2


def test_the_head_above_is_told_when_the_unit_has_none(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-MANAGER: the nearest head above answers for a unit without one."""
    headless = governance_services.create_unit(
        name="Projektet", code="proj", kind="project", parent=cast.units["department"], head=None, by=None
    )
    cast.units["project"] = headless
    account = make_account(unit="project")
    set_due(account, TODAY - timedelta(days=3))
    followup.remind_followups(now=NOW)
    assert notified("followup_overdue") == {"communicator", "deputy", "head_of_unit"}


@pytest.mark.parametrize("status", [Account.Status.CLOSED, Account.Status.CLOSING])
def test_closed_and_closing_accounts_are_not_reminded(cast: Cast, make_account: Any, status: str) -> None:
    account = make_account()
    Account.objects.filter(pk=account.pk).update(
        status=status, closed_at=NOW if status == Account.Status.CLOSED else None
    )
    set_due(account, TODAY - timedelta(days=40))
    assert followup.remind_followups(now=NOW) == 0
    assert not Notification.objects.exists()


def test_people_who_have_left_are_not_reminded(cast: Cast, make_account: Any) -> None:
    account = make_account()
    set_due(account, TODAY + timedelta(days=3))
    cast["deputy"].is_active = False
    cast["deputy"].save()
    assert followup.remind_followups(now=NOW) == 1
    assert notified("followup_due") == {"communicator"}
    assert followup.remind_followups(now=NOW) == 0


def test_the_sweep_walks_every_batch(cast: Cast, make_account: Any) -> None:
    accounts = [make_account() for _ in range(5)]
    for offset, account in enumerate(accounts):
        set_due(account, TODAY - timedelta(days=1 + offset % 2))  # two share a date: the key has the id too
    assert followup.remind_followups(now=NOW, batch=2) == 5 * 3
    assert followup.remind_followups(now=NOW, batch=2) == 0


def test_reminder_query_count_does_not_grow_with_accounts(
    cast: Cast, make_account: Any, django_assert_num_queries: Any
) -> None:
    """The sweep is one indexed query per batch: a run with nothing new to say costs the same for 2
    accounts as for 12, and accounts not yet due add nothing."""
    for _ in range(2):
        set_due(make_account(), TODAY + timedelta(days=5))
    set_due(make_account(), TODAY - timedelta(days=5))
    followup.remind_followups(now=NOW)
    with CaptureQueriesContext(connection) as small:
        assert followup.remind_followups(now=NOW) == 0
    for _ in range(6):
        set_due(make_account(), TODAY + timedelta(days=5))
        set_due(make_account(), TODAY - timedelta(days=5))
    for _ in range(5):
        set_due(make_account(), TODAY + timedelta(days=60))  # not due: not read at all
    assert followup.remind_followups(now=NOW) == 12 * 2 + 6  # the new ones, told once
    with django_assert_num_queries(len(small.captured_queries)):
        assert followup.remind_followups(now=NOW) == 0


def test_the_task_calls_the_sweep(cast: Cast, make_account: Any) -> None:
    from accounts.tasks import remind_followups

    account = make_account()
    Account.objects.filter(pk=account.pk).update(
        followup_due_on=date(2000, 1, 1)
    )  # long past, whatever today
    assert remind_followups() == 3
    assert remind_followups() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_notify_each_person_once(cast: Cast, make_account: Any) -> None:
    """Two workers running the sweep together: the unique key makes "once" hold (KAU-FOLLOWUP)."""
    accounts = [make_account() for _ in range(4)]
    for account in accounts:
        set_due(account, TODAY - timedelta(days=2))
    results = run_in_threads(*[lambda: followup.remind_followups(now=NOW, batch=2)] * 2)
    assert sum(results) == 4 * 3
    assert Notification.objects.count() == 4 * 3


# --- The account page: history, chart and table ------------------------------------------------------------


def test_the_chart_has_its_text_alternative_and_the_table_the_same_figures(
    cast: Cast, make_account: Any
) -> None:
    """KAU-FOLLOWUP, KAU-ACCESS: an inline SVG chart named by its title and description, and a table."""
    account = make_account()
    for period_end, followers, posts in ((date(2029, 3, 31), 900, 11), (date(2030, 2, 28), 1450, 27)):
        followup.record_followup(
            account,
            by=cast["communicator"],
            now=NOW,
            **figures(period_end=period_end, followers=followers, posts=posts),
        )
    context = {
        **followup.detail_context(account, user=cast["communicator"], now=NOW),
        **closing.detail_context(account, user=cast["communicator"], now=NOW),
    }
    assert set(context) == {"followup", "closing"}
    html = render_to_string("accounts/includes/followups.html", context)
    chart_id = f"followup-chart-{account.pk}"
    svg = re.search(r"<svg[^>]*>", html)
    assert svg is not None
    assert 'role="img"' in svg.group(0)
    assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg.group(0)
    assert f'<title id="{chart_id}-title">' in html
    desc = re.search(rf'<desc id="{chart_id}-desc">(.*?)</desc>', html, re.S)
    assert desc is not None
    assert "900" in desc.group(1)
    assert "450" in desc.group(1)
    assert html.count("<polyline") == 4  # followers; posts, reactions, comments
    assert "<script" not in html
    assert "http" not in svg.group(0)  # nothing fetched from elsewhere
    table = html[html.index("<table") :]
    for value in ("900", "1450", "11", "27", "830", "61"):
        assert re.search(rf">{value}(</td>|<br>)", table)
    assert 'data-figure-source="hand"' in table  # KAU-FOLLOWUP: recorded without the form's pre-fill
    assert reverse("accounts:followup", args=[account.pk]) in html


def test_the_chart_draws_nothing_without_followups_and_a_point_for_one() -> None:
    assert charts.followup_chart([]) is None
    single = FollowUp(period_end=date(2030, 1, 31), followers=10, posts=1, reactions=2, comments=3, pk=1)
    chart = charts.followup_chart([single])
    assert chart is not None
    (x, y, value), *_rest = chart.panels[0].series[0].dots
    assert x == "342.0"  # alone, in the middle
    assert chart.panels[0].series[0].points == f"{x},{y}"
    assert value == "10"
    assert all(len(series.dots) == 1 for panel in chart.panels for series in panel.series)


def test_the_chart_scales_higher_values_higher() -> None:
    points = [
        FollowUp(period_end=date(2029, 1, 31), followers=100, posts=5, reactions=50, comments=0, pk=1),
        FollowUp(period_end=date(2030, 1, 31), followers=300, posts=10, reactions=20, comments=4, pk=2),
    ]
    chart = charts.followup_chart(points)
    assert chart is not None
    (first_x, first_y, _), (last_x, last_y, _) = chart.panels[0].series[0].dots
    assert float(first_x) < float(last_x)
    assert float(first_y) > float(last_y)  # SVG's y grows downwards
    assert [label for _y, label in chart.panels[0].ticks][-1] == "500"


def test_the_page_context_says_when_the_followup_is_due(cast: Cast, make_account: Any) -> None:
    account = make_account()
    set_due(account, TODAY - timedelta(days=1))
    overdue = followup.detail_context(account, user=cast["deputy"], now=NOW)["followup"]
    assert (overdue["overdue"], overdue["due_soon"], overdue["can_record"]) == (True, False, True)
    set_due(account, TODAY + timedelta(days=14))
    soon = followup.detail_context(account, user=cast["registrar"], now=NOW)["followup"]
    assert (soon["overdue"], soon["due_soon"], soon["can_record"]) == (False, True, False)
    assert soon["interval"] == InstitutionSettings.objects.get_solo().followup_interval_months


# --- The start page ------------------------------------------------------------------------------------


def test_the_start_page_lists_followups_due_for_owners_and_deputies(cast: Cast, make_account: Any) -> None:
    """KAU-FOLLOWUP: due within 14 days or overdue, for the people who keep the account."""
    soon = make_account(name="Snart")
    late = make_account(name="Sent")
    later = make_account(name="Senare")
    set_due(soon, TODAY + timedelta(days=14))
    set_due(late, TODAY - timedelta(days=2))
    set_due(later, TODAY + timedelta(days=15))
    for person in ("communicator", "deputy"):
        section = followup.todo_followups(cast[person], NOW)
        assert section is not None
        assert [account.name for account in section.rows] == ["Sent", "Snart"]
        html = render_to_string(section.template, {"rows": section.rows, "extra": section.extra})
        assert html.count('class="badge badge--danger"') == 1
        assert reverse("accounts:followup", args=[late.pk]) in html
    for person in ("head_of_unit", "social_media_lead", "outsider"):
        assert followup.todo_followups(cast[person], NOW) is None


def test_the_start_page_section_is_one_query(
    cast: Cast, make_account: Any, django_assert_num_queries: Any
) -> None:
    for _ in range(3):
        set_due(make_account(), TODAY)
    with django_assert_num_queries(1):
        section = followup.todo_followups(cast["communicator"], NOW)
    assert section is not None
    assert len(section.rows) == 3


# --- Views: every role ---------------------------------------------------------------------------------


def expected(view: str, person: str) -> int:
    if person == "anonymous":
        return 302
    if view == "compare":
        return 200  # everyone compares what they may see
    if person in HIDDEN:
        return 404
    if view == "interval":
        return 302 if person in MANAGERS else 403
    allowed = RECORDERS
    if person not in allowed:
        return 403
    return 200 if view == "form" else 302


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("view", ["form", "record", "interval", "compare"])
def test_permission_matrix(client: Client, cast: Cast, make_account: Any, view: str, person: str) -> None:
    """Anonymous → sign in; cannot see the account → 404; sees it but may not act → 403; allowed →
    200 or a redirect, and a refused request changes nothing."""
    account = make_account()
    login(client, cast, person)
    url = reverse("accounts:followup", args=[account.pk])
    if view == "form":
        response = client.get(url)
    elif view == "record":
        response = client.post(url, form_post())
    elif view == "interval":
        response = client.post(url, {"form": "interval", "interval-months": "6"})
    else:
        response = client.get(reverse("accounts:compare"), {"enhet": cast.units["faculty"].pk})
    code = expected(view, person)
    assert response.status_code == code, response.content[:400]
    if person == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    account.refresh_from_db()
    acted = code == 302 and person != "anonymous"
    if view == "record":
        assert FollowUp.objects.filter(account=account).count() == (1 if acted else 0)
        if acted:
            assert response["Location"] == reverse("accounts:detail", args=[account.pk]) + "#followups"
            assert account.followup_due_on == date(2026, 2, 28)
    if view == "interval":
        assert account.followup_interval_months == (6 if acted else None)
    if view == "compare" and code == 200:
        body = response.content.decode()
        sees = person not in HIDDEN
        assert (account.name in body) == sees


def test_the_form_names_each_problem_and_saves_nothing(client: Client, cast: Cast, make_account: Any) -> None:
    account = make_account()
    client.force_login(cast["communicator"])
    url = reverse("accounts:followup", args=[account.pk])
    response = client.post(url, form_post(followers=-1, decision="", period_end="2999-01-01"))
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"followers", "decision", "period_end"}
    body = response.content.decode()
    assert 'href="#id_followers"' in body
    assert 'href="#id_decision_0"' in body
    assert not FollowUp.objects.exists()


def test_the_form_page_has_labelled_groups_for_the_checklist(
    client: Client, cast: Cast, make_account: Any
) -> None:
    account = make_account()
    client.force_login(cast["deputy"])
    body = client.get(reverse("accounts:followup", args=[account.pk])).content.decode()
    assert body.count("<legend>") >= 7  # three groups; traffic, two checklist answers, decision
    assert 'name="reaches_audiences"' in body
    assert 'name="keeps_up"' in body
    assert 'name="interval-months"' not in body  # a deputy does not change the interval
    client.force_login(cast["head_of_unit"])
    assert (
        'name="interval-months"'
        in client.get(reverse("accounts:followup", args=[account.pk])).content.decode()
    )


def test_recording_on_a_closed_account_is_a_conflict(client: Client, cast: Cast, make_account: Any) -> None:
    account = make_account(status=Account.Status.CLOSED)
    client.force_login(cast["head_of_unit"])
    url = reverse("accounts:followup", args=[account.pk])
    assert 'name="followers"' not in client.get(url).content.decode()
    response = client.post(url, form_post())
    assert response.status_code == 409
    assert not FollowUp.objects.exists()


def test_an_interval_out_of_range_is_a_bad_request(client: Client, cast: Cast, make_account: Any) -> None:
    account = make_account()
    client.force_login(cast["social_media_lead"])
    response = client.post(
        reverse("accounts:followup", args=[account.pk]), {"form": "interval", "interval-months": "99"}
    )
    assert response.status_code == 400
    assert Account.objects.get(pk=account.pk).followup_interval_months is None


# --- Side by side --------------------------------------------------------------------------------------


def test_compare_shows_latest_figures_of_the_unit_and_below(
    client: Client, cast: Cast, make_account: Any
) -> None:
    department = make_account(name="Institutionens konto")
    other = make_account(unit="other", owner="other_head", deputies=("outsider",), name="Andra kontot")
    comms = make_account(
        unit="comms", owner="social_media_lead", deputies=("communications",), name="Centralt"
    )
    followup.record_followup(
        department, by=cast["communicator"], now=NOW, **figures(period_end=date(2029, 6, 30), followers=500)
    )
    followup.record_followup(
        department,
        by=cast["communicator"],
        now=NOW,
        **figures(period_end=date(2030, 1, 31), followers=650, decision="change"),
    )
    client.force_login(cast["dean"])
    response = client.get(reverse("accounts:compare"), {"enhet": cast.units["faculty"].pk})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.account.name for row in rows] == [department.name, other.name]
    assert comms.name not in response.content.decode()
    assert rows[0].latest.followers == 650
    assert rows[0].follower_change == 150
    assert rows[1].latest is None
    body = response.content.decode()
    assert "+150" in body
    assert "Continue with changes" in body or "Fortsätt med ändringar" in body
    client.force_login(cast["head_of_unit"])  # sees only the department below the faculty
    response = client.get(reverse("accounts:compare"), {"enhet": cast.units["faculty"].pk})
    assert [row.account.name for row in response.context["rows"]] == [department.name]


def test_compare_without_a_unit_asks_for_one_and_an_unknown_unit_is_404(client: Client, cast: Cast) -> None:
    client.force_login(cast["communicator"])
    response = client.get(reverse("accounts:compare"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert client.get(reverse("accounts:compare"), {"enhet": "999999"}).status_code == 404
    assert client.get(reverse("accounts:compare"), {"enhet": "x"}).status_code == 404


def test_compare_makes_the_same_queries_for_2_and_12_accounts(
    client: Client, cast: Cast, make_account: Any, django_assert_num_queries: Any
) -> None:
    def more(count: int) -> None:
        for _ in range(count):
            account = make_account()
            followup.record_followup(
                account, by=cast["communicator"], now=NOW, **figures(period_end=date(2029, 6, 30))
            )
            followup.record_followup(account, by=cast["communicator"], now=NOW, **figures())

    more(2)
    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:compare")
    params = {"enhet": cast.units["university"].pk}
    client.get(url, params)
    with CaptureQueriesContext(connection) as small:
        client.get(url, params)
    more(10)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, params)
    assert len(response.context["rows"]) == 12


# --- In the browser --------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_followup_form_in_the_browser_passes_axe(page: Any, cast: Cast, make_account: Any) -> None:
    """KAU-FOLLOWUP, KAU-ACCESS: the owner records a follow-up with the keyboard-friendly form."""
    account = make_account(name="Fysik på Instagram")
    browser_login(page, "head_of_unit", "pw-head_of_unit-0123")
    page.goto(reverse("accounts:followup", args=[account.pk]))
    assert_accessible(page)
    page.fill("#id_period_end", "2025-01-31")
    page.fill("#id_followers", "1450")
    page.fill("#id_posts", "20")
    page.fill("#id_reactions", "600")
    page.fill("#id_comments", "45")
    page.check("#id_traffic_0")
    page.check("#id_reaches_audiences_0")
    page.check("#id_keeps_up_1")
    page.fill("#id_value_estimate", "Kontot ger många frågor från blivande studenter.")
    page.check("#id_decision_0")
    with page.expect_navigation():
        page.locator('form:has(input[name="form"][value="followup"]) button[type=submit]').click()
    recorded = FollowUp.objects.get(account=account)
    assert (recorded.followers, recorded.keeps_up, recorded.recorded_by) == (
        1450,
        "partly",
        cast["head_of_unit"],
    )
    assert Account.objects.get(pk=account.pk).followup_due_on == date(2026, 1, 31)
    # A form sent back with errors is accessible too.
    page.goto(reverse("accounts:followup", args=[account.pk]))
    with page.expect_navigation():
        page.locator('form:has(input[name="form"][value="followup"]) button[type=submit]').click()
    assert page.locator("#form-errors").count() == 1
    assert_accessible(page)


def test_a_late_entry_for_an_earlier_period_never_moves_the_due_date_back(
    cast: Cast, make_account: Any
) -> None:
    """KAU-FOLLOWUP: the latest period decides when the next follow-up is due."""
    account = make_account()
    followup.record_followup(
        account, by=cast["communicator"], now=NOW, **figures(period_end=date(2029, 12, 31))
    )
    followup.record_followup(
        account, by=cast["communicator"], now=NOW, **figures(period_end=date(2028, 12, 31))
    )
    account.refresh_from_db()
    assert account.followup_due_on == add_months(date(2029, 12, 31), 12)

"""The registry's compliance flags, each present and absent, by rule ID (accounts.flags).

Each test starts from an account that meets every rule, proves that its flag is down, breaks the one
rule and proves that its flag goes up, and only that flag. Time is passed in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from accounts.flags import all_flags, flagged, raised, with_flags
from accounts.models import Account, CoverageGap
from connectors.models import Connection
from core.models import InstitutionSettings
from moderation.models import Item
from tests.conftest import Cast
from tests.governance.factories import make_request

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm, a Monday
TODAY = date(2026, 3, 2)


def flags_of(account: Account, now: datetime = NOW) -> set[str]:
    fresh = with_flags(Account.objects.filter(pk=account.pk), now=now).get()
    return {flag.key for flag in raised(fresh)}


def update(account: Account, **fields: Any) -> None:
    Account.objects.filter(pk=account.pk).update(**fields)


@pytest.fixture
def compliant(cast: Cast) -> Account:
    """An account that meets every rule: approved request, owner and deputy, recent screenshot,
    follow-up not yet due, notice and sender confirmed, nothing unanswered, no gap in cover."""
    request = make_request(cast, state="approved", now=NOW - timedelta(days=30))
    assert request.account is not None
    account = request.account
    update(
        account,
        last_startpage_at=NOW - timedelta(days=30),
        followup_due_on=TODAY + timedelta(days=100),
        notice_confirmed_at=NOW - timedelta(days=29),
        sender_confirmed_at=NOW - timedelta(days=29),
    )
    return account


def test_an_account_that_meets_every_rule_has_no_flag(compliant: Account) -> None:
    assert flags_of(compliant) == set()


def test_kau_resp_owner_flag_for_an_account_without_a_deputy(compliant: Account) -> None:
    """KAU-RESP-OWNER: every account has at least one deputy."""
    assert "resp_owner" not in flags_of(compliant)
    compliant.deputies.clear()
    assert flags_of(compliant) == {"resp_owner"}


def test_kau_resp_owner_flag_when_the_owner_is_deactivated(cast: Cast, compliant: Account) -> None:
    """KAU-RESP-OWNER: an owner who has left no longer counts."""
    assert "resp_owner" not in flags_of(compliant)
    cast["communicator"].is_active = False
    cast["communicator"].save()
    assert flags_of(compliant) == {"resp_owner"}


def test_kau_resp_owner_flag_when_a_deputy_is_deactivated(cast: Cast, compliant: Account) -> None:
    """KAU-RESP-OWNER: a deputy who has left is flagged even when another deputy remains."""
    compliant.deputies.add(cast["staff"])
    assert "resp_owner" not in flags_of(compliant)
    cast["deputy"].is_active = False
    cast["deputy"].save()
    assert flags_of(compliant) == {"resp_owner"}


def test_kau_start_checklist_flag_without_an_approved_request(
    cast: Cast, compliant: Account, make_account: Any
) -> None:
    """KAU-START-CHECKLIST: an account registered directly has no strategy document; one whose
    request was approved has."""
    assert "strategy" not in flags_of(compliant)
    direct = make_account(now=NOW)
    update(
        direct,
        last_startpage_at=NOW,
        notice_confirmed_at=NOW,
        sender_confirmed_at=NOW,
    )
    assert flags_of(direct) == {"strategy"}
    make_request(cast, state="submitted", name="Ett annat konto", handle="annat_kau")  # not linked
    assert flags_of(direct) == {"strategy"}


def test_kau_startpage_flag_when_no_screenshot_is_recorded(compliant: Account) -> None:
    """KAU-STARTPAGE: no start-page screenshot at all."""
    assert "startpage" not in flags_of(compliant)
    update(compliant, last_startpage_at=None)
    assert flags_of(compliant) == {"startpage"}


def test_kau_startpage_flag_when_the_screenshot_is_older_than_the_interval(compliant: Account) -> None:
    """KAU-STARTPAGE: once every half-year (the institution's interval, six months by default)."""
    # 10:00 in Stockholm six calendar months earlier, in summer time: 08:00 UTC, not 09:00.
    six_months_before = datetime(2025, 9, 2, 8, 0, tzinfo=UTC)
    update(compliant, last_startpage_at=six_months_before)
    assert "startpage" not in flags_of(compliant)  # exactly the interval: not yet older
    update(compliant, last_startpage_at=six_months_before - timedelta(minutes=1))
    assert flags_of(compliant) == {"startpage"}


def test_kau_startpage_follows_the_institutions_interval(compliant: Account) -> None:
    """KAU-STARTPAGE: a shorter interval in the settings raises the flag sooner."""
    update(compliant, last_startpage_at=NOW - timedelta(days=100))
    assert "startpage" not in flags_of(compliant)
    InstitutionSettings.objects.get_solo()
    InstitutionSettings.objects.filter(pk=1).update(startpage_interval_months=3)
    assert flags_of(compliant) == {"startpage"}


def test_kau_startpage_flag_after_a_major_change(compliant: Account) -> None:
    """KAU-STARTPAGE: before major changes (owner, name, handle) a new screenshot is taken."""
    update(compliant, startpage_needed_since=NOW - timedelta(days=31))  # before the last screenshot
    assert "startpage" not in flags_of(compliant)
    update(compliant, startpage_needed_since=NOW - timedelta(days=1))  # after it
    assert flags_of(compliant) == {"startpage"}


def test_kau_followup_flag_when_the_follow_up_was_due_before_today(compliant: Account) -> None:
    """KAU-FOLLOWUP: due today is not yet overdue; due yesterday is."""
    update(compliant, followup_due_on=TODAY)
    assert "followup" not in flags_of(compliant)
    update(compliant, followup_due_on=TODAY - timedelta(days=1))
    assert flags_of(compliant) == {"followup"}


def test_kau_followup_counts_days_in_stockholm(compliant: Account) -> None:
    """KAU-FOLLOWUP: at 23:30 UTC on 1 March it is already 2 March in Stockholm, so a follow-up due
    on 1 March is overdue."""
    late_evening = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    update(compliant, followup_due_on=date(2026, 3, 1))
    assert "followup" in flags_of(compliant, late_evening)
    assert "followup" not in flags_of(compliant, late_evening - timedelta(hours=1))


def _item(account: Account, *, limit_at: datetime, handled: bool = False) -> Item:
    return Item.objects.create(
        account=account,
        kind=Item.Kind.COMMENT,
        author="Besökare",
        text="När öppnar anmälan?",
        received_at=limit_at - timedelta(days=2),
        due_at=limit_at - timedelta(days=1),
        limit_at=limit_at,
        handled_at=limit_at if handled else None,
        status=Item.Status.ANSWERED if handled else Item.Status.OPEN,
        answer="Svar" if handled else "",
    )


def test_kau_response_deadline_flag_for_an_item_unanswered_past_its_limit(compliant: Account) -> None:
    """KAU-RESPONSE-DEADLINE: an unanswered item past its outer limit; not one before it, not one
    already handled."""
    _item(compliant, limit_at=NOW + timedelta(minutes=1))
    _item(compliant, limit_at=NOW - timedelta(days=1), handled=True)
    assert "response" not in flags_of(compliant)
    _item(compliant, limit_at=NOW)
    assert flags_of(compliant) == {"response"}


def test_kau_inform_flag_until_the_notice_is_confirmed(compliant: Account) -> None:
    """KAU-INFORM: visitors are told their messages are public records."""
    assert "inform" not in flags_of(compliant)
    update(compliant, notice_confirmed_at=None)
    assert flags_of(compliant) == {"inform"}


def test_kau_sender_flag_until_sender_and_profile_are_confirmed(compliant: Account) -> None:
    """KAU-SENDER: sender and profile follow the profile guide."""
    assert "sender" not in flags_of(compliant)
    update(compliant, sender_confirmed_at=None)
    assert flags_of(compliant) == {"sender"}


def test_kau_resp_daily_flag_for_an_open_coverage_gap(compliant: Account) -> None:
    """KAU-RESP-DAILY: an unresolved gap that has not ended; not one that ended yesterday or was
    resolved."""
    CoverageGap.objects.create(
        account=compliant,
        starts_on=TODAY - timedelta(days=5),
        ends_on=TODAY - timedelta(days=1),
        found_at=NOW - timedelta(days=10),
    )
    CoverageGap.objects.create(
        account=compliant,
        starts_on=TODAY + timedelta(days=3),
        ends_on=TODAY + timedelta(days=5),
        found_at=NOW - timedelta(days=1),
        resolved_at=NOW,
    )
    assert "coverage" not in flags_of(compliant)
    CoverageGap.objects.create(
        account=compliant,
        starts_on=TODAY + timedelta(days=7),
        ends_on=TODAY + timedelta(days=8),
        found_at=NOW,
    )
    assert flags_of(compliant) == {"coverage"}


def test_a_closed_account_is_never_flagged(cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE, KAU-PUBLIC-RECORD: a closed account stays in the registry, but nothing is asked of it."""
    account = make_account(now=NOW - timedelta(days=800))
    account.deputies.clear()
    update(account, followup_due_on=TODAY - timedelta(days=400))
    _item(account, limit_at=NOW - timedelta(days=1))
    CoverageGap.objects.create(account=account, starts_on=TODAY, ends_on=TODAY, found_at=NOW)
    Connection.objects.create(
        account=account,
        platform="instagram",
        external_id="17841400000000001",
        connected_at=NOW,
        health="attention",
    )
    assert flags_of(account) == {flag.key for flag in all_flags()}  # every rule broken while open
    update(account, status=Account.Status.CLOSED, closed_at=NOW)
    assert flags_of(account) == set()


def test_flags_are_filtered_by_key_and_by_any(compliant: Account, make_account: Any) -> None:
    other = make_account(now=NOW)  # flagged for strategy, start page, notice and sender
    annotated = with_flags(Account.objects.all(), now=NOW)
    assert set(flagged(annotated, "any")) == {other}
    assert set(flagged(annotated, "strategy")) == {other}
    update(compliant, sender_confirmed_at=None)
    assert set(flagged(annotated, "sender")) == {other, compliant}
    assert set(flagged(annotated, "followup")) == set()


def test_raised_flags_keep_the_order_of_the_rules(make_account: Any) -> None:
    account = make_account(now=NOW)
    fresh = with_flags(Account.objects.filter(pk=account.pk), now=NOW).get()
    assert [flag.rule for flag in raised(fresh)] == [
        "KAU-START-CHECKLIST",
        "KAU-STARTPAGE",
        "KAU-INFORM",
        "KAU-SENDER",
    ]


def test_every_flag_names_a_rule_of_the_policy() -> None:
    rules = {flag.rule for flag in all_flags()}
    assert rules == {
        "KAU-RESP-OWNER",
        "KAU-START-CHECKLIST",
        "KAU-STARTPAGE",
        "KAU-FOLLOWUP",
        "KAU-RESPONSE-DEADLINE",
        "KAU-INFORM",
        "KAU-SENDER",
        "KAU-RESP-DAILY",
    }
    assert len({flag.key for flag in all_flags()}) == len(all_flags())


def test_the_apps_register_every_flag_in_the_order_the_registry_shows() -> None:
    """Governance, moderation and the connectors register their flags in their AppConfig.ready(),
    between the registry's own."""
    assert [flag.key for flag in all_flags()] == [
        "resp_owner",
        "strategy",
        "startpage",
        "followup",
        "response",
        "inform",
        "sender",
        "coverage",
        "connection",
    ]

"""Closing accounts (KAU-CLOSE): the accounts proposed for closing and why, the closing workflow step
by step with what is refused and why, the history it leaves (KAU-PUBLIC-RECORD), and every closing
view against every role."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import closing, followup
from accounts.models import Account, CoverageGap, FollowUp
from core.models import User
from tests.conftest import Cast, browser_login
from tests.support import HIDDEN, PEOPLE, assert_accessible, login

pytestmark = pytest.mark.usefixtures("media_root")

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2030, 3, 15, 9, 0, tzinfo=STOCKHOLM)
TODAY = NOW.date()

MANAGERS = {"head_of_unit", "dean", "social_media_lead"}
STARTERS = MANAGERS | {"communicator"}
CONFIRMERS = MANAGERS | {"communicator", "deputy"}


def take_startpage_screenshot(account: Account, *, at: datetime, by: User) -> None:
    """The owner or a deputy uploads a start-page screenshot taken at ``at`` (KAU-STARTPAGE): the
    archive keeps it and the account records it."""
    import io

    from PIL import Image

    from archive.startpage import record_startpage_screenshot

    out = io.BytesIO()
    # A different picture for each moment, so that each upload is a screenshot of its own.
    Image.new("RGB", (80, 60), (at.minute * 4 % 256, at.second * 4 % 256, at.hour * 10 % 256)).save(
        out, "PNG"
    )
    record_startpage_screenshot(account, data=out.getvalue(), by=by, now=max(at, NOW), taken_at=at)


def healthy(make_account: Any, **extra: Any) -> Account:
    """An account with nothing wrong: followed up on time, covered, with an active deputy."""
    account: Account = make_account(**extra)
    Account.objects.filter(pk=account.pk).update(
        created_at=NOW - timedelta(days=400), followup_due_on=TODAY + timedelta(days=100)
    )
    account.refresh_from_db()
    return account


def in_closing(account: Account, cast: Cast, *, commenting: str = "", screenshot: bool = False) -> Account:
    closing.start_closing(account, reason="Kanalen används inte längre.", by=cast["head_of_unit"], now=NOW)
    if commenting:
        closing.confirm_commenting(account, commenting=commenting, by=cast["communicator"], now=NOW)
    if screenshot:
        take_startpage_screenshot(account, at=NOW + timedelta(hours=1), by=cast["communicator"])
    return account


def codes(refused: pytest.ExceptionInfo[followup.StepRefused]) -> list[str | None]:
    """What a refusal names, by code: the same whichever language the words are in."""
    return [error.code for error in refused.value.error_list]


def reasons_for(cast: Cast, person: str = "social_media_lead") -> dict[str, list[str]]:
    scope = closing.closing_scope(cast[person])
    assert scope is not None
    return {c.account.name: c.reasons for c in closing.closing_candidates(scope, now=NOW)}


# --- Proposed for closing (KAU-CLOSE) --------------------------------------------------------------------


def test_a_healthy_account_is_not_proposed(cast: Cast, make_account: Any) -> None:
    healthy(make_account, name="Friskt")
    assert reasons_for(cast) == {}


def test_due_date_more_than_one_interval_back_is_proposed(cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE, KAU-FOLLOWUP: no follow-up for a long time (the institution's 12 months)."""
    long_ago = healthy(make_account, name="Bortglömt")
    recently = healthy(make_account, name="Nyss försenat")
    Account.objects.filter(pk=long_ago.pk).update(followup_due_on=date(2029, 3, 14))
    Account.objects.filter(pk=recently.pk).update(followup_due_on=date(2029, 3, 15))
    assert reasons_for(cast) == {"Bortglömt": [closing.Reason.NO_FOLLOWUP]}


def test_the_accounts_own_interval_decides_what_is_long(cast: Cast, make_account: Any) -> None:
    own = healthy(make_account, name="Eget intervall")
    Account.objects.filter(pk=own.pk).update(
        followup_interval_months=3, followup_due_on=date(2029, 12, 14), created_at=NOW - timedelta(days=30)
    )
    assert reasons_for(cast) == {"Eget intervall": [closing.Reason.NO_FOLLOWUP]}
    Account.objects.filter(pk=own.pk).update(followup_due_on=date(2029, 12, 16))
    assert reasons_for(cast) == {}


# A follow-up's answers: a channel that does well, and one that does not.
FINE: dict[str, Any] = {
    "followers": 1,
    "posts": 1,
    "reactions": 1,
    "comments": 1,
    "traffic": "same",
    "reaches_audiences": "yes",
    "keeps_up": "yes",
    "value_estimate": "Ok.",
}
POOR: dict[str, Any] = {
    **FINE,
    "posts": 0,
    "reactions": 0,
    "comments": 0,
    "traffic": "down",
    "reaches_audiences": "no",
    "keeps_up": "no",
    "value_estimate": "Ingen.",
}


def written_followup(
    cast: Cast, account: Account, *, period_end: date, decision: str, **answers: Any
) -> FollowUp:
    """A follow-up the owner recorded at NOW, written straight to the table: no due date moves."""
    return FollowUp.objects.create(
        account=account,
        period_end=period_end,
        decision=decision,
        recorded_at=NOW,
        recorded_by=cast["communicator"],
        **{**FINE, **answers},
    )


def test_no_followup_within_two_intervals_of_registration_is_proposed(cast: Cast, make_account: Any) -> None:
    never = healthy(make_account, name="Aldrig uppföljt")
    young = healthy(make_account, name="Ungt")
    followed = healthy(make_account, name="Uppföljt")
    Account.objects.filter(pk=never.pk).update(created_at=datetime(2028, 3, 10, tzinfo=STOCKHOLM))
    Account.objects.filter(pk=young.pk).update(created_at=datetime(2028, 3, 20, tzinfo=STOCKHOLM))
    Account.objects.filter(pk=followed.pk).update(created_at=datetime(2028, 3, 10, tzinfo=STOCKHOLM))
    written_followup(cast, followed, period_end=date(2029, 3, 1), decision="continue")
    assert reasons_for(cast) == {"Aldrig uppföljt": [closing.Reason.NO_FOLLOWUP]}


def test_a_latest_followup_deciding_to_close_is_proposed(cast: Cast, make_account: Any) -> None:
    decided = healthy(make_account, name="Beslutat")
    changed_mind = healthy(make_account, name="Ångrat")
    common: dict[str, Any] = {
        "followers": 10,
        "posts": 1,
        "reactions": 1,
        "comments": 0,
        "traffic": "down",
        "reaches_audiences": "no",
        "keeps_up": "no",
        "value_estimate": "Liten nytta.",
    }
    for account, period_end, decision in (
        (decided, date(2030, 1, 31), "close"),
        (changed_mind, date(2029, 6, 30), "close"),
        (changed_mind, date(2030, 1, 31), "change"),
    ):
        followup.record_followup(
            account, by=cast["communicator"], now=NOW, period_end=period_end, decision=decision, **common
        )
    assert reasons_for(cast) == {"Beslutat": [closing.Reason.DECIDED_CLOSE]}


def test_nobody_to_watch_the_coming_week_is_proposed(cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE, KAU-RESP-DAILY: an unresolved gap covering the next seven days."""
    week = healthy(make_account, name="Ingen i en vecka")
    short = healthy(make_account, name="Kort lucka")
    resolved = healthy(make_account, name="Löst")
    CoverageGap.objects.create(account=week, starts_on=TODAY, ends_on=TODAY + timedelta(days=6), found_at=NOW)
    CoverageGap.objects.create(
        account=short, starts_on=TODAY + timedelta(days=1), ends_on=TODAY + timedelta(days=10), found_at=NOW
    )
    CoverageGap.objects.create(
        account=resolved, starts_on=TODAY, ends_on=TODAY + timedelta(days=10), found_at=NOW, resolved_at=NOW
    )
    assert reasons_for(cast) == {"Ingen i en vecka": [closing.Reason.NO_COVER]}


def test_no_active_deputy_is_proposed(cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE, KAU-RESP-OWNER: nobody left to cover for the owner."""
    healthy(make_account, name="Ersättaren har slutat", deputies=("staff",))
    healthy(make_account, name="En kvar", deputies=("staff", "deputy"))
    cast["staff"].is_active = False
    cast["staff"].save()
    assert reasons_for(cast) == {"Ersättaren har slutat": [closing.Reason.NO_DEPUTY]}


def test_every_reason_is_given_at_once(cast: Cast, make_account: Any) -> None:
    account = healthy(make_account, name="Allt", deputies=("staff",))
    Account.objects.filter(pk=account.pk).update(followup_due_on=date(2028, 1, 1))
    written_followup(cast, account, period_end=date(2027, 1, 1), decision="close", **POOR)
    CoverageGap.objects.create(
        account=account, starts_on=TODAY, ends_on=TODAY + timedelta(days=30), found_at=NOW
    )
    cast["staff"].is_active = False
    cast["staff"].save()
    assert reasons_for(cast) == {"Allt": ["no_followup", "decided_close", "no_cover", "no_deputy"]}


def test_closing_and_closed_accounts_are_not_proposed_again(cast: Cast, make_account: Any) -> None:
    being_closed = healthy(make_account, name="Avvecklas")
    closed = healthy(make_account, name="Avvecklat")
    Account.objects.filter(pk__in=[being_closed.pk, closed.pk]).update(followup_due_on=date(2020, 1, 1))
    in_closing(being_closed, cast)
    Account.objects.filter(pk=closed.pk).update(status="closed", closed_at=NOW)
    assert reasons_for(cast) == {}
    scope = closing.closing_scope(cast["communications"])
    assert scope is not None
    assert [account.name for account in closing.accounts_being_closed(scope)] == ["Avvecklas"]


def test_heads_see_the_proposals_for_their_own_units(cast: Cast, make_account: Any) -> None:
    mine = healthy(make_account, name="Institutionens", deputies=("staff",))
    theirs = healthy(make_account, name="Andras", unit="other", owner="other_head", deputies=("staff",))
    assert mine.pk != theirs.pk
    cast["staff"].is_active = False
    cast["staff"].save()
    assert set(reasons_for(cast, "head_of_unit")) == {"Institutionens"}
    assert set(reasons_for(cast, "other_head")) == {"Andras"}
    assert set(reasons_for(cast, "dean")) == {"Institutionens", "Andras"}
    assert set(reasons_for(cast, "communications")) == {"Institutionens", "Andras"}
    for person in ("communicator", "deputy", "registrar", "security_officer", "outsider"):
        assert closing.closing_scope(cast[person]) is None


def test_the_proposals_page_makes_the_same_queries_for_2_and_12_accounts(
    client: Client, cast: Cast, make_account: Any, django_assert_num_queries: Any
) -> None:
    def more(count: int) -> None:
        for number in range(count):
            account = healthy(make_account)
            if number % 2:
                account.deputies.clear()  # test setup: nobody to cover for the owner
            Account.objects.filter(pk=account.pk).update(
                followup_due_on=date(2020, 1, 1) if number % 3 == 0 else TODAY,
                followup_interval_months=(number % 4) or None,
            )
            if number % 3 == 1:
                in_closing(account, cast)

    more(2)
    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:closing_candidates")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    more(10)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["candidates"]) + len(response.context["in_progress"]) >= 10


def test_the_proposals_page_names_each_reason(client: Client, cast: Cast, make_account: Any) -> None:
    account = healthy(make_account, name="Utan ersättare", deputies=("staff",))
    cast["staff"].is_active = False
    cast["staff"].save()
    client.force_login(cast["dean"])
    body = client.get(reverse("accounts:closing_candidates")).content.decode()
    assert 'data-reason="no_deputy"' in body
    assert reverse("accounts:closing", args=[account.pk]) in body


# --- The workflow (KAU-CLOSE) ----------------------------------------------------------------------------


@pytest.mark.parametrize("person", sorted(STARTERS))
def test_heads_the_lead_and_the_owner_start_closing(cast: Cast, make_account: Any, person: str) -> None:
    account = make_account()
    closing.start_closing(account, reason="Ersätts av fakultetens konto.", by=cast[person], now=NOW)
    account.refresh_from_db()
    assert (account.status, account.closing_started_at, account.closing_reason) == (
        "closing",
        NOW,
        "Ersätts av fakultetens konto.",
    )
    latest = account.history.latest()
    assert (latest.history_change_reason, latest.history_user) == ("closing started", cast[person])


@pytest.mark.parametrize("person", ["deputy", "communications", "registrar", "other_head", "outsider"])
def test_others_may_not_start_closing(cast: Cast, make_account: Any, person: str) -> None:
    account = make_account()
    with pytest.raises(PermissionDenied):
        closing.start_closing(account, reason="Nej.", by=cast[person], now=NOW)
    assert Account.objects.get(pk=account.pk).status == "active"


def test_a_paused_account_can_be_closed_too(cast: Cast, make_account: Any) -> None:
    account = make_account(status=Account.Status.PAUSED)
    closing.start_closing(account, reason="Pausat länge.", by=cast["dean"], now=NOW)
    assert Account.objects.get(pk=account.pk).status == "closing"


def test_starting_needs_a_reason(cast: Cast, make_account: Any) -> None:
    account = make_account()
    with pytest.raises(ValidationError) as refused:
        closing.start_closing(account, reason="  ", by=cast["head_of_unit"], now=NOW)
    assert set(refused.value.message_dict) == {"reason"}


def test_closing_cannot_start_twice_or_after_closing(cast: Cast, make_account: Any) -> None:
    account = in_closing(make_account(), cast)
    with pytest.raises(followup.StepRefused) as twice:
        closing.start_closing(account, reason="Igen.", by=cast["head_of_unit"], now=NOW)
    assert codes(twice) == ["not_open"]
    closed = make_account(status=Account.Status.CLOSED)
    with pytest.raises(followup.StepRefused) as after:
        closing.start_closing(closed, reason="Igen.", by=cast["head_of_unit"], now=NOW)
    assert codes(after) == ["not_open"]


@pytest.mark.parametrize("person", sorted(CONFIRMERS))
@pytest.mark.parametrize("commenting", ["off", "not_possible"])
def test_commenting_is_confirmed_by_the_people_who_keep_the_account(
    cast: Cast, make_account: Any, person: str, commenting: str
) -> None:
    """KAU-CLOSE: commenting switched off where the platform allows, or confirmed impossible."""
    account = in_closing(make_account(), cast)
    closing.confirm_commenting(account, commenting=commenting, by=cast[person], now=NOW)
    account.refresh_from_db()
    assert account.commenting == commenting
    assert account.history.latest().history_change_reason == "commenting confirmed for closing"


def test_commenting_is_confirmed_only_while_closing_and_only_as_off_or_impossible(
    cast: Cast, make_account: Any
) -> None:
    account = make_account()
    with pytest.raises(followup.StepRefused) as early:
        closing.confirm_commenting(account, commenting="off", by=cast["communicator"], now=NOW)
    assert codes(early) == ["not_closing"]
    in_closing(account, cast)
    with pytest.raises(ValidationError) as refused:
        closing.confirm_commenting(account, commenting="on", by=cast["communicator"], now=NOW)
    assert set(refused.value.message_dict) == {"commenting"}
    with pytest.raises(PermissionDenied):
        closing.confirm_commenting(account, commenting="off", by=cast["registrar"], now=NOW)
    assert Account.objects.get(pk=account.pk).commenting == ""


def test_closing_is_refused_naming_everything_missing(cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE, KAU-STARTPAGE: commenting confirmed and a final screenshot, or no closing."""
    account = in_closing(make_account(), cast)
    with pytest.raises(followup.StepRefused) as both:
        closing.close_account(account, by=cast["head_of_unit"], now=NOW)
    assert codes(both) == ["commenting", "screenshot"]
    assert both.value.messages == list(closing.closing_missing(account).values())

    closing.confirm_commenting(account, commenting="off", by=cast["deputy"], now=NOW)
    take_startpage_screenshot(account, at=NOW - timedelta(days=1), by=cast["communicator"])  # before closing
    with pytest.raises(followup.StepRefused) as screenshot:
        closing.close_account(account, by=cast["head_of_unit"], now=NOW)
    assert codes(screenshot) == ["screenshot"]
    assert Account.objects.get(pk=account.pk).status == "closing"


def test_closing_before_it_started_is_refused(cast: Cast, make_account: Any) -> None:
    account = make_account()
    with pytest.raises(followup.StepRefused) as refused:
        closing.close_account(account, by=cast["social_media_lead"], now=NOW)
    assert codes(refused) == ["not_started"]


@pytest.mark.parametrize("person", ["communicator", "deputy", "communications", "registrar"])
def test_only_heads_and_the_lead_close(cast: Cast, make_account: Any, person: str) -> None:
    account = in_closing(make_account(), cast, commenting="off", screenshot=True)
    with pytest.raises(PermissionDenied):
        closing.close_account(account, by=cast[person], now=NOW)
    assert Account.objects.get(pk=account.pk).status == "closing"


@pytest.mark.parametrize("person", sorted(MANAGERS))
def test_a_closed_account_keeps_everything(cast: Cast, make_account: Any, person: str) -> None:
    """KAU-CLOSE, KAU-PUBLIC-RECORD: closed, never deleted; its follow-ups and history stay."""
    account = make_account()
    followup.record_followup(
        account,
        by=cast["communicator"],
        now=NOW,
        period_end=date(2030, 1, 31),
        followers=5,
        posts=0,
        reactions=0,
        comments=0,
        traffic="down",
        reaches_audiences="no",
        keeps_up="no",
        value_estimate="Ingen.",
        decision="close",
    )
    in_closing(account, cast, commenting="not_possible", screenshot=True)
    closed_at = NOW + timedelta(days=1)
    closing.close_account(account, by=cast[person], now=closed_at)
    account.refresh_from_db()
    assert (account.status, account.closed_at, account.closed_by) == ("closed", closed_at, cast[person])
    assert account.followups.count() == 1
    assert Account.objects.visible_to(cast["registrar"]).filter(pk=account.pk).exists()
    reasons = list(
        account.history.order_by("history_date", "history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons[0] == "registered"
    assert reasons[-5:] == [
        "follow-up recorded",
        "closing started",
        "commenting confirmed for closing",
        "start-page screenshot recorded",
        "closed",
    ]
    with pytest.raises(followup.StepRefused) as again:
        closing.close_account(account, by=cast[person], now=closed_at)
    assert codes(again) == ["closed"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_closing_at_once_close_once(cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE: the row is locked, so the second close finds the account closed and is refused."""
    account = in_closing(make_account(), cast, commenting="off", screenshot=True)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close(person: str) -> None:
        try:
            barrier.wait(timeout=10)
            closing.close_account(Account.objects.get(pk=account.pk), by=cast[person], now=NOW)
            outcomes.append("done")
        except followup.StepRefused as exc:
            outcomes.append(str(exc.error_list[0].code))
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=close, args=(person,)) for person in ("dean", "social_media_lead")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["closed", "done"]  # one closes; the other is told it is already closed
    assert Account.objects.get(pk=account.pk).history.filter(history_change_reason="closed").count() == 1


# --- Views: every role ---------------------------------------------------------------------------------


# view: (method, the state the account is in, POST data)
VIEWS: dict[str, tuple[str, str, dict[str, str]]] = {
    "page": ("get", "active", {}),
    "start": ("post", "active", {"step": "start", "reason": "Kanalen används inte."}),
    "commenting": ("post", "closing", {"step": "commenting", "commenting": "off"}),
    "close": ("post", "ready", {"step": "close", "close-confirm": "on"}),
    "candidates": ("get", "active", {}),
}
MOVES = {"start": "closing", "commenting": "closing", "close": "closed"}


def expected(view: str, person: str) -> int:
    if person == "anonymous":
        return 302
    if view == "candidates":
        return 200 if person in MANAGERS | {"communications", "other_head"} else 403
    if person in HIDDEN:
        return 404
    allowed = {"page": CONFIRMERS, "start": STARTERS, "commenting": CONFIRMERS, "close": MANAGERS}[view]
    if person not in allowed:
        return 403
    return 200 if view == "page" else 302


def state(account: Account) -> tuple[Any, ...]:
    fresh = Account.objects.get(pk=account.pk)
    return (fresh.status, fresh.commenting, fresh.closing_started_at, fresh.closed_at, fresh.history.count())


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("view", list(VIEWS))
def test_permission_matrix(client: Client, cast: Cast, make_account: Any, view: str, person: str) -> None:
    """Anonymous → sign in; cannot see the account → 404; may not take the step → 403; allowed →
    200 or a redirect back to the closing page. A refused request changes nothing."""
    method, account_state, data = VIEWS[view]
    account = make_account()
    if account_state in ("closing", "ready"):
        in_closing(account, cast, commenting="off" if account_state == "ready" else "", screenshot=True)
    before = state(account)
    login(client, cast, person)
    url = (
        reverse("accounts:closing_candidates")
        if view == "candidates"
        else reverse("accounts:closing", args=[account.pk])
    )
    response = client.post(url, data) if method == "post" else client.get(url)
    code = expected(view, person)
    assert response.status_code == code, response.content[:400]
    if person == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if method == "post" and code == 302 and person != "anonymous":
        assert response["Location"] == reverse("accounts:closing", args=[account.pk])
        assert Account.objects.get(pk=account.pk).status == MOVES[view]
        assert state(account) != before
    else:
        assert state(account) == before


def test_a_forbidden_step_is_a_conflict_naming_what_is_missing(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-CLOSE: closing before commenting and the final screenshot is 409, with both named."""
    account = in_closing(make_account(), cast)
    before = state(account)
    client.force_login(cast["head_of_unit"])
    url = reverse("accounts:closing", args=[account.pk])
    response = client.post(url, {"step": "close", "close-confirm": "on"})
    assert response.status_code == 409
    shown = [str(message) for message in response.context["messages"]]
    missing = closing.closing_missing(Account.objects.get(pk=account.pk))
    assert list(missing) == ["commenting", "screenshot"]
    assert shown == list(missing.values())
    assert state(account) == before


@pytest.mark.parametrize(
    ("account_state", "data"),
    [
        ("closing", {"step": "start", "reason": "Igen."}),
        ("active", {"step": "commenting", "commenting": "off"}),
        ("active", {"step": "close", "close-confirm": "on"}),
        ("closed", {"step": "start", "reason": "Igen."}),
        ("closed", {"step": "close", "close-confirm": "on"}),
    ],
)
def test_steps_out_of_order_are_conflicts(
    client: Client, cast: Cast, make_account: Any, account_state: str, data: dict[str, str]
) -> None:
    account = make_account()
    if account_state == "closing":
        in_closing(account, cast)
    if account_state == "closed":
        in_closing(account, cast, commenting="off", screenshot=True)
        closing.close_account(account, by=cast["dean"], now=NOW + timedelta(days=1))
    before = state(account)
    client.force_login(cast["social_media_lead"])
    response = client.post(reverse("accounts:closing", args=[account.pk]), data)
    assert response.status_code == 409
    assert list(response.context["messages"])
    assert state(account) == before


def test_bad_input_is_a_bad_request(client: Client, cast: Cast, make_account: Any) -> None:
    account = make_account()
    client.force_login(cast["head_of_unit"])
    url = reverse("accounts:closing", args=[account.pk])
    assert client.post(url, {"step": "start", "reason": ""}).status_code == 400
    assert client.post(url, {"step": "sideways"}).status_code == 400
    in_closing(account, cast)
    assert client.post(url, {"step": "commenting", "commenting": "on"}).status_code == 400
    assert Account.objects.get(pk=account.pk).commenting == ""


def test_the_page_shows_the_steps_and_only_the_actions_allowed(
    client: Client, cast: Cast, make_account: Any
) -> None:
    account = in_closing(make_account(), cast, commenting="off")
    url = reverse("accounts:closing", args=[account.pk])
    client.force_login(cast["deputy"])
    body = client.get(url).content.decode()
    assert 'value="commenting"' in body
    assert 'value="close"' not in body
    client.force_login(cast["dean"])
    body = client.get(url).content.decode()
    assert 'value="close"' in body
    assert "Kanalen används inte längre." in body


# --- In the browser --------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_closing_in_the_browser_passes_axe(page: Any, cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE, KAU-ACCESS: the head closes an account step by step; every state passes axe."""

    account = make_account(name="Gammal kanal", deputies=("staff",))
    cast["staff"].is_active = False
    cast["staff"].save()  # no active deputy: proposed for closing
    browser_login(page, "head_of_unit", "pw-head_of_unit-0123")
    page.goto(reverse("accounts:closing_candidates"))
    assert page.locator(f'tr[data-account="{account.pk}"] [data-reason="no_deputy"]').count() == 1
    assert_accessible(page)
    url = reverse("accounts:closing", args=[account.pk])
    page.goto(url)
    assert_accessible(page)
    page.fill("#id_reason", "Ingen kan bevaka kanalen längre.")
    with page.expect_navigation():
        page.locator('form:has(input[name="step"][value="start"]) button[type=submit]').click()
    assert Account.objects.get(pk=account.pk).status == "closing"
    assert_accessible(page)
    page.check("#id_close-confirm")
    with page.expect_navigation():
        page.locator('form:has(input[name="step"][value="close"]) button[type=submit]').click()
    assert page.locator(".message--error").count() == 2  # 409: commenting and the screenshot
    assert_accessible(page)
    page.check("#id_commenting_0")
    with page.expect_navigation():
        page.locator('form:has(input[name="step"][value="commenting"]) button[type=submit]').click()
    take_startpage_screenshot(
        Account.objects.get(pk=account.pk), at=datetime.now(tz=STOCKHOLM), by=cast["communicator"]
    )
    page.check("#id_close-confirm")
    with page.expect_navigation():
        page.locator('form:has(input[name="step"][value="close"]) button[type=submit]').click()
    closed = Account.objects.get(pk=account.pk)
    assert (closed.status, closed.commenting, closed.closed_by) == ("closed", "off", cast["head_of_unit"])
    assert_accessible(page)

"""The follow-up opened pre-filled with the period's figures from the platform's recorded readings and
Kanalvakt's own counts, and every figure marked with where it came from: the platform, Kanalvakt's
count, or typed by hand (KAU-FOLLOWUP). The clock is fixed: the view reads "today" from it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts import followup
from accounts.figures import record_reading
from accounts.models import Account, FollowUp
from connectors.models import Connection
from core.calendar import STOCKHOLM
from moderation import services as moderation
from moderation.models import Publication
from tests.conftest import Cast
from tests.support import HIDDEN, PEOPLE, in_english, login

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 15, 10, 0, tzinfo=STOCKHOLM)
TODAY = NOW.date()
LAST_PERIOD_END = date(2030, 2, 28)  # the period pre-filled runs 1–15 March 2030
RECORDERS = {"communicator", "deputy", "head_of_unit", "dean", "social_media_lead"}


def connected_account(cast: Cast, make_account: Any) -> Account:
    """An Instagram account connected since 2029, with a follow-up up to 28 February 2030."""
    account = make_account(platform="instagram")
    connection = Connection(
        account=account,
        platform="instagram",
        external_id=f"1784140530921{account.pk:04d}",
        connected_at=datetime(2029, 6, 1, tzinfo=STOCKHOLM),
    )
    connection.token = "EAAtoken-1"
    connection.save()
    followup.record_followup(
        account, by=cast["communicator"], now=NOW - timedelta(days=14), period_end=LAST_PERIOD_END, **FIGURES
    )
    return account


FIGURES: dict[str, Any] = {
    "followers": 800,
    "posts": 20,
    "reactions": 500,
    "comments": 30,
    "traffic": "up",
    "reaches_audiences": "yes",
    "keeps_up": "partly",
    "value_estimate": "Når blivande studenter; två timmar i veckan.",
    "decision": "continue",
}


def read(account: Account, day: int, **counts: int) -> None:
    record_reading(
        account,
        on=date(2030, 3, day) if day > 0 else date(2030, 2, 28 + day),
        counts=counts,
        source="instagram",
        now=NOW,
    )


def with_readings(account: Account) -> None:
    read(account, 0, followers=790, posts_total=50)  # 28 February: before the period
    read(account, 1, followers=900, posts_total=60)
    read(account, 14, followers=950, posts_total=66)
    read(account, 15, followers=960, posts_total=70)


def with_activity(cast: Cast, account: Account) -> None:
    """Two posts and three comments in the period; one of each before it."""
    for number, day in enumerate((date(2030, 2, 27), date(2030, 3, 2), date(2030, 3, 12))):
        Publication.objects.create(
            account=account,
            kind="post",
            platform_id=f"17900000000{number}",
            published_at=datetime.combine(day, datetime.min.time(), tzinfo=STOCKHOLM) + timedelta(hours=9),
        )
    for number, day in enumerate((date(2030, 2, 27), date(2030, 3, 3), date(2030, 3, 9), date(2030, 3, 14))):
        moderation.log_item(
            account,
            kind="comment",
            author="@besokare",
            text="När öppnar anmälan?",
            platform_id=f"c-{number}",
            received_at=datetime.combine(day, datetime.min.time(), tzinfo=STOCKHOLM) + timedelta(hours=12),
            now=NOW,
            by=cast["communicator"],
        )


def open_form(client: Client, cast: Cast, account: Account, person: str = "communicator") -> Any:
    client.force_login(cast[person])
    in_english(client)
    response = client.get(reverse("accounts:followup", args=[account.pk]))
    assert response.status_code == 200
    return response


def source_of(body: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    assert tag is not None, name
    found = re.search(r'data-figure-source="(\w+)"', tag.group(0))
    assert found is not None, tag.group(0)
    return found.group(1)


def posted(response: Any, **changes: Any) -> dict[str, str]:
    """The form as the browser sends it back: what it was filled with, the person's answers, changes."""
    initial = response.context["form"].initial
    data = {
        "form": "followup",
        "period_end": initial["period_end"].isoformat(),
        "prefill": initial.get("prefill", ""),
        **{name: initial.get(name, "") for name in ("followers", "posts", "reactions", "comments")},
        "reactions": "640",
        **{
            key: FIGURES[key]
            for key in ("traffic", "reaches_audiences", "keeps_up", "value_estimate", "decision")
        },
    }
    data.update(changes)
    return {key: str(value) for key, value in data.items()}


# --- Pre-filled from the readings (KAU-FOLLOWUP) ------------------------------------------------------------


def test_the_form_opens_with_the_periods_figures_from_the_readings(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any
) -> None:
    """Followers at the last reading in the period; posts as the difference of the running totals of
    the first and last readings in it; comments counted from the items; reactions left to type."""
    account = connected_account(cast, make_account)
    with_readings(account)
    with_activity(cast, account)
    response = open_form(client, cast, account)
    initial = response.context["form"].initial
    assert initial["followers"] == 960  # 15 March, not the 790 of the day before the period
    assert initial["posts"] == 10  # 70 - 60: the readings win over the two posts Kanalvakt counted
    assert initial["comments"] == 3
    assert "reactions" not in initial
    body = response.content.decode()
    assert [source_of(body, name) for name in ("followers", "posts", "reactions", "comments")] == [
        "platform",
        "platform",
        "hand",
        "counted",
    ]
    assert "From the platform: the reading of 15 mar 2030." in body
    assert "the difference between the readings of 1 mar 2030 and 15 mar 2030" in body
    assert "Not given by the platform: type the figure." in body
    assert "filled in with the figures the platform gives for the period from 1 mar 2030" in body


def test_missing_readings_fall_back_to_kanalvakts_own_counts(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any
) -> None:
    """One reading in the period says nothing of its activity: the posts are those Kanalvakt counted."""
    account = connected_account(cast, make_account)
    read(account, 10, followers=940, posts_total=64)
    with_activity(cast, account)
    initial = open_form(client, cast, account).context["form"].initial
    assert (initial["followers"], initial["posts"], initial["comments"]) == (940, 2, 3)


def test_without_readings_or_a_connection_nothing_is_filled_in(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any
) -> None:
    account = make_account()
    response = open_form(client, cast, account)
    initial = response.context["form"].initial
    assert not {"followers", "posts", "reactions", "comments", "prefill"} & set(initial)
    body = response.content.decode()
    assert "filled in with the figures the platform gives" not in body
    assert "Not given by the platform" not in body
    assert source_of(body, "followers") == "hand"


# --- Marked: from the platform, counted, or typed by hand --------------------------------------------------


def test_figures_kept_as_given_are_marked_with_their_source_and_typed_ones_by_hand(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any
) -> None:
    """KAU-FOLLOWUP: figures typed by hand stay possible and are marked as such."""
    account = connected_account(cast, make_account)
    with_readings(account)
    with_activity(cast, account)
    response = open_form(client, cast, account)
    saved = client.post(reverse("accounts:followup", args=[account.pk]), posted(response))
    assert saved.status_code == 302, saved.content[:500]
    recorded = FollowUp.objects.filter(account=account).order_by("-pk").first()
    assert recorded is not None
    assert (recorded.followers, recorded.posts, recorded.reactions, recorded.comments) == (960, 10, 640, 3)
    assert recorded.figure_sources == {"followers": "platform", "posts": "platform", "comments": "counted"}


def test_a_prefilled_value_the_person_changed_is_marked_by_hand(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any
) -> None:
    account = connected_account(cast, make_account)
    with_readings(account)
    with_activity(cast, account)
    response = open_form(client, cast, account)
    client.post(
        reverse("accounts:followup", args=[account.pk]), posted(response, followers="961", comments="3")
    )
    recorded = FollowUp.objects.filter(account=account).order_by("-pk").first()
    assert recorded is not None
    assert recorded.figure_sources == {"posts": "platform", "comments": "counted"}
    assert recorded.figure_marks["followers"] == ("hand", "typed by hand")


@pytest.mark.parametrize(
    "changes",
    [
        {"period_end": "2030-03-14"},  # the figures were for the period up to the 15th
        {"prefill": "tampered"},
        {"prefill": ""},
    ],
    ids=["another-period", "tampered", "none"],
)
def test_figures_for_another_period_or_without_a_valid_prefill_are_by_hand(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any, changes: dict[str, str]
) -> None:
    account = connected_account(cast, make_account)
    with_readings(account)
    response = open_form(client, cast, account)
    saved = client.post(reverse("accounts:followup", args=[account.pk]), posted(response, **changes))
    assert saved.status_code == 302
    recorded = FollowUp.objects.filter(account=account).order_by("-pk").first()
    assert recorded is not None
    assert recorded.figure_sources == {}
    assert {mark for mark, _words in recorded.figure_marks.values()} == {"hand"}


def test_a_prefill_signed_for_another_account_marks_nothing(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any
) -> None:
    account = connected_account(cast, make_account)
    other = connected_account(cast, make_account)
    with_readings(other)
    response = open_form(client, cast, other)
    client.post(reverse("accounts:followup", args=[account.pk]), posted(response))
    recorded = FollowUp.objects.filter(account=account).order_by("-pk").first()
    assert recorded is not None
    assert recorded.figure_sources == {}


def test_the_form_coming_back_with_a_problem_still_says_where_the_figures_came_from(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any
) -> None:
    account = connected_account(cast, make_account)
    with_readings(account)
    response = open_form(client, cast, account)
    refused = client.post(
        reverse("accounts:followup", args=[account.pk]), posted(response, value_estimate="")
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert source_of(body, "followers") == "platform"
    assert "From the platform: the reading of 15 mar 2030." in body
    assert FollowUp.objects.filter(account=account).count() == 1


def test_the_account_page_marks_each_figure_of_each_followup(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any
) -> None:
    """The follow-ups' table says of each figure: from the platform, counted in Kanalvakt, or typed by
    hand; a follow-up recorded before the marking says nothing of its figures."""
    account = connected_account(cast, make_account)
    FollowUp.objects.filter(account=account).update(figure_sources=None)  # recorded before the marking
    with_readings(account)
    with_activity(cast, account)
    client.post(reverse("accounts:followup", args=[account.pk]), posted(open_form(client, cast, account)))
    body = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    table = body[body.index("Follow-ups, latest first") :]
    cells = re.findall(
        r'<td class="num" data-figure-source="(\w+)">(\d+)<br><small class="muted">([^<]+)</small>', table
    )
    assert cells == [
        ("platform", "960", "from the platform"),
        ("platform", "10", "from the platform"),
        ("hand", "640", "typed by hand"),
        ("counted", "3", "counted in Kanalvakt"),
    ]
    assert '<td class="num">800</td>' in table  # the earlier one: its figures' origin is not known


# --- Access rules unchanged ---------------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_who_opens_the_prefilled_form_is_unchanged(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any, person: str
) -> None:
    """Anonymous → sign in; cannot see the account → 404, its figures never shown; sees it but may not
    record → 403; the owner, the deputies, the heads and the lead → 200 with the figures."""
    account = connected_account(cast, make_account)
    with_readings(account)
    login(client, cast, person)
    response = client.get(reverse("accounts:followup", args=[account.pk]))
    if person == "anonymous":
        assert response.status_code == 302
        return
    expected = 404 if person in HIDDEN else 200 if person in RECORDERS else 403
    assert response.status_code == expected
    assert ('value="960"' in response.content.decode()) == (expected == 200)


@pytest.mark.parametrize("person", PEOPLE)
def test_who_sees_the_readings_on_the_account_page_is_unchanged(
    client: Client, cast: Cast, make_account: Any, fixed_clock: Any, person: str
) -> None:
    account = connected_account(cast, make_account)
    with_readings(account)
    login(client, cast, person)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    if person == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == (404 if person in HIDDEN else 200)
    assert ('data-reading="2030-03-15"' in response.content.decode()) == (person not in HIDDEN)


# --- In the browser ----------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_prefilled_form_and_the_history_pass_axe_in_the_browser(
    page: Any, cast: Cast, make_account: Any
) -> None:
    """KAU-FOLLOWUP, KAU-ACCESS: the notes on where each figure came from are read with their field;
    kept as given, the figures are recorded as from the platform; the chart and the readings' table
    on the account page are accessible."""
    from django.utils import timezone

    from tests.conftest import browser_login
    from tests.support import assert_accessible

    account = make_account(name="Fysik på Instagram")
    today = timezone.localdate()
    for days_ago in range(9, -1, -1):
        record_reading(
            account,
            on=today - timedelta(days=days_ago),
            counts={"followers": 1000 + 10 - days_ago, "posts_total": 200 + 10 - days_ago},
            source="instagram",
            now=timezone.now(),
        )
    browser_login(page, "head_of_unit", "pw-head_of_unit-0123")
    page.goto(reverse("accounts:followup", args=[account.pk]))
    assert page.locator("#id_followers").input_value() == "1010"
    assert page.locator("#id_posts").input_value() == "9"
    described = page.locator("#id_followers").get_attribute("aria-describedby") or ""
    # The interface is Swedish unless the person chose English.
    assert "Från plattformen" in page.locator(f"#{described.split()[0]}").inner_text()
    assert_accessible(page)
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
    assert recorded.figure_sources == {"followers": "platform", "posts": "platform"}
    page.locator("details.readings summary").click()
    assert page.locator("details.readings tbody tr").count() == 10
    assert_accessible(page)

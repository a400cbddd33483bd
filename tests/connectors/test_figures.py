"""The platforms' own numbers, read once a day (KAU-FOLLOWUP): Facebook and Instagram against the Graph
stand-in, a polled platform through its module (a test module speaking to a stand-in with the shared
REST client), a failing or refused connection skipped while the others are read, a second run the same
day calling nobody, and Kanalvakt's own counts of posts and comments for the follow-up form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, FigureReading
from connectors import adapters
from connectors.figures import counted_figures, record_figures
from connectors.models import Connection
from core.calendar import STOCKHOLM
from core.models import Notification
from moderation.models import Publication
from tests.conftest import Cast
from tests.connectors import figures_adapter
from tests.connectors.graph_standin import SERVER_ERROR, TOKEN_EXPIRED, GraphStandIn, connect, graph_api
from tests.connectors.standin import Delay, StandIn, stand_in
from tests.support import run_in_threads

pytestmark = pytest.mark.django_db

# Dawn on Friday 15 March 2030 in Stockholm, when beat runs the job.
NOW = datetime(2030, 3, 15, 5, 40, tzinfo=STOCKHOLM)
TODAY = NOW.date()
PAGE_ID = "104857600012345"
IG_ID = "17841405309211844"
CHANNEL_ID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


@pytest.fixture
def graph(settings: Any) -> Iterator[GraphStandIn]:
    with graph_api(settings) as api:
        yield api


@pytest.fixture
def polled(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    """A polled platform (YouTube's place in the registry) served by the test module."""
    with stand_in() as server:
        monkeypatch.setattr(adapters, "MODULES", {"youtube": "tests.connectors.figures_adapter"})
        monkeypatch.setattr(figures_adapter.ADAPTER, "base_url", server.base_url)
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
        settings.CONNECTOR_RETRY_DELAY = 0.01
        settings.CONNECTOR_TIMEOUT = 2.0
        yield server


def facebook(make_account: Any, page_id: str = PAGE_ID, **extra: Any) -> Connection:
    return connect(make_account(platform="facebook_page"), platform="facebook", external_id=page_id, **extra)


def instagram(make_account: Any, ig_id: str = IG_ID) -> Connection:
    return connect(make_account(platform="instagram"), platform="instagram", external_id=ig_id)


def youtube(make_account: Any, channel_id: str = CHANNEL_ID, **extra: Any) -> Connection:
    return connect(make_account(platform="youtube"), platform="youtube", external_id=channel_id, **extra)


def reading(connection: Connection, on: date = TODAY) -> FigureReading | None:
    return FigureReading.objects.filter(account=connection.account_id, taken_on=on).first()


# --- Meta: the Graph API -------------------------------------------------------------------------------


def test_facebook_and_instagram_counts_are_kept_as_the_days_reading(make_account: Any, graph: Any) -> None:
    """KAU-FOLLOWUP: followers from Facebook; followers and the posts in all from Instagram."""
    page, ig = facebook(make_account), instagram(make_account)
    graph.on("GET", PAGE_ID, (200, {"id": PAGE_ID, "followers_count": 4321, "fan_count": 4000}))
    graph.on("GET", IG_ID, (200, {"id": IG_ID, "followers_count": 980, "media_count": 77}))
    assert record_figures(now=NOW) == 2
    fb = reading(page)
    assert fb is not None
    assert (fb.followers, fb.posts_total, fb.views_total, fb.reactions_total) == (4321, None, None, None)
    assert (fb.source, fb.taken_at) == ("facebook", NOW)
    insta = reading(ig)
    assert insta is not None
    assert (insta.followers, insta.posts_total, insta.source) == (980, 77, "instagram")
    (page_request,) = graph.sent("GET", PAGE_ID)
    assert page_request.query["fields"] == "followers_count,fan_count"
    assert page_request.query["access_token"] == "EAAtoken-1"
    (ig_request,) = graph.sent("GET", IG_ID)
    assert ig_request.query["fields"] == "followers_count,media_count"


def test_a_page_that_gives_no_followers_count_is_read_by_its_likes(make_account: Any, graph: Any) -> None:
    page = facebook(make_account)
    graph.on("GET", PAGE_ID, (200, {"id": PAGE_ID, "fan_count": 3100}))
    record_figures(now=NOW)
    kept = reading(page)
    assert kept is not None
    assert kept.followers == 3100


@pytest.mark.parametrize(
    "answer",
    [
        {"id": PAGE_ID},
        {"id": PAGE_ID, "followers_count": "many"},
        {"id": PAGE_ID, "followers_count": -5},
        {"id": PAGE_ID, "followers_count": 2**31},
        {"id": PAGE_ID, "followers_count": 12.5},
        {"id": PAGE_ID, "followers_count": True},
    ],
)
def test_a_graph_answer_without_a_count_keeps_nothing(make_account: Any, graph: Any, answer: Any) -> None:
    """Everything from the platform is checked: no whole number from 0 up, no reading."""
    page = facebook(make_account)
    graph.on("GET", PAGE_ID, (200, answer))
    assert record_figures(now=NOW) == 0
    assert reading(page) is None


# --- A polled platform, through its module -----------------------------------------------------------------


def test_a_polled_platform_gives_its_counts_through_its_module(make_account: Any, polled: StandIn) -> None:
    """KAU-FOLLOWUP: ``Adapter.figures`` gives the counts by FIGURE_KEYS; all four are kept."""
    channel = youtube(make_account)
    polled.route(
        "GET",
        f"/counts/{CHANNEL_ID}",
        (200, {"followers": 1500, "posts_total": 42, "views_total": 98000, "reactions_total": 3100}),
    )
    assert record_figures(now=NOW) == 1
    kept = reading(channel)
    assert kept is not None
    assert (kept.followers, kept.posts_total, kept.views_total, kept.reactions_total) == (
        1500,
        42,
        98000,
        3100,
    )
    assert kept.source == "youtube"
    (request,) = polled.sent("GET")
    assert request.headers["authorization"] == "Bearer EAAtoken-1"


@pytest.mark.parametrize(
    "answer",
    [
        {"followers": -1},
        {"followers": "1500"},
        {"followers": 2**31},
        {"followers": 1.5},
        {"followers": True},
        {"followers": 10, "posts_total": -2},  # one bad count refuses the whole reading
        {},
        ["not", "an", "object"],
    ],
)
def test_a_module_giving_bad_counts_keeps_nothing_and_the_others_are_read(
    make_account: Any, polled: StandIn, graph: Any, answer: Any
) -> None:
    channel = youtube(make_account)
    page = facebook(make_account)
    polled.route("GET", f"/counts/{CHANNEL_ID}", (200, answer))
    graph.on("GET", PAGE_ID, (200, {"followers_count": 12}))
    assert record_figures(now=NOW) == 1
    assert reading(channel) is None
    assert reading(page) is not None


# --- Failures: one connection never stops the others -----------------------------------------------------


def test_a_failing_connection_is_skipped_and_the_others_are_read(
    make_account: Any, graph: Any, polled: StandIn
) -> None:
    """A 5xx after the client's capped retries, a time-out: logged and skipped; the connection stays
    healthy (tomorrow is another reading) and every other connection is read."""
    failing_page = facebook(make_account)
    ig = instagram(make_account)
    failing_channel = youtube(make_account)
    other_channel = youtube(make_account, channel_id="UC_other_channel_0001")
    graph.on("GET", PAGE_ID, SERVER_ERROR)
    graph.on("GET", IG_ID, (200, {"followers_count": 980, "media_count": 77}))
    polled.route("GET", f"/counts/{CHANNEL_ID}", (503, {"error": "backend"}))
    polled.route("GET", "/counts/UC_other_channel_0001", (200, {"followers": 15}))
    assert record_figures(now=NOW) == 2
    assert reading(failing_page) is None
    assert reading(failing_channel) is None
    assert reading(ig) is not None
    assert reading(other_channel) is not None
    assert len(graph.sent("GET", PAGE_ID)) == 3  # the client's capped retries, then on to the next
    for connection in (failing_page, failing_channel):
        connection.refresh_from_db()
        assert connection.health == Connection.Health.ACTIVE


def test_a_time_out_skips_the_connection(make_account: Any, graph: Any, settings: Any) -> None:
    settings.META_GRAPH_TIMEOUT = 0.3
    slow = facebook(make_account)
    ig = instagram(make_account)
    graph.on("GET", PAGE_ID, Delay(seconds=1.0, body={"followers_count": 1}))
    graph.on("GET", IG_ID, (200, {"followers_count": 980}))
    assert record_figures(now=NOW) == 1
    assert reading(slow) is None
    assert reading(ig) is not None


def test_an_expired_token_turns_the_connection_to_needs_attention(
    cast: Cast, make_account: Any, graph: Any, polled: StandIn
) -> None:
    """KAU-RESP-DAILY: a token error turns the connection to "needs attention" and tells its people,
    as every client does; the others are read; a connection that needs attention is not asked again."""
    expired_page = facebook(make_account)
    expired_channel = youtube(make_account)
    ig = instagram(make_account)
    graph.on("GET", PAGE_ID, TOKEN_EXPIRED)
    graph.on("GET", IG_ID, (200, {"followers_count": 980}))
    polled.route("GET", f"/counts/{CHANNEL_ID}", (401, {"message": "Invalid Credentials"}))
    assert record_figures(now=NOW) == 1
    assert reading(ig) is not None
    for connection in (expired_page, expired_channel):
        connection.refresh_from_db()
        assert (connection.health, connection.cause) == (
            Connection.Health.ATTENTION,
            Connection.Cause.TOKEN_EXPIRED,
        )
        assert reading(connection) is None
    assert Notification.objects.filter(kind="connection_attention").exists()
    calls = len(graph.sent()) + len(polled.sent())
    assert record_figures(now=NOW + timedelta(days=1)) == 1
    assert len(graph.sent()) + len(polled.sent()) == calls + 1  # Instagram only


def test_a_module_raising_a_token_error_itself_is_treated_the_same(
    make_account: Any, polled: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module that refuses without the shared client: the job turns the connection itself."""
    from connectors.errors import TokenError

    channel = youtube(make_account)

    def refuse(connection: Connection) -> dict[str, int]:
        raise TokenError("The token was revoked.")

    monkeypatch.setattr(figures_adapter.ADAPTER, "figures", refuse)
    assert record_figures(now=NOW) == 0
    channel.refresh_from_db()
    assert (channel.health, channel.cause) == (Connection.Health.ATTENTION, Connection.Cause.TOKEN_EXPIRED)


def test_connections_that_cannot_be_read_are_not_asked(cast: Cast, make_account: Any, graph: Any) -> None:
    """Disconnected, without a token, needing attention, or of a closed account: no call."""
    disconnected = facebook(make_account)
    Connection.objects.filter(pk=disconnected.pk).update(disconnected_at=NOW - timedelta(days=3))
    facebook(make_account, page_id="2000000000001", token="")
    attention = facebook(make_account, page_id="2000000000002")
    Connection.objects.filter(pk=attention.pk).update(
        health=Connection.Health.ATTENTION, cause=Connection.Cause.PERMISSION
    )
    closed = facebook(make_account, page_id="2000000000003")
    Account.objects.filter(pk=closed.account_id).update(status=Account.Status.CLOSED, closed_at=NOW)
    graph.on("GET", r"\d+", (200, {"followers_count": 5}))
    assert record_figures(now=NOW) == 0
    assert graph.sent() == []
    assert not FigureReading.objects.exists()


# --- Once a day --------------------------------------------------------------------------------------------


def test_running_twice_a_day_calls_nobody_and_changes_nothing(
    make_account: Any, graph: Any, polled: StandIn
) -> None:
    """KAU-FOLLOWUP: idempotent. The day's first reading stays; the next day gets its own."""
    page = facebook(make_account)
    channel = youtube(make_account)
    graph.on("GET", PAGE_ID, (200, {"followers_count": 100}))
    polled.route("GET", f"/counts/{CHANNEL_ID}", (200, {"followers": 7}))
    assert record_figures(now=NOW) == 2
    calls = len(graph.sent()) + len(polled.sent())
    graph.on("GET", PAGE_ID, (200, {"followers_count": 999}))
    assert record_figures(now=NOW + timedelta(hours=6)) == 0
    assert len(graph.sent()) + len(polled.sent()) == calls
    kept = reading(page)
    assert kept is not None
    assert kept.followers == 100
    assert FigureReading.objects.count() == 2
    assert record_figures(now=NOW + timedelta(days=1)) == 2
    tomorrow = reading(page, TODAY + timedelta(days=1))
    assert tomorrow is not None
    assert tomorrow.followers == 999
    assert reading(channel, TODAY + timedelta(days=1)) is not None


def test_the_job_reads_every_batch_with_the_same_queries_per_batch(make_account: Any, graph: Any) -> None:
    ids = [f"30000000000{number:02d}" for number in range(5)]
    for page_id in ids:
        facebook(make_account, page_id=page_id)
    graph.on("GET", r"\d+", (200, {"followers_count": 5}))
    with CaptureQueriesContext(db) as queries:
        assert record_figures(now=NOW, batch=2) == 5
    assert FigureReading.objects.count() == 5
    selects = [q["sql"] for q in queries.captured_queries if '"connectors_connection"."id" >' in q["sql"]]
    assert len(selects) == 3  # 2 + 2 + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_ask_each_platform_once(cast: Cast, make_account: Any, graph: Any) -> None:
    """Two workers at dawn: the second leaves the day to the first (an advisory lock); each account
    gets one reading and each platform one call."""
    ids = [f"40000000000{number:02d}" for number in range(3)]
    for page_id in ids:
        facebook(make_account, page_id=page_id)
    graph.on("GET", r"\d+", Delay(seconds=0.2, body={"followers_count": 5}))
    results = run_in_threads(lambda: record_figures(now=NOW), lambda: record_figures(now=NOW))
    assert sorted(results) == [0, 3]
    assert len(graph.sent("GET")) == 3
    assert FigureReading.objects.count() == 3


def test_the_readings_keys_are_the_adapters_figure_keys() -> None:
    """The registry names the counts itself (it imports no connector); the two lists agree."""
    from accounts.models import READING_KEYS

    assert READING_KEYS == adapters.FIGURE_KEYS


# --- Kanalvakt's own counts for the follow-up form -----------------------------------------------------


def test_posts_and_comments_of_the_period_are_counted_where_a_connection_brings_them(
    cast: Cast, make_account: Any
) -> None:
    """KAU-FOLLOWUP: posts published and comments received on the period's Stockholm days."""
    from moderation import services

    page = facebook(make_account)  # connected 1 November 2026
    account = page.account
    start, end = date(2030, 2, 1), date(2030, 2, 28)
    first_minute = datetime(2030, 2, 1, 0, 0, tzinfo=STOCKHOLM)
    last_minute = datetime(2030, 2, 28, 23, 59, tzinfo=STOCKHOLM)
    for number, published in enumerate(
        (first_minute, last_minute, first_minute - timedelta(minutes=1), last_minute + timedelta(minutes=1))
    ):
        Publication.objects.create(
            account=account, kind="post", platform_id=f"{PAGE_ID}_{number}", published_at=published
        )
    Publication.objects.create(
        account=account, kind="reply", platform_id=f"{PAGE_ID}_r", published_at=last_minute
    )
    for number, (kind, received) in enumerate(
        (("comment", first_minute), ("comment", last_minute), ("message", last_minute), ("comment", NOW))
    ):
        services.log_item(
            account,
            kind=kind,
            author="@besokare",
            text="Hej",
            platform_id=f"c-{number}",
            received_at=received,
            now=NOW,
            by=cast["communicator"],
        )
    assert counted_figures(account, start, end) == {"posts": 2, "comments": 2}


def test_nothing_is_counted_without_a_connection_or_one_made_after_the_period_began(
    make_account: Any,
) -> None:
    """A count of what nobody brought in would be a wrong figure, not a small one."""
    not_connected = make_account(platform="facebook_page")
    assert counted_figures(not_connected, date(2026, 12, 1), date(2026, 12, 31)) == {}
    page = facebook(make_account)  # connected 1 November 2026; its first read goes 14 days back
    assert counted_figures(page.account, date(2026, 10, 19), date(2026, 12, 31)) != {}
    assert counted_figures(page.account, date(2026, 10, 16), date(2026, 12, 31)) == {}

"""The hourly reconciliation poll and the 14-day backfill against the stand-in: pages with cursors,
the page's own writing kept as publications, the same item through webhook and poll one item, the
claim over next_poll_at, and a token error turning the connection to needs attention (KAU-RESP-DAILY)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors import intake, reconcile
from connectors.models import Connection, Event
from moderation.models import Item, Publication
from tests.connectors.graph_standin import TOKEN_EXPIRED, GraphStandIn, connect, graph_api
from tests.support import run_in_threads

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PAGE = "1122334455"
IG = "17841400000000001"


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S+0000")


@pytest.fixture
def fb(make_account: Any) -> Connection:
    return connect(make_account(platform="facebook_page"), external_id=PAGE)


def facebook_page(api: GraphStandIn) -> None:
    """Two pages of the feed (the page's own post, a visitor's post), comments in two pages with a
    reply by the page and a reply to a reply, and a conversation."""
    api.paged(
        f"{PAGE}/feed",
        [
            [
                {
                    "id": f"{PAGE}_1",
                    "message": "Välkommen till öppet hus!",
                    "created_time": at(100),
                    "permalink_url": "https://www.facebook.com/kau/posts/1",
                    "from": {"id": PAGE, "name": "Karlstads universitet"},
                }
            ],
            [
                {
                    "id": f"{PAGE}_2",
                    "message": "Varför är mensan stängd?",
                    "created_time": at(50),
                    "from": {"id": "42", "name": "Besökare Ett"},
                    "unknown_field": {"x": 1},
                }
            ],
        ],
    )
    api.paged(
        f"{PAGE}_1/comments",
        [
            [
                {
                    "id": "1_c1",
                    "message": "När börjar det? 😀",
                    "created_time": at(90),
                    "from": {"id": "43", "name": "Anna"},
                }
            ],
            [
                {
                    "id": "1_c2",
                    "message": "Klockan tio!",
                    "created_time": at(89),
                    "from": {"id": PAGE, "name": "KaU"},
                    "parent": {"id": "1_c1"},
                },
                {
                    "id": "1_c3",
                    "message": "Tack!",
                    "created_time": at(88),
                    "from": {"id": "43", "name": "Anna"},
                    "parent": {"id": "1_c2"},
                },
                {
                    "id": "1_old",
                    "message": "Gammal",
                    "created_time": at(24 * 20),
                    "from": {"id": "44", "name": "B"},
                },
                {"message": "utan id", "created_time": at(10)},
            ],
        ],
    )
    api.paged(f"{PAGE}_2/comments", [[]])
    api.paged(
        f"{PAGE}/conversations",
        [
            [
                {
                    "id": "t_1",
                    "updated_time": at(2),
                    "messages": {
                        "data": [
                            {
                                "id": "m_2",
                                "message": "Hej, fick ni mitt mejl?",
                                "created_time": at(2),
                                "from": {"id": "77", "name": "Elev"},
                            },
                            {
                                "id": "m_1",
                                "message": "Vi svarar snart.",
                                "created_time": at(3),
                                "from": {"id": PAGE, "name": "KaU"},
                            },
                        ]
                    },
                }
            ]
        ],
    )


def test_the_backfill_reads_14_days_with_cursors_and_keeps_progress(settings: Any, fb: Connection) -> None:
    with graph_api(settings) as api:
        facebook_page(api)
        reconcile.start_backfill(fb, now=NOW)
        fb.refresh_from_db()
        assert fb.backfill_state == "running"
        assert reconcile.run_backfill(fb.pk, now=NOW) == "done"
        feed = api.sent("GET", f"{PAGE}/feed")
    assert [r.query.get("after") for r in feed] == [None, "1"]
    assert int(feed[0].query["since"]) == int((NOW - timedelta(days=14)).timestamp())
    items = {i.platform_id: i for i in Item.objects.filter(account=fb.account)}
    assert set(items) == {f"{PAGE}_2", "1_c1", "1_c3", "m_2"}
    assert (items["1_c3"].in_reply_to, items["1_c3"].author_platform_id, items["1_c3"].source) == (
        "1_c2",
        "43",
        "platform",
    )
    assert items["m_2"].kind == "message"
    assert items["1_c1"].text == "När börjar det? 😀"
    assert set(Publication.objects.filter(account=fb.account).values_list("platform_id", flat=True)) == {
        f"{PAGE}_1",
        "1_c2",
        "m_1",
    }
    fb.refresh_from_db()
    assert fb.backfill_state == "done"
    progress = fb.backfill_progress
    assert (progress["posts"], progress["comments"], progress["messages"], progress["created"]) == (
        2,
        3,
        2,
        4,
    )
    assert progress["errors"] == 1
    assert progress["through"] == (NOW - timedelta(hours=100)).isoformat()
    assert Event.objects.filter(connection=fb, delivery=None, outcome="created").count() == 4
    assert Event.objects.get(outcome="error").payload == {"message": "utan id", "created_time": at(10)}
    assert fb.polled_until == NOW
    assert fb.health == "active"


def test_the_poll_after_a_webhook_adds_only_what_is_missing(settings: Any, fb: Connection) -> None:
    """The same item through webhook and poll is one item."""
    intake.apply(
        fb,
        intake.Incoming(
            change=intake.Change.ADD,
            platform_id="1_c1",
            author="Anna",
            text="När börjar det? 😀",
            at=NOW - timedelta(hours=90),
        ),
        now=NOW,
    )
    with graph_api(settings) as api:
        facebook_page(api)
        tally = reconcile.reconcile_connection(fb, now=NOW)
        again = reconcile.reconcile_connection(fb, now=NOW + timedelta(hours=1))
    assert tally is not None
    assert tally.created == 3
    assert again is not None
    assert again.created == 0
    assert Item.objects.filter(account=fb.account, platform_id="1_c1").count() == 1
    assert Item.objects.filter(account=fb.account).count() == 4


def test_the_due_sweep_polls_each_connection_at_most_hourly(settings: Any, fb: Connection) -> None:
    with graph_api(settings) as api:
        facebook_page(api)
        assert reconcile.reconcile_due(now=NOW) == 1
        assert reconcile.reconcile_due(now=NOW + timedelta(minutes=30)) == 0
        assert reconcile.reconcile_due(now=NOW + timedelta(minutes=61)) == 1
    fb.refresh_from_db()
    assert fb.next_poll_at == NOW + timedelta(minutes=121)


def test_connections_without_a_token_or_disconnected_are_not_polled(fb: Connection) -> None:
    Connection.objects.filter(pk=fb.pk).update(token_encrypted="")
    assert reconcile.reconcile_due(now=NOW) == 0
    Connection.objects.filter(pk=fb.pk).update(token_encrypted="x", disconnected_at=NOW)
    assert reconcile.reconcile_due(now=NOW) == 0


def test_an_expired_token_during_the_poll_needs_attention_kau_resp_daily(
    settings: Any, fb: Connection
) -> None:
    with graph_api(settings) as api:
        api.on("GET", f"{PAGE}/feed", TOKEN_EXPIRED)
        assert reconcile.reconcile_connection(fb, now=NOW) is None
        reconcile.start_backfill(fb, now=NOW)
        assert reconcile.run_backfill(fb.pk, now=NOW) == "failed"
    fb.refresh_from_db()
    assert (fb.health, fb.cause, fb.polled_until) == ("attention", "token_expired", None)
    assert fb.backfill_state == "failed"
    assert "Session has expired" in fb.backfill_progress["error"]


def test_a_successful_poll_makes_the_connection_healthy_again(settings: Any, fb: Connection) -> None:
    Connection.objects.filter(pk=fb.pk).update(health="attention", cause="token_expired")
    with graph_api(settings) as api:
        facebook_page(api)
        reconcile.reconcile_connection(fb, now=NOW)
    fb.refresh_from_db()
    assert (fb.health, fb.cause) == ("active", "")


def test_instagram_media_comments_replies_and_conversations(settings: Any, make_account: Any) -> None:
    ig = connect(make_account(platform="instagram"), platform="instagram", external_id=IG)
    with graph_api(settings) as api:
        api.paged(
            f"{IG}/media",
            [
                [
                    {
                        "id": "m1",
                        "caption": "Campus i höst",
                        "timestamp": at(30),
                        "permalink": "https://www.instagram.com/p/abc/",
                    }
                ]
            ],
        )
        api.paged(
            "m1/comments",
            [
                [
                    {
                        "id": "c1",
                        "text": "Snyggt!",
                        "timestamp": at(20),
                        "username": "anna",
                        "from": {"id": "501", "username": "anna"},
                        "replies": {
                            "data": [
                                {
                                    "id": "c2",
                                    "text": "Tack!",
                                    "timestamp": at(19),
                                    "from": {"id": IG, "username": "kau"},
                                }
                            ]
                        },
                    }
                ]
            ],
        )
        api.paged(
            f"{IG}/conversations",
            [
                [
                    {
                        "id": "t",
                        "updated_time": at(1),
                        "messages": {
                            "data": [
                                {
                                    "id": "im1",
                                    "message": "Hej",
                                    "created_time": at(1),
                                    "from": {"id": "601", "username": "bo"},
                                }
                            ]
                        },
                    }
                ]
            ],
        )
        reconcile.reconcile_connection(ig, now=NOW)
        [conversations] = api.sent("GET", f"{IG}/conversations")
    assert conversations.query["platform"] == "instagram"
    assert set(Item.objects.filter(account=ig.account).values_list("platform_id", "author")) == {
        ("c1", "anna"),
        ("im1", "bo"),
    }
    assert Publication.objects.get(platform_id="c2").in_reply_to == "c1"
    assert Publication.objects.get(platform_id="m1").kind == "post"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_poll_a_connection_once(settings: Any, fb: Connection) -> None:
    with graph_api(settings) as api:
        facebook_page(api)
        results = run_in_threads(
            lambda: reconcile.reconcile_due(now=NOW), lambda: reconcile.reconcile_due(now=NOW)
        )
        assert len(api.sent("GET", f"{PAGE}/feed")) == 2  # one poll: two pages
    assert sorted(results) == [0, 1]

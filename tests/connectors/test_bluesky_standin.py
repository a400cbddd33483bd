"""Bluesky where the reference network cannot show it (tests/connectors/bluesky_standin.py): a rate
limit with its reset time, 5xx answers, a time-out while answering, paging and the overlap of the
cursor, and direct messages, which need Bluesky's chat service (not part of the reference network).
The rest is tested against the real network in test_bluesky.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.utils import timezone

from connectors import outgoing, polling
from connectors.bluesky import ADAPTER
from connectors.models import Connection, Event, Outgoing
from moderation import services as moderation
from moderation.models import Item, Publication
from tests.connectors.bluesky_standin import (
    OWN_DID,
    VISITOR_DID,
    Delay,
    Request,
    Server,
    bluesky_server,
    error,
    session,
)

pytestmark = pytest.mark.django_db
PROXY = "did:web:api.bsky.chat#bsky_chat"


@pytest.fixture
def server(settings: Any) -> Iterator[Server]:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.CONNECTOR_RETRY_DELAY = 0
    settings.CONNECTOR_TIMEOUT = 2
    with bluesky_server() as running:
        running.route("GET", "app.bsky.feed.getAuthorFeed", (200, {"feed": []}))
        yield running


def connected(make_account: Any, server: Server, scope: str = "com.atproto.appPass") -> Connection:
    connection = Connection(
        account=make_account(platform="bluesky", handle="kau.se"),
        platform="bluesky",
        external_id=OWN_DID,
        server_url=server.base_url,
        name_on_platform="@kau.se",
        connected_at=timezone.now(),
    )
    connection.token = "abcd-efgh-ijkl-mnop"
    connection.session = session(scope)
    connection.save()
    return connection


@pytest.fixture
def connection(make_account: Any, server: Server) -> Connection:
    return connected(make_account, server)


def ago(**delta: Any) -> str:
    return (timezone.now() - timedelta(**delta)).astimezone(UTC).isoformat().replace("+00:00", "Z")


def notification(rkey: str, at: str, text: str = "Hej!", reason: str = "reply") -> dict[str, Any]:
    uri = f"at://{VISITOR_DID}/app.bsky.feed.post/{rkey}"
    return {
        "uri": uri,
        "cid": f"bafyrei{rkey}cid0000000000000000000000000000",
        "author": {"did": VISITOR_DID, "handle": "besokare.bsky.social"},
        "reason": reason,
        "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": at},
        "isRead": False,
        "indexedAt": at,
    }


def poll(connection: Connection) -> Any:
    connection.refresh_from_db()
    return polling.poll_connection(connection, now=timezone.now())


# --- Rate limits and failures ------------------------------------------------------------------------------


def test_a_rate_limit_waits_until_bluesky_says_it_resets(connection: Connection, server: Server) -> None:
    reset = int(timezone.now().timestamp()) + 1800
    server.route(
        "GET",
        "app.bsky.notification.listNotifications",
        error(
            429,
            "RateLimitExceeded",
            "Rate Limit Exceeded",
            {
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "3000;w=300",
            },
        ),
    )
    now = timezone.now()
    assert polling.poll_connection(connection, now=now) is None
    connection.refresh_from_db()
    assert len(server.sent("app.bsky.notification.listNotifications")) == 1  # a 429 is not retried at once
    assert connection.poll_failures == 1
    assert "Rate Limit Exceeded" in connection.last_error
    assert connection.next_poll_at is not None
    assert abs((connection.next_poll_at - now).total_seconds() - 1800) < 30
    assert connection.health == Connection.Health.ACTIVE
    assert connection.cursor == {}


def test_a_server_error_is_retried_then_backed_off(connection: Connection, server: Server) -> None:
    server.route(
        "GET", "app.bsky.notification.listNotifications", error(502, "UpstreamFailure", "Upstream Failure")
    )
    assert poll(connection) is None
    assert len(server.sent("app.bsky.notification.listNotifications")) == 3  # capped retries
    connection.refresh_from_db()
    assert connection.poll_failures == 1
    assert connection.health == Connection.Health.ACTIVE
    # Five in a row: the platform keeps failing, and someone is told (KAU-RESP-DAILY).
    Connection.objects.filter(pk=connection.pk).update(poll_failures=4)
    poll(connection)
    connection.refresh_from_db()
    assert (connection.health, connection.cause) == (Connection.Health.ATTENTION, Connection.Cause.FAILING)


def test_a_refused_app_password_with_createsession_rate_limited_only_waits(
    connection: Connection, server: Server
) -> None:
    """The refresh token is refused; the new session is rate-limited (30 per 5 minutes): wait, do not
    tell anyone the token is bad."""
    expired = session(ttl=-120)
    connection.session = {**connection.session, "accessJwt": expired["accessJwt"]}
    connection.save()
    server.route(
        "POST", "com.atproto.server.refreshSession", error(400, "ExpiredToken", "Token has been revoked")
    )
    server.route(
        "POST",
        "com.atproto.server.createSession",
        error(
            429,
            "RateLimitExceeded",
            "Rate Limit Exceeded",
            {"ratelimit-reset": str(int(timezone.now().timestamp()) + 300)},
        ),
    )
    assert poll(connection) is None
    connection.refresh_from_db()
    assert connection.health == Connection.Health.ACTIVE
    assert not server.sent("app.bsky.notification.listNotifications")  # the expired token was not sent
    assert len(server.sent("com.atproto.server.createSession")) == 1


def test_an_answer_that_times_out_is_unknown_and_never_sent_again(
    connection: Connection, server: Server, cast: Any
) -> None:
    uri = f"at://{VISITOR_DID}/app.bsky.feed.post/3kq2abcdefg22"
    post = {
        "uri": uri,
        "cid": "bafyreiabcdefghijklmnop",
        "record": {"$type": "app.bsky.feed.post", "text": "?"},
    }
    server.route("GET", "app.bsky.feed.getPosts", (200, {"posts": [post]}))
    server.route("POST", "com.atproto.repo.createRecord", Delay(4, 200, {"uri": "at://x", "cid": "y"}))
    item = moderation.log_item(
        connection.account,
        kind="comment",
        author="@besokare.bsky.social",
        text="?",
        received_at=timezone.now(),
        by=None,
        now=timezone.now(),
        platform_id=uri,
        source=Item.Source.PLATFORM,
    )
    moderation.answer_item(item, answer="Svar", by=cast["communicator"], now=timezone.now())
    row = Outgoing.objects.get(item=item)
    assert outgoing.send(row.pk, now=timezone.now()) == Outgoing.Status.UNKNOWN
    assert outgoing.send(row.pk, now=timezone.now()) is None
    assert len(server.sent("com.atproto.repo.createRecord")) == 1
    # The reply names the post as its root and parent: it is no reply itself.
    sent = server.sent("com.atproto.repo.createRecord")[0].json
    assert sent["record"]["reply"] == {
        "root": {"uri": uri, "cid": post["cid"]},
        "parent": {"uri": uri, "cid": post["cid"]},
    }
    assert sent["repo"] == OWN_DID
    assert sent["collection"] == "app.bsky.feed.post"


# --- Paging and the cursor ---------------------------------------------------------------------------


def test_the_first_poll_pages_back_14_days_and_later_polls_stop_at_the_cursor(
    connection: Connection, server: Server
) -> None:
    pages = {
        None: {"notifications": [notification("3kaaaaaaaaa33", ago(minutes=5), "Nyast")], "cursor": "c1"},
        "c1": {
            "notifications": [
                notification("3kaaaaaaaaa22", ago(days=3), "Äldre", reason="mention"),
                notification("3kaaaaaaaaa11", ago(days=20), "För gammal"),
            ],
            "cursor": "c2",
        },
    }

    def listed(request: Request) -> Any:
        assert request.query["reasons"] == ["mention", "quote", "reply"]
        assert request.query["priority"] == ["false"]
        assert "seenAt" not in request.query
        return 200, pages[request.query.get("cursor", [None])[0]]

    server.route("GET", "app.bsky.notification.listNotifications", listed)
    assert poll(connection).created == 2
    assert [i.text for i in Item.objects.order_by("received_at")] == ["Äldre", "Nyast"]
    assert len(server.sent("app.bsky.notification.listNotifications")) == 2  # stopped at 14 days

    # Later: a new one, and one whose writer's clock ran behind (it sorts just before the cursor).
    pages[None] = {
        "notifications": [
            notification("3kaaaaaaaaa44", ago(minutes=1), "Ny"),
            notification("3kaaaaaaaaa33", ago(minutes=5), "Nyast"),
            notification("3kaaaaaaaaa35", ago(minutes=7), "Sen klocka"),
            notification("3kaaaaaaaaa30", ago(hours=2), "Gammal"),
        ],
        "cursor": "c1",
    }
    before = len(server.sent("app.bsky.notification.listNotifications"))
    assert poll(connection).created == 2
    assert len(server.sent("app.bsky.notification.listNotifications")) == before + 1
    assert set(Item.objects.values_list("text", flat=True)) == {"Äldre", "Nyast", "Ny", "Sen klocka"}
    # Nothing new: one call, no rows.
    connection.refresh_from_db()
    assert ADAPTER.poll(connection, cursor=connection.cursor, now=timezone.now()).rows == []


def test_a_hostile_row_is_kept_as_malformed_and_the_others_go_on(
    connection: Connection, server: Server
) -> None:
    bad = notification("3kaaaaaaaaa55", ago(minutes=3))
    bad["author"] = {"did": "did:plc:someoneelse0000000000000", "handle": "x.test"}
    server.route(
        "GET",
        "app.bsky.notification.listNotifications",
        (200, {"notifications": ["not a row", bad, notification("3kaaaaaaaaa66", ago(minutes=2))]}),
    )
    tally = poll(connection)
    assert (tally.created, tally.errors) == (1, 2)
    assert Event.objects.filter(outcome=Event.Outcome.ERROR).count() == 2
    # The malformed rows are not read again at the next poll.
    assert poll(connection).errors == 0


def test_a_time_in_the_future_does_not_hold_the_cursor_ahead(connection: Connection, server: Server) -> None:
    future = notification("3kaaaaaaaaa88", "2099-01-01T00:00:00Z", "Framtiden")
    server.route("GET", "app.bsky.notification.listNotifications", (200, {"notifications": [future]}))
    assert poll(connection).created == 1
    later = notification("3kaaaaaaaaa99", ago(seconds=5), "Sedan")
    server.route("GET", "app.bsky.notification.listNotifications", (200, {"notifications": [future, later]}))
    assert poll(connection).created == 1
    assert Item.objects.filter(text="Sedan").exists()


def test_a_garbled_cursor_is_read_as_a_new_connection(connection: Connection, server: Server) -> None:
    server.route(
        "GET",
        "app.bsky.notification.listNotifications",
        (200, {"notifications": [notification("3kaaaaaaaaa77", ago(days=1))]}),
    )
    Connection.objects.filter(pk=connection.pk).update(
        cursor={"notifications": {"at": "yesterday", "seen": ["x"]}, "own": 5, "dm": "off"}
    )
    assert poll(connection).created == 1


# --- Direct messages (Bluesky's chat service) --------------------------------------------------------


def chat(server: Server, messages: list[dict[str, Any]], *, rev: str = "3lbbbbbbbbb22") -> None:
    convo = {
        "id": "3lconvo0001",
        "rev": rev,
        "members": [
            {"did": OWN_DID, "handle": "kau.se"},
            {"did": VISITOR_DID, "handle": "besokare.bsky.social"},
        ],
        "lastMessage": {"$type": "chat.bsky.convo.defs#messageView", **messages[0]} if messages else None,
        "muted": False,
        "unreadCount": 1,
    }

    def listed(request: Request) -> Any:
        assert request.headers["atproto-proxy"] == PROXY
        return 200, {"convos": [convo]}

    def got(request: Request) -> Any:
        assert request.headers["atproto-proxy"] == PROXY
        assert request.query["convoId"] == ["3lconvo0001"]
        return 200, {"messages": messages}

    server.route("GET", "chat.bsky.convo.listConvos", listed)
    server.route("GET", "chat.bsky.convo.getMessages", got)


def message(ident: str, rev: str, sender: str, text: str, at: str) -> dict[str, Any]:
    return {
        "$type": "chat.bsky.convo.defs#messageView",
        "id": ident,
        "rev": rev,
        "text": text,
        "sender": {"did": sender},
        "sentAt": at,
    }


def test_direct_messages_become_items_and_the_answer_is_sent_in_the_conversation(
    make_account: Any, server: Server, cast: Any
) -> None:
    connection = connected(make_account, server, scope="com.atproto.appPassPrivileged")
    server.route("GET", "app.bsky.notification.listNotifications", (200, {"notifications": []}))
    chat(
        server,
        [
            message("msg3", "3lbbbbbbbbb22", VISITOR_DID, "Tack!", ago(minutes=1)),
            {
                "$type": "chat.bsky.convo.defs#deletedMessageView",
                "id": "msg2",
                "rev": "3lbbbbbbbbb11",
                "sender": {"did": VISITOR_DID},
                "sentAt": ago(minutes=2),
            },
            message("msg1", "3lbbbbbbbbb00", OWN_DID, "Hej, vad gäller det?", ago(minutes=3)),
            {"$type": "chat.bsky.convo.defs#messageView", "id": "bad id!", "rev": "3lbbbbbbbaa99"},
        ],
    )
    tally = poll(connection)
    assert (tally.created, tally.errors) == (1, 1)
    item = Item.objects.get(account=connection.account)
    assert (item.kind, item.platform_id, item.author, item.author_platform_id, item.text) == (
        Item.Kind.MESSAGE,
        "dm:3lconvo0001/msg3",
        "@besokare.bsky.social",
        VISITOR_DID,
        "Tack!",
    )
    mine = Publication.objects.get(account=connection.account)
    assert (mine.kind, mine.text) == (Publication.Kind.MESSAGE, "Hej, vad gäller det?")
    assert Event.objects.get(item=item).payload["convoId"] == "3lconvo0001"

    # Nothing new in the conversation: its messages are not asked for again.
    poll(connection)
    assert len(server.sent("chat.bsky.convo.getMessages")) == 1

    server.route(
        "POST",
        "chat.bsky.convo.sendMessage",
        lambda request: (
            200,
            message("msg4", "3lbbbbbbbbb33", OWN_DID, request.json["message"]["text"], ago(seconds=1)),
        ),
    )
    moderation.answer_item(item, answer="Varsågod! 😊", by=cast["communicator"], now=timezone.now())
    row = Outgoing.objects.get(item=item)
    assert outgoing.send(row.pk, now=timezone.now()) == Outgoing.Status.DONE
    [sent] = server.sent("chat.bsky.convo.sendMessage")
    assert sent.json == {"convoId": "3lconvo0001", "message": {"text": "Varsågod! 😊"}}
    assert sent.headers["atproto-proxy"] == PROXY
    row.refresh_from_db()
    assert row.platform_ref == "dm:3lconvo0001/msg4"


def test_an_app_password_without_direct_messages_is_not_asked_and_a_refusal_waits_a_day(
    make_account: Any, server: Server
) -> None:
    server.route("GET", "app.bsky.notification.listNotifications", (200, {"notifications": []}))
    plain = connected(make_account, server, scope="com.atproto.appPass")
    poll(plain)
    assert not server.sent("chat.bsky.convo.listConvos")

    # A token that does not say its scope: asked, refused as the PDS refuses it, not asked again today.
    Connection.objects.filter(pk=plain.pk).update(cursor={})
    plain.refresh_from_db()
    plain.session = {**plain.session, "accessJwt": "opaque-token-0123456789"}
    plain.save()
    server.route("GET", "chat.bsky.convo.listConvos", error(400, "InvalidToken", "Bad token method"))
    assert poll(plain) is not None
    poll(plain)
    assert len(server.sent("chat.bsky.convo.listConvos")) == 1
    plain.refresh_from_db()
    assert plain.health == Connection.Health.ACTIVE
    assert "Bad token method" in plain.cursor["dm"]["why"]

"""The Mastodon connector against a stand-in server speaking Mastodon's documented shapes: connecting
(the user name checked with the token, the server's address checked), the poll (14 days back in pages,
forward from the cursor, nothing new for two calls, direct mentions as messages, HTML as plain text,
the account's own statuses as its record, malformed rows kept), its backoff (429 until the reset, 5xx,
401 needs attention), and answers (a reply with the original's visibility and an Idempotency-Key;
removal not possible) (KAU-RESP-DAILY, KAU-PUBLIC-RECORD, KAU-RESPONSE-DEADLINE)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from connectors import polling, services
from connectors.adapters import adapter_for
from connectors.intake import Tally
from connectors.mastodon import ADAPTER
from connectors.mastodon.api import normalise_server
from connectors.mastodon.parse import MAX_TEXT, html_to_text
from connectors.models import Connection, Event
from moderation.models import Item, LogEntry, Publication
from tests.connectors.mastodon_standin import (
    ACCOUNT_ID,
    TOKEN,
    VISITOR,
    Server,
    iso,
    mastodon_server,
)
from tests.support import login

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
NOTIFICATIONS = "/api/v1/notifications"
OWN = f"/api/v1/accounts/{ACCOUNT_ID}/statuses"


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


@pytest.fixture
def server(settings: Any) -> Iterator[Server]:
    with mastodon_server(settings) as server:
        server.now = NOW
        yield server


@pytest.fixture
def account(make_account: Any) -> Any:
    return make_account(platform="mastodon", name="Karlstads universitet på Mastodon", handle="kau")


def connect(
    account: Any, server: Server, *, name: str = "@kau", token: str = TOKEN, url: str = ""
) -> Connection:
    return services.connect(
        account,
        platform="mastodon",
        external_id=name,
        token=token,
        server_url=url or server.base_url,
        by=None,
        now=NOW,
    )


@pytest.fixture
def connection(account: Any, server: Server) -> Connection:
    connection = connect(account, server)
    server.http.requests.clear()
    return connection


def poll(connection: Connection, now: datetime = NOW) -> Tally | None:
    connection.refresh_from_db()
    return polling.poll_connection(connection, now=now)


def item_of(notification: dict[str, Any]) -> Item:
    return Item.objects.get(platform_id=notification["status"]["id"])


# --- Connecting ------------------------------------------------------------------------------------------


def test_mastodon_is_a_polled_platform_with_a_server() -> None:
    adapter = adapter_for("mastodon")
    assert adapter is ADAPTER
    assert adapter.needs_server
    assert adapter.help_template == "connectors/help/mastodon.html"
    assert adapter.interval() == timedelta(minutes=2)


def test_connecting_checks_the_user_name_with_the_token(account: Any, server: Server) -> None:
    connection = connect(account, server, name="@KAU@127.0.0.1", url=server.base_url + "/")
    assert (connection.external_id, connection.name_on_platform, connection.server_url) == (
        ACCOUNT_ID,
        "@kau",
        server.base_url,
    )
    assert connection.health == Connection.Health.ACTIVE
    assert connection.token == TOKEN
    assert TOKEN not in connection.token_encrypted
    [asked] = server.sent("GET", "/api/v1/accounts/verify_credentials")
    assert asked.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("name", ["@annan", "kau@mastodon.social"])
def test_a_token_of_another_account_or_server_is_refused(account: Any, server: Server, name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        connect(account, server, name=name)
    assert "token" in refused.value.error_dict
    assert not Connection.objects.exists()


def test_a_token_the_server_refuses_is_not_kept(account: Any, server: Server) -> None:
    with pytest.raises(ValidationError) as refused:
        connect(account, server, token="not-the-token")
    assert "HTTP 401" in str(refused.value.error_dict["token"])
    assert not Connection.objects.exists()


def test_a_server_at_an_inside_address_is_refused(settings: Any, account: Any, server: Server) -> None:
    """Without KANALVAKT_OUTBOUND_ALLOW_NETWORKS a server that is (or resolves to) an inside address is
    never called: connectors.http checks every address (core.outbound)."""
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []
    port = server.base_url.rsplit(":", 1)[1]
    for address in (f"https://127.0.0.1:{port}", f"https://localhost:{port}", f"http://127.0.0.1:{port}"):
        with pytest.raises(ValidationError) as refused:
            connect(account, server, url=address)
        assert "server_url" in refused.value.error_dict
    assert server.sent() == []
    assert not Connection.objects.exists()


def test_the_servers_address_is_normalised(settings: Any) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []
    assert normalise_server(" HTTPS://Mastodon.Social/ ") == "https://mastodon.social"
    assert normalise_server("https://mastodon.social:443") == "https://mastodon.social"
    assert normalise_server("https://mastodon.social:8443") == "https://mastodon.social:8443"
    assert normalise_server("https://bücher.example") == "https://xn--bcher-kva.example"
    for refused in (
        "",
        "mastodon.social",
        "http://mastodon.social",
        "https://mastodon.social/@kau",
        "https://kau:secret@mastodon.social",
        "https://mastodon.social/?next=x",
        "https://mastodon.social#x",
        "javascript:alert(1)",
        "https://",
        "https://under_score.example",
    ):
        with pytest.raises(ValidationError):
            normalise_server(refused)


def test_replacing_the_token_checks_the_same_account(connection: Connection, server: Server) -> None:
    replaced = services.set_token(connection, token=TOKEN, by=None, now=NOW)
    assert replaced.external_id == ACCOUNT_ID
    server.account = {**server.account, "id": "109000000000000099"}
    with pytest.raises(ValidationError):
        services.set_token(connection, token=TOKEN, by=None, now=NOW)


# --- The poll ------------------------------------------------------------------------------------------


def test_the_first_poll_reads_back_14_days_in_pages(connection: Connection, server: Server) -> None:
    server.limit_cap = 2  # the server's own page size: the Link header pages it
    server.mention("<p>Gammal fråga</p>", at=ago(days=15))
    own = server.own("<p>Välkommen till öppet hus!</p>", at=ago(days=3))
    server.notify(own, at=ago(days=2), kind="favourite")
    mentions = [server.mention(f"<p>@kau Fråga {n}</p>", at=ago(days=10 - n)) for n in range(5)]

    tally = poll(connection)

    assert tally is not None
    assert tally.created == 5
    asked = server.sent("GET", NOTIFICATIONS)
    assert [r.query.get("max_id") for r in asked] == [None, mentions[3]["id"], mentions[1]["id"]]
    assert all(r.query["types[]"] == "mention" for r in asked)  # the Link keeps the filter
    assert len(server.sent("GET", OWN)) == 1
    items = Item.objects.filter(account=connection.account).order_by("received_at")
    assert [i.text for i in items] == [f"@kau Fråga {n}" for n in range(5)]
    first = items[0]
    assert (first.kind, first.author, first.author_platform_id, first.in_reply_to) == (
        "comment",
        "anna@example.org",
        VISITOR["id"],
        "",
    )
    assert first.received_at == datetime.fromisoformat(mentions[0]["status"]["created_at"])
    assert first.url == mentions[0]["status"]["url"]
    # The raw answer is kept with the item (KAU-PUBLIC-RECORD).
    event = Event.objects.get(item=first)
    assert event.payload["status"]["content"] == "<p>@kau Fråga 0</p>"
    assert Publication.objects.get(platform_id=own["id"]).kind == Publication.Kind.POST
    connection.refresh_from_db()
    assert connection.cursor == {"mention": mentions[4]["id"], "own": own["id"]}


def test_a_poll_with_nothing_new_costs_two_calls_and_creates_nothing(
    connection: Connection, server: Server, django_assert_num_queries: Any
) -> None:
    server.mention("<p>@kau Hej</p>", at=ago(hours=3))
    server.own("<p>Nyhet</p>", at=ago(hours=2))
    poll(connection)
    connection.refresh_from_db()
    cursor = dict(connection.cursor)
    server.http.requests.clear()
    counts = (Item.objects.count(), Event.objects.count(), Publication.objects.count())

    with django_assert_num_queries(1):  # the cursor's UPDATE, nothing else
        tally = polling.poll_connection(connection, now=NOW + timedelta(minutes=2))

    assert tally is not None
    assert not tally.seen
    assert [(r.path, r.query.get("min_id")) for r in server.sent()] == [
        (NOTIFICATIONS, cursor["mention"]),
        (OWN, cursor["own"]),
    ]
    assert (Item.objects.count(), Event.objects.count(), Publication.objects.count()) == counts
    connection.refresh_from_db()
    assert connection.cursor == cursor


def test_new_mentions_are_read_forward_from_the_cursor(connection: Connection, server: Server) -> None:
    server.mention("<p>Först</p>", at=ago(hours=5))
    poll(connection)
    server.limit_cap = 2
    news = [server.mention(f"<p>Ny {n}</p>", at=ago(hours=3 - n)) for n in range(3)]
    server.http.requests.clear()

    tally = poll(connection, NOW + timedelta(minutes=2))

    assert tally is not None
    assert tally.created == 3
    asked = server.sent("GET", NOTIFICATIONS)
    # The second page is the server's rel="prev" link: min_id of the newest of the first page.
    assert [r.query["min_id"] for r in asked][1:] == [news[1]["id"]]
    assert len(asked) == 2
    connection.refresh_from_db()
    assert connection.cursor["mention"] == news[2]["id"]


def test_a_paging_link_elsewhere_is_not_followed(connection: Connection, server: Server) -> None:
    rows = [server.mention(f"<p>{n}</p>", at=ago(hours=n + 1)) for n in range(2)]
    for link in (
        '<https://evil.example/api/v1/notifications?max_id=1>; rel="next"',
        f'<{server.base_url}/api/v1/admin/accounts?max_id=1>; rel="next"',
    ):
        server.on("GET", NOTIFICATIONS, (200, rows, {"Link": link}))
        Connection.objects.filter(pk=connection.pk).update(cursor={})
        server.http.requests.clear()
        assert poll(connection) is not None
        assert [r.path for r in server.sent()] == [NOTIFICATIONS, OWN]
    assert Item.objects.count() == 2


def test_a_direct_mention_is_a_message(connection: Connection, server: Server) -> None:
    dm = server.mention("<p>@kau Kan ni ringa mig?</p>", at=ago(hours=1), visibility="direct")
    poll(connection)
    item = item_of(dm)
    assert (item.kind, item.author_platform_id) == (Item.Kind.MESSAGE, VISITOR["id"])


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (
            '<p><span class="h-card"><a href="https://mastodon.example/@kau" class="u-url mention">'
            "@<span>kau</span></a></span> Hej!</p><p>Rad ett<br />rad två</p>",
            "@kau Hej!\n\nRad ett\nrad två",
        ),
        (
            '<p>Se <a href="https://www.kau.se/utbildning/program"><span class="invisible">https://www.'
            '</span><span class="ellipsis">kau.se/utbildning/pr</span><span class="invisible">ogram'
            "</span></a></p>",
            "Se https://www.kau.se/utbildning/program",
        ),
        (
            "<p>a &amp; b &lt;script&gt;alert(1)&lt;/script&gt; &#128512;</p>",
            "a & b <script>alert(1)</script> 😀",
        ),
        ('<p>före<script>alert("x")</script><style>p{color:red}</style>efter</p>', "föreefter"),
        ("<img src=x onerror=alert(1)>bild<iframe src=//evil.example>dold</iframe>", "bild"),
        ("<p>hej<script>document.cookie", "hej"),
        ("<p>a\x00b\x07c\ud800d</p>", "abc?d"),
        ("<ul><li>ett</li><li>två</li></ul>", "- ett\n- två"),
        ("", ""),
    ],
)
def test_status_html_is_read_as_plain_text(content: str, text: str) -> None:
    assert html_to_text(content) == text


def test_huge_or_deeply_nested_html_is_cut_not_choked_on() -> None:
    assert len(html_to_text("<p>" + "x" * 500_000 + "</p>")) == MAX_TEXT
    assert html_to_text("<b>" * 100_000 + "djupt") == "djupt"


def test_hostile_content_comes_in_as_text_never_as_html(
    connection: Connection, server: Server, client: Any, cast: Any
) -> None:
    hostile = server.mention(
        "<p>@kau &lt;script&gt;alert(1)&lt;/script&gt;<script>alert(2)</script>\x00</p>"
        + "<p>ord </p>" * 5000,
        at=ago(hours=1),
        spoiler_text="Varning\x00: politik",
    )
    assert poll(connection) is not None
    item = item_of(hostile)
    assert item.text.startswith("CW: Varning: politik\n\n@kau <script>alert(1)</script>\n\nord")
    assert len(item.text) <= MAX_TEXT
    assert "alert(2)" not in item.text
    assert "\x00" not in Event.objects.get(item=item).payload["status"]["content"]
    login(client, cast, "communicator")
    page = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_the_accounts_own_statuses_are_its_published_record_kau_public_record(
    connection: Connection, server: Server
) -> None:
    question = server.mention("<p>@kau När öppnar anmälan?</p>", at=ago(hours=5))
    poll(connection)
    item = item_of(question)
    post = server.own("<p>Välkommen till öppet hus!</p>", at=ago(hours=3))
    reply = server.own(
        "<p>@anna Den 15 mars.</p>", at=ago(hours=2), in_reply_to_id=item.platform_id, visibility="unlisted"
    )
    dm = server.own("<p>@anna Hej!</p>", at=ago(hours=1), visibility="direct")
    boost = server.own("", at=ago(minutes=30), reblog=question["status"])

    assert poll(connection, NOW + timedelta(minutes=2)) is not None

    kept = {p.platform_id: p for p in Publication.objects.filter(account=connection.account)}
    assert kept[post["id"]].kind == Publication.Kind.POST
    assert kept[post["id"]].text == "Välkommen till öppet hus!"
    assert (kept[reply["id"]].kind, kept[reply["id"]].answers) == (Publication.Kind.REPLY, item)
    assert kept[dm["id"]].kind == Publication.Kind.MESSAGE
    assert boost["id"] not in kept
    assert Item.objects.filter(account=connection.account).count() == 1  # nothing of its own to answer
    assert server.sent("GET", OWN)[-1].query["exclude_reblogs"] == "true"


def test_malformed_rows_are_kept_and_the_rest_goes_on(connection: Connection, server: Server) -> None:
    good = server.mention("<p>Bra</p>", at=ago(hours=1))

    def broken(**status: Any) -> dict[str, Any]:
        row = server.mention("<p>x</p>", at=ago(hours=2))
        row["status"] = {**row["status"], **status}
        return row

    rows: list[Any] = [
        good,
        broken(id="../../admin"),
        broken(created_at="igår"),
        broken(created_at="2999-01-01T00:00:00.000Z"),
        broken(visibility="secret"),
        broken(account=None) | {"account": None},
        broken(content=["<p>"]),
        {"id": "1", "type": "mention", "created_at": iso(ago(hours=3))},
        "not an object",
    ]
    server.on("GET", NOTIFICATIONS, (200, rows))

    tally = poll(connection)

    assert tally is not None
    assert tally.errors == 8
    assert item_of(good).text == "Bra"
    errors = Event.objects.filter(outcome=Event.Outcome.ERROR).order_by("pk")
    assert errors.count() == 8
    assert {"row": "not an object"} in [e.payload for e in errors]
    assert all(e.error for e in errors)
    connection.refresh_from_db()
    assert connection.cursor["mention"] == good["id"]


def test_an_edit_of_a_mention_already_held_is_recorded(connection: Connection, server: Server) -> None:
    mention = server.mention("<p>@kau Första</p>", at=ago(hours=3))
    poll(connection)
    mention["status"].update(content="<p>@kau Ändrad</p>", edited_at=iso(ago(hours=1)))
    fresh = server.mention("<p>@kau Redan ändrad</p>", at=ago(hours=2), edited_at=iso(ago(minutes=30)))
    Connection.objects.filter(pk=connection.pk).update(cursor={})  # read back again, as after reconnecting

    poll(connection)

    item = item_of(mention)
    assert item.text == "@kau Ändrad"
    assert item.log.filter(action=LogEntry.Action.EDITED, note__contains="@kau Första").exists()
    new = item_of(fresh)  # new to Kanalvakt: it comes in as new, received when it was written
    assert new.received_at == datetime.fromisoformat(fresh["status"]["created_at"])


# --- Backoff and attention ------------------------------------------------------------------------------


def test_a_rate_limit_waits_for_the_reset(connection: Connection, server: Server) -> None:
    reset = datetime.now(UTC) + timedelta(minutes=30)
    server.on(
        "GET",
        NOTIFICATIONS,
        (
            429,
            {"error": "Too many requests"},
            {
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            },
        ),
    )
    assert poll(connection) is None
    assert len(server.sent("GET", NOTIFICATIONS)) == 1  # a rate limit is not retried at once
    connection.refresh_from_db()
    assert connection.next_poll_at is not None
    assert timedelta(minutes=29) <= connection.next_poll_at - NOW <= timedelta(minutes=30)
    assert (connection.poll_failures, connection.health, connection.cursor) == (1, "active", {})
    assert "Too many requests" in connection.last_error


def test_a_failing_server_is_retried_then_backed_off(connection: Connection, server: Server) -> None:
    left = {"failures": 6}

    def failing(request: Any) -> Any:
        if left["failures"]:
            left["failures"] -= 1
            return 503, {"error": "Service Unavailable"}
        return server._notifications(request)

    server.on("GET", NOTIFICATIONS, failing)
    server.mention("<p>@kau Till slut</p>", at=ago(hours=1))
    interval = ADAPTER.interval()
    assert poll(connection) is None
    assert len(server.sent("GET", NOTIFICATIONS)) == 3  # the client's capped retries
    connection.refresh_from_db()
    assert (connection.poll_failures, connection.next_poll_at) == (1, NOW + interval * 2)
    assert poll(connection) is None
    connection.refresh_from_db()
    assert (connection.poll_failures, connection.next_poll_at) == (2, NOW + interval * 4)
    assert poll(connection) is not None
    connection.refresh_from_db()
    assert connection.poll_failures == 0
    assert Item.objects.count() == 1


def test_a_revoked_token_needs_attention_kau_resp_daily(connection: Connection, server: Server) -> None:
    server.token = "another-token"
    server.on("GET", NOTIFICATIONS, (401, {"error": "The access token was revoked"}))
    assert poll(connection) is None
    assert len(server.sent("GET", NOTIFICATIONS)) == 1
    connection.refresh_from_db()
    assert (connection.health, connection.cause) == (
        Connection.Health.ATTENTION,
        Connection.Cause.TOKEN_EXPIRED,
    )
    assert connection.next_poll_at == NOW + polling.BACKOFF_MAX
    assert "revoked" in connection.last_error

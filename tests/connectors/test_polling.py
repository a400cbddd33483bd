"""The poll of the platforms that push nothing (connectors.polling, KAU-RESP-DAILY), with a small
platform of its own behind a stand-in HTTP server: the claim over next_poll_at, the stored cursor,
what a poll with nothing new costs, the backoff on rate limits and 5xx, token errors turning the
connection to needs attention, and answers and removals going out through the platform's module.

The module below is registered as the Mastodon platform's module for these tests (``ADAPTER``); the
real platform modules are tested in their own files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from archive.services import store_evidence
from connectors import adapters, outgoing, polling, services
from connectors.adapters import Adapter, Checked, Done, Poll
from connectors.errors import TokenError
from connectors.intake import Change, Fetched, Incoming, Malformed, Row
from connectors.models import Connection, Event, Outgoing
from connectors.rest import Client, classify_http, retry_after
from moderation import services as moderation
from moderation.models import Item, Publication
from moderation.services import Triage
from tests.connectors.standin import Request, StandIn, stand_in
from tests.support import png

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=2)


class Fake(Adapter):
    """A platform of the shape every polled platform has: ``GET /items?after=<id>`` lists what is
    newer than the cursor, ``POST /items/<id>/replies`` answers, ``POST /items/<id>/hide`` hides."""

    platform = "mastodon"
    identity_pattern = re.compile(r"[a-z]{1,20}")
    identity_help = "Letters only."
    removable_kinds = frozenset({Item.Kind.COMMENT})
    base_url = ""

    def _client(self, connection: Connection | None, token: str) -> Client:
        return Client(
            self.base_url,
            classify=lambda status, body, headers: classify_http(status, body, headers),
            headers={"Authorization": f"Bearer {token}"},
            connection=connection,
        )

    def check(self, *, external_id: str, secret: str, server_url: str) -> Checked:
        me = self._client(None, secret).get("/me")
        return Checked(external_id=str(me["id"]), name=str(me["name"]), session={"since": "kept"})

    def interval(self) -> timedelta:
        return INTERVAL

    def poll(self, connection: Connection, *, cursor: dict[str, Any], now: datetime) -> Poll:
        body = self._client(connection, connection.token).get("/items", {"after": cursor.get("after", 0)})
        rows: list[Row] = []
        newest = int(cursor.get("after", 0))
        for row in body.get("items", []):
            if not isinstance(row.get("id"), int) or not isinstance(row.get("text"), str):
                rows.append(Malformed("comment", row, "no id or no text"))
                continue
            newest = max(newest, row["id"])
            incoming = Incoming(
                change=Change.ADD,
                platform_id=f"f{row['id']}",
                own=row.get("by") == connection.external_id,
                author=str(row.get("by", "")),
                author_platform_id=str(row.get("by", "")),
                text=row["text"],
                at=now - timedelta(minutes=5),
            )
            rows.append(Fetched("comment", incoming, row))
        return Poll(rows=rows, cursor={"after": newest})

    def carry_out(self, connection: Connection, outgoing_: Outgoing) -> Done:
        client = self._client(connection, connection.token)
        target = outgoing_.item.platform_id
        if outgoing_.action == Outgoing.Action.REPLY:
            answer = client.post(f"/items/{target}/replies", json_body={"text": outgoing_.text})
            return Done(ref=f"f{answer['id']}", url="", answer=answer)
        answer = client.post(f"/items/{target}/hide", json_body={})
        return Done(ref=target, answer=answer)


ADAPTER = Fake()


@pytest.fixture
def platform(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    monkeypatch.setitem(adapters.MODULES, "mastodon", __name__)
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.CONNECTOR_RETRY_DELAY = 0
    with stand_in() as server:
        monkeypatch.setattr(Fake, "base_url", server.base_url)
        server.route("GET", "/me", me)
        server.route("GET", "/items", (200, {"items": []}))
        yield server


def me(request: Request) -> tuple[int, Any]:
    """The account the token is for: ``token-<name>`` is <name>'s."""
    name = request.headers.get("authorization", "").removeprefix("Bearer token-")
    return 200, {"id": name, "name": "Karlstads universitet" if name == "kau" else name.title()}


def items(server: StandIn, *rows: dict[str, Any]) -> None:
    """The platform lists ``rows`` newer than the cursor."""

    def answer(request: Request) -> tuple[int, Any]:
        after = int(request.query.get("after", "0"))
        return 200, {"items": [r for r in rows if not isinstance(r.get("id"), int) or r["id"] > after]}

    server.route("GET", "/items", answer)


def connected(make_account: Any, cast: Any, *, name: str = "kau") -> Connection:
    account = make_account(platform="mastodon", handle=f"@{name}")
    return services.connect(
        account,
        platform="mastodon",
        external_id=name,
        token=f"token-{name}",
        by=cast["communicator"],
        now=NOW,
    )


def fresh(connection: Connection) -> Connection:
    return Connection.objects.select_related("account").get(pk=connection.pk)


# --- Connecting -------------------------------------------------------------------------------------


def test_connecting_asks_the_platform_and_keeps_its_identity_and_session(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = connected(make_account, cast)
    assert (made.external_id, made.name_on_platform, made.token) == (
        "kau",
        "Karlstads universitet",
        "token-kau",
    )
    assert fresh(made).session == {"since": "kept"}
    assert platform.sent("GET", "/me")[0].headers["authorization"] == "Bearer token-kau"


def test_a_secret_the_platform_refuses_stores_nothing_and_names_the_field(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    platform.route("GET", "/me", (401, {"error": "invalid_token"}))
    account = make_account(platform="mastodon", handle="@kau")
    with pytest.raises(ValidationError) as refused:
        services.connect(account, platform="mastodon", external_id="kau", token="bad", by=None, now=NOW)
    assert "token" in refused.value.message_dict
    assert not Connection.objects.exists()


def test_an_identity_of_the_wrong_shape_is_refused_before_any_call(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    account = make_account(platform="mastodon", handle="@kau")
    with pytest.raises(ValidationError) as refused:
        services.connect(account, platform="mastodon", external_id="KAU 1", token="t", by=None, now=NOW)
    assert refused.value.message_dict["external_id"] == ["Letters only."]
    assert platform.sent() == []


def test_a_polled_platform_needs_a_secret(platform: StandIn, make_account: Any) -> None:
    account = make_account(platform="mastodon", handle="@kau")
    with pytest.raises(ValidationError) as refused:
        services.connect(account, platform="mastodon", external_id="kau", token="", by=None, now=NOW)
    assert "token" in refused.value.message_dict
    assert not Connection.objects.exists()


# --- The poll ----------------------------------------------------------------------------------------


def test_kau_resp_daily_a_poll_brings_visitors_writing_in_and_keeps_the_accounts_own(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = connected(make_account, cast)
    items(
        platform,
        {"id": 1, "text": "När öppnar anmälan? 😀", "by": "anna"},
        {"id": 2, "text": "Den 15 mars!", "by": "kau"},
        {"id": "x", "text": None},
    )
    tally = polling.poll_connection(fresh(made), now=NOW)
    assert tally is not None
    item = Item.objects.get()
    assert (item.platform_id, item.text, item.author, item.source) == (
        "f1",
        "När öppnar anmälan? 😀",
        "anna",
        Item.Source.PLATFORM,
    )
    assert Publication.objects.get().platform_id == "f2"
    malformed = Event.objects.get(outcome=Event.Outcome.ERROR)
    assert malformed.payload == {"id": "x", "text": None}
    assert Event.objects.get(outcome=Event.Outcome.CREATED).payload["text"] == "När öppnar anmälan? 😀"
    after = fresh(made)
    assert after.cursor == {"after": 2}
    assert (after.polled_until, after.last_event_at) == (NOW, NOW)


def test_a_nul_character_from_a_platform_is_stored_as_a_replacement_character(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = connected(make_account, cast)
    items(platform, {"id": 1, "text": "Hej\u0000då", "by": "anna", "extra": {"k\u0000": ["\u0000"]}})
    polling.poll_connection(fresh(made), now=NOW)
    assert Item.objects.get().text == "Hej\ufffddå"
    assert Event.objects.get().payload["extra"] == {"k\ufffd": ["\ufffd"]}


def test_the_next_poll_starts_from_the_stored_cursor_and_creates_nothing_twice(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = connected(make_account, cast)
    items(platform, {"id": 1, "text": "Hej", "by": "anna"})
    polling.poll_connection(fresh(made), now=NOW)
    polling.poll_connection(fresh(made), now=NOW + INTERVAL)
    assert [r.query["after"] for r in platform.sent("GET", "/items")] == ["0", "1"]
    assert Item.objects.count() == 1


def test_a_poll_with_nothing_new_costs_one_statement_per_connection(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = [connected(make_account, cast, name=name) for name in ("kau", "fysik", "kemi", "musik")]
    Connection.objects.update(next_poll_at=NOW - timedelta(seconds=1))
    with CaptureQueriesContext(db) as queries:
        assert polling.poll_due(now=NOW) == 4
    per_connection = [
        q for q in queries.captured_queries if q["sql"].startswith('UPDATE "connectors_connection"')
    ]
    # The claim (one SELECT … FOR UPDATE and one UPDATE of the batch), then one UPDATE per connection.
    assert len(queries.captured_queries) <= 2 + len(made) + 2  # + the transaction's savepoint pair
    assert len(per_connection) == 1 + len(made)
    assert {fresh(c).next_poll_at for c in made} == {NOW + INTERVAL}


def test_the_sweep_claims_only_live_connections_that_are_due(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    due, later, gone = (connected(make_account, cast, name=name) for name in ("kau", "fysik", "kemi"))
    Connection.objects.filter(pk=due.pk).update(next_poll_at=NOW - timedelta(seconds=1))
    Connection.objects.filter(pk=later.pk).update(next_poll_at=NOW + timedelta(seconds=30))
    services.disconnect(fresh(gone), by=None, now=NOW)
    assert polling.poll_due(now=NOW) == 1
    assert polling.poll_due(now=NOW) == 0  # claimed: its next poll moved on by the interval
    assert fresh(due).polled_until == NOW
    assert fresh(later).polled_until is None


def test_meta_connections_are_left_to_the_reconciliation_poll(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    page = Connection.objects.create(
        account=make_account(platform="facebook_page"),
        platform="facebook",
        external_id="123",
        connected_at=NOW,
        token_encrypted="x",
    )
    assert polling.poll_due(now=NOW) == 0
    assert fresh(page).next_poll_at is None


# --- Failures ------------------------------------------------------------------------------------------


def test_a_rate_limit_backs_off_and_keeps_the_cursor(platform: StandIn, make_account: Any, cast: Any) -> None:
    made = connected(make_account, cast)
    platform.route("GET", "/items", (429, {"error": "Too many requests"}))
    assert polling.poll_connection(fresh(made), now=NOW) is None
    after = fresh(made)
    assert (after.poll_failures, after.cursor, after.health) == (1, {}, Connection.Health.ACTIVE)
    assert after.next_poll_at == NOW + INTERVAL * 2
    assert "429" in after.last_error
    assert len(platform.sent("GET", "/items")) == 1  # a rate limit is not waited out inside the poll


def test_5xx_is_tried_again_briefly_then_backs_off_doubling_up_to_an_hour(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = connected(make_account, cast)
    platform.route("GET", "/items", (503, {}))
    waits = []
    for failure in range(1, 8):
        polling.poll_connection(fresh(made), now=NOW)
        next_poll = fresh(made).next_poll_at
        assert next_poll is not None
        waits.append(next_poll - NOW)
        assert fresh(made).poll_failures == failure
    assert waits[:4] == [INTERVAL * 2, INTERVAL * 4, INTERVAL * 8, INTERVAL * 16]
    assert max(waits) == polling.BACKOFF_MAX
    assert len(platform.sent("GET", "/items")) == 7 * 3  # three attempts a poll


def test_kau_resp_daily_a_platform_that_keeps_failing_needs_attention_and_recovers(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = connected(make_account, cast)
    platform.route("GET", "/items", (500, {}))
    for _ in range(polling.FAILING_AFTER):
        polling.poll_connection(fresh(made), now=NOW)
    failing = fresh(made)
    assert (failing.health, failing.cause) == (Connection.Health.ATTENTION, Connection.Cause.FAILING)
    platform.route("GET", "/items", (200, {"items": []}))
    polling.poll_connection(fresh(made), now=NOW + timedelta(hours=1))
    healthy = fresh(made)
    assert (healthy.health, healthy.cause, healthy.poll_failures) == (Connection.Health.ACTIVE, "", 0)


def test_kau_resp_daily_an_expired_token_needs_attention_at_once(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = connected(make_account, cast)
    platform.route("GET", "/items", (401, {"error": "The access token is invalid"}))
    polling.poll_connection(fresh(made), now=NOW)
    after = fresh(made)
    assert (after.health, after.cause) == (Connection.Health.ATTENTION, Connection.Cause.TOKEN_EXPIRED)
    assert after.next_poll_at == NOW + polling.BACKOFF_MAX
    assert len(platform.sent("GET", "/items")) == 1  # a token error is not tried again


def test_the_platforms_retry_after_is_read_as_seconds_only() -> None:
    assert retry_after({"retry-after": "120"}) == 120.0
    assert retry_after({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}) is None
    assert retry_after({"retry-after": "9" * 12}) is None
    limited = classify_http(429, {}, {"retry-after": "600"})
    assert limited.retry_after == 600.0
    assert isinstance(classify_http(401, {}, {}), TokenError)


def test_a_wish_to_wait_longer_is_honoured_up_to_the_cap(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = connected(make_account, cast)
    connection = fresh(made)
    polling._failed(connection, ADAPTER, classify_http(429, {}, {"retry-after": "1200"}), now=NOW)
    assert fresh(made).next_poll_at == NOW + timedelta(seconds=1200)
    polling._failed(fresh(made), ADAPTER, classify_http(429, {}, {"retry-after": "86400"}), now=NOW)
    assert fresh(made).next_poll_at == NOW + polling.BACKOFF_MAX


# --- Answers and removals through the platform's module ---------------------------------------------


def _item(platform: StandIn, made: Connection) -> Item:
    items(platform, {"id": 7, "text": "Varför svarar ingen?", "by": "anna"})
    polling.poll_connection(fresh(made), now=NOW)
    return Item.objects.get()


def test_kau_response_deadline_an_answer_goes_out_through_the_platforms_module(
    platform: StandIn, make_account: Any, cast: Any
) -> None:
    made = connected(make_account, cast)
    item = _item(platform, made)
    platform.route("POST", "/items/f7/replies", (200, {"id": 8}))
    moderation.answer_item(item, answer="Vi svarar nu!", by=cast["communicator"], now=NOW)
    row = Outgoing.objects.get()
    assert outgoing.send(row.pk, now=NOW) == Outgoing.Status.DONE
    assert platform.sent("POST", "/items/f7/replies")[0].json == {"text": "Vi svarar nu!"}
    assert Publication.objects.get(platform_id="f8").answers_id == item.pk


def test_kau_prohibited_evidence_a_comment_is_hidden_after_the_evidence_is_kept(
    platform: StandIn, make_account: Any, cast: Any, media_root: Any
) -> None:
    made = connected(make_account, cast)
    item = _item(platform, made)
    platform.route("POST", "/items/f7/hide", (200, {"hidden": True}))
    moderation.classify_item(item, triage=Triage(prohibited=[3]), by=cast["communicator"], now=NOW)
    store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    moderation.remove_item(item, note="Personangrepp", by=cast["communicator"], now=NOW)
    row = Outgoing.objects.get()
    assert row.action == Outgoing.Action.HIDE
    assert outgoing.send(row.pk, now=NOW) == Outgoing.Status.DONE
    assert len(platform.sent("POST", "/items/f7/hide")) == 1


def test_a_removal_the_platform_does_not_allow_is_recorded_as_not_possible(
    platform: StandIn, make_account: Any, cast: Any, media_root: Any
) -> None:
    made = connected(make_account, cast)
    item = _item(platform, made)
    Item.objects.filter(pk=item.pk).update(kind=Item.Kind.MESSAGE)
    item.refresh_from_db()
    moderation.classify_item(item, triage=Triage(prohibited=[3]), by=cast["communicator"], now=NOW)
    store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    moderation.remove_item(item, note="Hot", by=cast["communicator"], now=NOW)
    row = Outgoing.objects.get()
    assert row.status == Outgoing.Status.NOT_POSSIBLE
    assert row.reason
    assert platform.sent("POST") == []

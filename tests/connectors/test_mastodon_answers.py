"""Mastodon answers, removals, figures and the connection page against the stand-in server: a reply
with the original's visibility and an Idempotency-Key, a direct message answered directly, the same
key on a retry so nothing is posted twice, an unknown outcome looked up in the thread, removal not
possible (KAU-PROHIBITED-EVIDENCE), and the account's counts (KAU-FOLLOWUP). Connecting, the poll and
its backoff are in test_mastodon.py (KAU-RESPONSE-DEADLINE)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from archive.services import store_evidence
from connectors import outgoing
from connectors.mastodon import ADAPTER
from connectors.models import Connection, Outgoing
from moderation import services as moderation
from moderation.models import Item, LogEntry, Publication
from moderation.services import Triage
from tests.connectors.mastodon_standin import (
    ACCOUNT_ID,
    TOKEN,
    Delay,
    Server,
)
from tests.connectors.test_mastodon import NOW, account, ago, connection, item_of, poll, server
from tests.support import login, png

pytestmark = pytest.mark.django_db
__all__ = ["account", "connection", "server"]  # the fixtures, shared with test_mastodon.py


# --- Answers and removals --------------------------------------------------------------------------------


def answer(item: Item, cast: Any, text: str = "Anmälan öppnar den 15 mars.") -> Outgoing:
    moderation.answer_item(item, answer=text, by=cast["communicator"], now=NOW)
    return Outgoing.objects.get(item=item)


def test_an_answer_is_a_reply_with_the_originals_visibility_and_a_key(
    connection: Connection, server: Server, cast: Any
) -> None:
    question = server.mention("<p>@kau När öppnar anmälan?</p>", at=ago(hours=1), visibility="private")
    poll(connection)
    item = item_of(question)
    assert "Mastodon" in (outgoing.answer_destination(item) or "")
    row = answer(item, cast)
    server.http.requests.clear()

    assert outgoing.send(row.pk, now=NOW) == "done"

    [posted] = server.sent("POST", "/api/v1/statuses")
    assert posted.form == {
        "status": "@anna@example.org Anmälan öppnar den 15 mars.",
        "in_reply_to_id": item.platform_id,
        "visibility": "private",  # never wider than the original
    }
    assert posted.headers["idempotency-key"] == f"kanalvakt-outgoing-{row.pk}"
    assert posted.headers["authorization"] == f"Bearer {TOKEN}"
    assert not server.sent("GET")  # the visibility came from the answer kept with the item
    row.refresh_from_db()
    made = server.find(row.platform_ref)
    assert made is not None
    assert made["in_reply_to_id"] == item.platform_id
    assert row.platform_url == made["url"]
    assert Publication.objects.get(platform_id=row.platform_ref).answers == item


def test_an_answer_to_a_direct_message_stays_direct(
    connection: Connection, server: Server, cast: Any
) -> None:
    dm = server.mention("<p>@kau Hej, privat fråga</p>", at=ago(hours=1), visibility="direct")
    poll(connection)
    row = answer(item_of(dm), cast, text="Hej @Anna@example.org! Vi ringer dig.")
    assert outgoing.send(row.pk, now=NOW) == "done"
    [posted] = server.sent("POST", "/api/v1/statuses")
    assert (posted.form["visibility"], posted.form["status"]) == (
        "direct",
        "Hej @Anna@example.org! Vi ringer dig.",
    )


def test_an_item_without_a_kept_answer_reads_the_status_first(
    connection: Connection, server: Server, cast: Any
) -> None:
    status = server.status("<p>@kau Fråga</p>", at=ago(hours=2), visibility="unlisted")
    item = moderation.log_item(
        connection.account,
        kind="comment",
        author="anna@example.org",
        text="Fråga",
        received_at=ago(hours=2),
        by=None,
        now=NOW,
        platform_id=status["id"],
        source=Item.Source.PLATFORM,
    )
    row = answer(item, cast)
    assert outgoing.send(row.pk, now=NOW) == "done"
    assert [r.path for r in server.sent("GET")] == [f"/api/v1/statuses/{status['id']}"]
    [posted] = server.sent("POST", "/api/v1/statuses")
    assert posted.form["visibility"] == "unlisted"


def test_a_retry_sends_the_same_key_so_nothing_is_posted_twice(
    connection: Connection, server: Server, cast: Any
) -> None:
    question = server.mention("<p>@kau Fråga</p>", at=ago(hours=1))
    poll(connection)
    calls: list[Any] = []

    def flaky(request: Any) -> Any:
        calls.append(request)
        return (502, {"error": "Bad Gateway"}) if len(calls) == 1 else server._post(request)

    server.on("POST", "/api/v1/statuses", flaky)
    row = answer(item_of(question), cast)
    assert outgoing.send(row.pk, now=NOW) == "failed"  # a write is never retried blindly by the client
    outgoing.retry(row, by=cast["communicator"], now=NOW)
    assert outgoing.send(row.pk, now=NOW) == "done"
    assert [r.headers["idempotency-key"] for r in calls] == [f"kanalvakt-outgoing-{row.pk}"] * 2
    # The server answers the same key with the same status, and makes none.
    again = server._post(calls[-1])
    assert again[1]["id"] == Outgoing.objects.get(pk=row.pk).platform_ref
    assert len([s for s in server.statuses if s["account"]["id"] == ACCOUNT_ID]) == 1


def test_an_unknown_outcome_is_looked_up_in_the_thread(
    settings: Any, connection: Connection, server: Server, cast: Any
) -> None:
    question = server.mention("<p>@kau Fråga</p>", at=ago(hours=1))
    poll(connection)
    settings.CONNECTOR_TIMEOUT = 1

    def slow(request: Any) -> Any:
        status, body = server._post(request)
        return Delay(1.5, status, body)  # made, but the answer comes too late

    server.on("POST", "/api/v1/statuses", slow)
    row = answer(item_of(question), cast)
    assert outgoing.send(row.pk, now=NOW) == "unknown"
    assert outgoing.check(row, by=cast["communicator"], now=NOW) == "done"
    row.refresh_from_db()
    [made] = [s for s in server.statuses if s["account"]["id"] == ACCOUNT_ID]
    assert row.platform_ref == made["id"]
    assert server.sent("GET", rf"/api/v1/statuses/{question['status']['id']}/context")


def test_a_visitors_status_cannot_be_removed_kau_prohibited_evidence(
    connection: Connection, server: Server, cast: Any, media_root: Any
) -> None:
    question = server.mention("<p>@kau Personangrepp</p>", at=ago(hours=1))
    poll(connection)
    item = item_of(question)
    moderation.classify_item(item, triage=Triage(prohibited=[3]), by=cast["communicator"], now=NOW)
    store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    moderation.remove_item(item, note="Personangrepp", by=cast["communicator"], now=NOW)
    row = Outgoing.objects.get(item=item)
    assert row.status == Outgoing.Status.NOT_POSSIBLE
    assert "Mastodon" in row.reason
    assert item.log.filter(action=LogEntry.Action.POST_FAILED).exists()
    assert not server.sent("POST")
    assert not server.sent("DELETE")


def test_the_figures_are_followers_and_statuses_kau_followup(connection: Connection, server: Server) -> None:
    assert ADAPTER.figures(connection) == {"followers": 1234, "posts_total": 789}


def test_the_connection_page_asks_for_the_server_and_explains_the_token(
    client: Any, cast: Any, account: Any, server: Server
) -> None:
    login(client, cast, "communicator")
    url = reverse("connectors:account", args=[account.pk])
    page = client.get(url).content.decode()
    assert 'data-access-help="mastodon"' in page
    assert 'name="server_url"' in page
    assert "<code>read:notifications</code>" in page
    answer = client.post(
        reverse("connectors:connect", args=[account.pk]),
        {"server_url": server.base_url, "external_id": "@kau", "token": TOKEN},
    )
    assert answer.status_code == 302
    connection = Connection.objects.get(account=account)
    assert (connection.external_id, connection.server_url) == (ACCOUNT_ID, server.base_url)

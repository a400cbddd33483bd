"""Bluesky against its reference implementation (@atproto/dev-env: a PDS, an AppView on PostgreSQL and
a PLC directory, tests/connectors/bluesky_network.py): the university's account is connected with an
app password, a visitor replies, mentions and quotes, and Kanalvakt's poll picks them up as items
(not the like or the follow), keeps the account's own posts as its published record
(KAU-PUBLIC-RECORD), and its answer appears in the thread with the right root and parent
(KAU-RESPONSE-DEADLINE). A refused app password stores nothing; a revoked one turns the connection to
"needs attention" (KAU-RESP-DAILY)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from connectors import outgoing, polling, services
from connectors.bluesky import ADAPTER
from connectors.models import Connection, Event, Outgoing
from core.models import Notification
from moderation import services as moderation
from moderation.models import Item, Publication
from tests.connectors.bluesky_network import Account, Network, bluesky_network  # noqa: F401
from tests.support import login

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def network(bluesky_network: Network, settings: Any) -> Network:  # noqa: F811
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.BLUESKY_DEFAULT_SERVER = bluesky_network.pds
    return bluesky_network


@pytest.fixture
def university(network: Network) -> Account:
    return network.create_account("kau")


@pytest.fixture
def visitor(network: Network) -> Account:
    return network.create_account("besokare")


@pytest.fixture
def account(make_account: Any, university: Account) -> Any:
    return make_account(platform="bluesky", name="Karlstads universitet", handle=university.handle)


def connect(account: Any, cast: Any, network: Network, university: Account, **extra: Any) -> Connection:
    return services.connect(
        account,
        platform="bluesky",
        external_id=f"@{university.handle}",
        token=extra.pop("token", None) or network.app_password(university),
        by=cast["communicator"],
        now=timezone.now(),
        server_url=extra.pop("server_url", network.pds),
        **extra,
    )


@pytest.fixture
def connection(account: Any, cast: Any, network: Network, university: Account) -> Connection:
    return connect(account, cast, network, university)


def poll(connection: Connection) -> Any:
    connection.refresh_from_db()
    return polling.poll_connection(connection, now=timezone.now())


def rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[1]


# --- Connecting --------------------------------------------------------------------------------------------


def test_an_app_password_connects_the_account_by_its_did(
    connection: Connection, university: Account, network: Network
) -> None:
    assert connection.external_id == university.did
    assert connection.name_on_platform == f"@{university.handle}"
    assert connection.server_url == network.pds
    assert connection.health == Connection.Health.ACTIVE
    assert connection.scopes == ["com.atproto.appPass"]
    assert set(connection.session) == {"accessJwt", "refreshJwt", "did", "handle"}
    assert connection.session["did"] == university.did


def test_a_wrong_app_password_is_refused_on_its_field_and_nothing_is_stored(
    account: Any, cast: Any, network: Network, university: Account
) -> None:
    with pytest.raises(ValidationError) as refused:
        connect(account, cast, network, university, token="abcd-efgh-ijkl-mnop")
    assert "Invalid identifier or password" in refused.value.message_dict["token"][0]
    assert not Connection.objects.exists()


def test_the_accounts_own_password_is_refused_for_an_app_password(
    account: Any, cast: Any, network: Network, university: Account
) -> None:
    with pytest.raises(ValidationError) as refused:
        connect(account, cast, network, university, token=university.password)
    reason = refused.value.message_dict["token"][0]
    assert "applösenord" in reason or "app password" in reason
    assert not Connection.objects.exists()


def test_the_default_server_is_used_when_none_is_given(
    account: Any, cast: Any, network: Network, university: Account
) -> None:
    connection = connect(account, cast, network, university, server_url="")
    assert connection.server_url == network.pds


# --- The poll -----------------------------------------------------------------------------------------------


def test_replies_mentions_and_quotes_become_items_and_the_own_post_a_publication(
    connection: Connection, network: Network, university: Account, visitor: Account
) -> None:
    original = network.post(university, "Välkommen till öppet hus på lördag! 🎓")
    reply = network.post(visitor, "När börjar det?", reply_to=original)
    mention = network.post(visitor, f"Hej @{university.handle}, finns det parkering?", mention=university)
    quote = network.post(visitor, "Det här ser kul ut!", quote=original)
    network.like(visitor, original)
    network.follow(visitor, university)
    network.settle(
        lambda: (
            {n["reason"] for n in network.notifications(university)}
            >= {"reply", "mention", "quote", "like", "follow"}
        ),
        "notified the university",
    )

    tally = poll(connection)

    assert tally is not None
    assert tally.created == 3
    items = {item.platform_id: item for item in Item.objects.filter(account=connection.account)}
    assert set(items) == {reply["uri"], mention["uri"], quote["uri"]}  # not the like, not the follow
    answer = items[reply["uri"]]
    assert (answer.kind, answer.author, answer.author_platform_id, answer.text) == (
        Item.Kind.COMMENT,
        f"@{visitor.handle}",
        visitor.did,
        "När börjar det?",
    )
    assert answer.in_reply_to == original["uri"]
    assert answer.url == f"https://bsky.app/profile/{visitor.handle}/post/{rkey(reply['uri'])}"
    assert items[quote["uri"]].in_reply_to == original["uri"]
    assert items[mention["uri"]].in_reply_to == ""
    # The raw notification is kept with the item, its cid with it (KAU-PUBLIC-RECORD).
    event = Event.objects.get(item=answer)
    assert (event.payload["cid"], event.payload["reason"]) == (reply["cid"], "reply")
    # The account's own post is its published record.
    published = Publication.objects.get(account=connection.account)
    assert (published.platform_id, published.kind, published.text) == (
        original["uri"],
        Publication.Kind.POST,
        "Välkommen till öppet hus på lördag! 🎓",
    )
    # Kanalvakt is not the account's reader: it marked nothing seen on Bluesky (no updateSeen).
    unread = network.xrpc("app.bsky.notification.getUnreadCount", token=university.access, params={})
    assert unread["count"] == 5

    # A poll with nothing new reads nothing new and creates nothing.
    connection.refresh_from_db()
    assert ADAPTER.poll(connection, cursor=connection.cursor, now=timezone.now()).rows == []
    assert poll(connection).created == 0

    # What comes later is read from the stored cursor, alone.
    later = network.post(visitor, "Och var?", reply_to=reply, root=original)
    network.settle(
        lambda: any(n["uri"] == later["uri"] for n in network.notifications(university)), "notified"
    )
    assert poll(connection).created == 1
    assert Item.objects.get(platform_id=later["uri"]).in_reply_to == reply["uri"]
    assert Item.objects.filter(account=connection.account).count() == 4


# --- Answering -------------------------------------------------------------------------------------------


def _item_for(connection: Connection, network: Network, university: Account, uri: str) -> Item:
    network.settle(lambda: any(n["uri"] == uri for n in network.notifications(university)), "notified")
    poll(connection)
    return Item.objects.get(account=connection.account, platform_id=uri)


def _send(item: Item, cast: Any, text: str) -> Outgoing:
    moderation.answer_item(item, answer=text, by=cast["communicator"], now=timezone.now())
    row = Outgoing.objects.get(item=item)
    outgoing.send(row.pk, now=timezone.now())
    row.refresh_from_db()
    return row


def test_the_answer_is_a_reply_in_the_thread_with_its_root_and_parent(
    connection: Connection, network: Network, university: Account, visitor: Account, cast: Any
) -> None:
    original = network.post(university, "Anmälan till höstens kurser är öppen.")
    question = network.post(visitor, "Gäller det även fristående kurser?", reply_to=original)
    item = _item_for(connection, network, university, question["uri"])

    row = _send(item, cast, "Ja! Läs mer på https://www.kau.se/utbildning 📚")

    assert row.status == Outgoing.Status.DONE, row.reason
    assert row.platform_ref.startswith(f"at://{university.did}/app.bsky.feed.post/")
    assert row.platform_url == f"https://bsky.app/profile/{university.handle}/post/{rkey(row.platform_ref)}"
    thread = network.settle(
        lambda: [
            r
            for r in network.thread(visitor, question["uri"]).get("replies", [])
            if r["post"]["uri"] == row.platform_ref
        ],
        "showed the answer in the thread",
    )
    record = thread[0]["post"]["record"]
    assert record["text"] == "Ja! Läs mer på https://www.kau.se/utbildning 📚"
    assert record["reply"]["root"] == original
    assert record["reply"]["parent"] == question
    [link] = record["facets"]
    assert link["features"][0]["uri"] == "https://www.kau.se/utbildning"
    assert "Ja! Läs mer på ".encode() == record["text"].encode()[: link["index"]["byteStart"]]
    item.refresh_from_db()
    assert item.status == Item.Status.ANSWERED
    assert Publication.objects.get(platform_id=row.platform_ref).answers == item
    # The next poll of the account's own posts knows the reply already.
    assert Publication.objects.filter(platform_id=row.platform_ref).count() == 1


def test_an_answer_to_a_post_that_is_no_reply_has_it_as_root_and_parent(
    connection: Connection, network: Network, university: Account, visitor: Account, cast: Any
) -> None:
    mention = network.post(visitor, f"@{university.handle} har ni sommarkurser?", mention=university)
    item = _item_for(connection, network, university, mention["uri"])

    row = _send(item, cast, "Ja, anmälan öppnar i mars.")

    assert row.status == Outgoing.Status.DONE, row.reason
    [mine] = network.settle(
        lambda: network.thread(visitor, mention["uri"]).get("replies"), "showed the answer"
    )
    assert mine["post"]["record"]["reply"] == {"root": mention, "parent": mention}


def test_300_graphemes_are_posted_and_301_refused_before_sending(
    connection: Connection, network: Network, university: Account, visitor: Account, cast: Any
) -> None:
    first = network.post(visitor, f"@{university.handle} 👍?", mention=university)
    second = network.post(visitor, f"@{university.handle} 👍👍?", mention=university)
    too_long_item = _item_for(connection, network, university, first["uri"])
    item = Item.objects.get(platform_id=second["uri"])
    # Each 👍🏽 is one grapheme of two code points: Bluesky counts graphemes, and the PDS checks it.
    too_long = _send(too_long_item, cast, "👍🏽" * 301)
    assert too_long.status == Outgoing.Status.FAILED
    assert "300" in too_long.reason
    assert "301" in too_long.reason
    assert not network.thread(visitor, first["uri"]).get("replies")

    row = _send(item, cast, "👍🏽" * 300)
    assert row.status == Outgoing.Status.DONE, row.reason


def test_an_unknown_outcome_is_settled_by_looking_in_the_thread(
    connection: Connection, network: Network, university: Account, visitor: Account, cast: Any
) -> None:
    question = network.post(visitor, f"@{university.handle} öppettider?", mention=university)
    item = _item_for(connection, network, university, question["uri"])
    moderation.answer_item(item, answer="Vardagar 8–16.", by=cast["communicator"], now=timezone.now())
    row = Outgoing.objects.get(item=item)
    # The reply reached Bluesky, but its answer never came back.
    made = network.post(university, "Vardagar 8–16.", reply_to=question)
    Outgoing.objects.filter(pk=row.pk).update(status=Outgoing.Status.UNKNOWN)
    network.settle(lambda: network.thread(visitor, question["uri"]).get("replies"), "showed the reply")

    assert outgoing.check(row, by=cast["communicator"], now=timezone.now()) == Outgoing.Status.DONE
    row.refresh_from_db()
    assert row.platform_ref == made["uri"]


def test_a_visitors_post_cannot_be_removed_and_the_reason_says_what_can_be_done(
    connection: Connection, network: Network, university: Account, visitor: Account
) -> None:
    question = network.post(visitor, f"@{university.handle} spam", mention=university)
    item = _item_for(connection, network, university, question["uri"])
    action, reason = ADAPTER.removal(item)
    assert action == Outgoing.Action.HIDE
    assert "Bluesky" in str(reason)
    assert str(reason)


# --- The session ---------------------------------------------------------------------------------------


def test_an_expired_access_token_is_renewed_with_the_refresh_token(
    connection: Connection, network: Network, university: Account
) -> None:
    before = connection.session
    expired = network.expired_token(university.did)
    connection.session = {**before, "accessJwt": expired}
    connection.token = "wrong-wrong-wrong-wrong"  # proves that no new session was made with it
    connection.save()

    assert poll(connection) is not None
    connection.refresh_from_db()
    assert connection.health == Connection.Health.ACTIVE
    assert connection.session["refreshJwt"] != before["refreshJwt"]  # rotated by refreshSession
    assert connection.session["accessJwt"] not in (expired, "")


def test_without_a_usable_refresh_token_a_new_session_is_made_with_the_app_password(
    connection: Connection, network: Network, university: Account
) -> None:
    expired = network.expired_token(university.did)
    connection.session = {**connection.session, "accessJwt": expired, "refreshJwt": expired}
    connection.save()

    assert poll(connection) is not None
    connection.refresh_from_db()
    assert connection.health == Connection.Health.ACTIVE
    assert expired not in (connection.session["accessJwt"], connection.session["refreshJwt"])


def test_a_revoked_app_password_turns_the_connection_to_needs_attention(
    connection: Connection, network: Network, university: Account
) -> None:
    """KAU-RESP-DAILY: items may be going unseen, and the owner is told."""
    network.revoke_app_password(university)
    connection.session = {**connection.session, "accessJwt": network.expired_token(university.did)}
    connection.save()

    assert poll(connection) is None
    connection.refresh_from_db()
    assert (connection.health, connection.cause) == (
        Connection.Health.ATTENTION,
        Connection.Cause.TOKEN_EXPIRED,
    )
    assert "Invalid identifier or password" in connection.last_error
    assert Notification.objects.filter(kind="connection_attention").exists()


# --- Direct messages and figures ---------------------------------------------------------------------------


def test_direct_messages_are_not_asked_for_without_the_app_passwords_access(
    connection: Connection, network: Network, client: Any, cast: Any
) -> None:
    poll(connection)
    connection.refresh_from_db()
    assert connection.cursor["dm"]["why"] == "scope"
    # The connection page says so, with what to do.
    login(client, cast, "communicator")
    page = client.get(reverse("connectors:account", args=[connection.account.pk])).content.decode()
    assert 'data-direct-messages="not-allowed"' in page
    assert 'data-access-help="bluesky"' in page


def test_an_app_password_with_direct_messages_asks_and_a_refusal_stops_nothing(
    account: Any, cast: Any, network: Network, university: Account
) -> None:
    """The reference network runs no chat service: the PDS cannot proxy to it and answers 500. The
    poll goes on, and asks again the next time."""
    token = network.app_password(university, "Kanalvakt DM", privileged=True)
    connection = connect(account, cast, network, university, token=token)
    assert connection.scopes == ["com.atproto.appPassPrivileged"]
    assert poll(connection) is not None
    connection.refresh_from_db()
    assert connection.cursor["dm"] == {}
    assert connection.health == Connection.Health.ACTIVE
    assert connection.poll_failures == 0


def test_the_figures_are_the_profiles_followers_and_posts(
    connection: Connection, network: Network, university: Account, visitor: Account
) -> None:
    """KAU-FOLLOWUP."""
    network.post(university, "Ett")
    network.post(university, "Två")
    network.follow(visitor, university)
    network.settle(lambda: ADAPTER.figures(connection).get("followers"), "counted the follower")
    assert ADAPTER.figures(connection) == {"followers": 1, "posts_total": 2}

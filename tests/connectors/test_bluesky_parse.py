"""Bluesky's rows are hostile until checked (connectors.bluesky.parse, .xrpc): every notification,
feed entry and message of the wrong shape becomes Malformed (kept), never a crash, and nothing from a
row is used unchecked: identifiers by strict patterns, times with their zone, texts capped, links
built from checked parts only. No network here."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.bluesky import ADAPTER, parse, reading
from connectors.bluesky.adapter import graphemes, link_facets
from connectors.bluesky.xrpc import NotAllowed, SessionExpired, classify, token_claims
from connectors.errors import MissingPermission, PageUnreachable, Refused, TokenError, Unavailable
from connectors.intake import Fetched, Malformed
from moderation.models import Item

OWN = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
DID = "did:plc:z72i7hdynmk6r22z27h6tvur"
URI = f"at://{DID}/app.bsky.feed.post/3kq2abcdefg22"
ROOT = {"uri": f"at://{OWN}/app.bsky.feed.post/3kq2aaaaaaa22", "cid": "bafyreiroot000000000"}


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "uri": URI,
        "cid": "bafyreiabcdefghijklmnop",
        "author": {"did": DID, "handle": "besokare.bsky.social", "displayName": "Besökare"},
        "reason": "reply",
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "När öppnar anmälan?",
            "createdAt": "2026-12-01T10:00:00.000Z",
            "reply": {"root": ROOT, "parent": ROOT},
        },
        "isRead": False,
        "indexedAt": "2026-12-01T10:00:01.123456789Z",
    }
    base.update(changes)
    return base


def test_a_reply_becomes_a_comment_with_its_parent_link_and_author() -> None:
    fetched = parse.notification_row(row(), own_did=OWN)
    assert isinstance(fetched, Fetched)
    incoming = fetched.incoming
    assert (incoming.kind, incoming.platform_id, incoming.author, incoming.author_platform_id) == (
        Item.Kind.COMMENT,
        URI,
        "@besokare.bsky.social",
        DID,
    )
    assert incoming.in_reply_to == ROOT["uri"]
    assert incoming.url == "https://bsky.app/profile/besokare.bsky.social/post/3kq2abcdefg22"
    assert incoming.at == datetime(2026, 12, 1, 10, 0, 1, 123456, tzinfo=UTC)
    assert fetched.payload["cid"] == "bafyreiabcdefghijklmnop"  # the raw row is kept whole


@pytest.mark.parametrize("reason", ["like", "repost", "follow", "starterpack-joined", "verified"])
def test_other_reasons_are_no_items(reason: str) -> None:
    assert parse.notification_row(row(reason=reason), own_did=OWN) is None


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"uri": "https://bsky.app/profile/x/post/1"}, "uri"),
        ({"uri": f"at://{DID}/app.bsky.feed.like/3kq2abcdefg22"}, "uri"),
        ({"uri": "at://did:plc:short/app.bsky.feed.post/1"}, "uri"),
        ({"uri": f"at://{DID}/app.bsky.feed.post/.."}, "uri"),
        ({"uri": URI + "x" * 200}, "uri"),
        ({"cid": None}, "cid"),
        ({"cid": "not a cid!"}, "cid"),
        ({"indexedAt": "2026-12-01T10:00:00"}, "indexedAt"),  # no zone
        ({"indexedAt": "yesterday"}, "indexedAt"),
        ({"indexedAt": 1733000000}, "indexedAt"),
        ({"author": {"did": "did:plc:someoneelse0000000000000", "handle": "x.test"}}, "author"),
        ({"author": {"handle": "x.test"}}, "DID"),
        ({"author": "besokare"}, "DID"),
        ({"record": {"$type": "app.bsky.feed.like"}}, "record"),
        ({"record": "text"}, "record"),
        ({"record": {"$type": "app.bsky.feed.post", "text": ["list"]}}, "text"),
    ],
)
def test_a_relevant_row_of_the_wrong_shape_is_malformed(changes: dict[str, Any], error: str) -> None:
    malformed = parse.notification_row(row(**changes), own_did=OWN)
    assert isinstance(malformed, Malformed)
    assert error in malformed.error
    assert malformed.payload["reason"] == "reply"


@pytest.mark.parametrize("value", [None, "row", 5, ["reply"]])
def test_a_row_that_is_no_object_is_malformed_and_kept(value: Any) -> None:
    malformed = parse.notification_row(value, own_did=OWN)
    assert isinstance(malformed, Malformed)
    assert "row" in malformed.payload


def test_texts_are_capped_and_unsafe_handles_give_way_to_the_did() -> None:
    long = row(record={"$type": "app.bsky.feed.post", "text": "x" * 50_000})
    hostile = row(author={"did": DID, "handle": "<script>.bsky.social"})
    invalid = row(author={"did": DID, "handle": "handle.invalid"})
    capped = parse.notification_row(long, own_did=OWN)
    assert isinstance(capped, Fetched)
    assert len(capped.incoming.text) == 20_000
    for shown in (hostile, invalid):
        fetched = parse.notification_row(shown, own_did=OWN)
        assert isinstance(fetched, Fetched)
        assert fetched.incoming.author == DID
        assert fetched.incoming.url == f"https://bsky.app/profile/{DID}/post/3kq2abcdefg22"


def test_a_broken_reply_field_leaves_only_the_link_out() -> None:
    record = {"$type": "app.bsky.feed.post", "text": "?", "reply": {"parent": {"uri": "javascript:x"}}}
    fetched = parse.notification_row(row(record=record), own_did=OWN)
    assert isinstance(fetched, Fetched)
    assert fetched.incoming.in_reply_to == ""


def test_a_quote_links_to_the_quoted_post_also_with_media() -> None:
    embed = {
        "$type": "app.bsky.embed.recordWithMedia",
        "record": {"record": ROOT},
        "media": {"$type": "app.bsky.embed.images", "images": []},
    }
    record = {"$type": "app.bsky.feed.post", "text": "Kul!", "embed": embed}
    fetched = parse.notification_row(row(reason="quote", record=record), own_did=OWN)
    assert isinstance(fetched, Fetched)
    assert fetched.incoming.in_reply_to == ROOT["uri"]


def test_the_accounts_own_writing_is_no_item_from_notifications() -> None:
    own = row(uri=f"at://{OWN}/app.bsky.feed.post/3kq2abcdefg22", author={"did": OWN, "handle": "kau.se"})
    assert parse.notification_row(own, own_did=OWN) is None


def feed_entry(**post_changes: Any) -> dict[str, Any]:
    post = {
        "uri": f"at://{OWN}/app.bsky.feed.post/3kq2bbbbbbb22",
        "cid": "bafyreiown00000000",
        "author": {"did": OWN, "handle": "kau.se"},
        "record": {"$type": "app.bsky.feed.post", "text": "Välkommen!", "createdAt": "2026-12-01T09:00:00Z"},
        "indexedAt": "2026-12-01T09:00:02Z",
    }
    post.update(post_changes)
    return {"post": post}


def test_the_accounts_feed_gives_its_posts_not_reposts_or_others() -> None:
    fetched = parse.own_post_row(feed_entry(), own_did=OWN)
    assert isinstance(fetched, Fetched)
    assert fetched.incoming.own
    assert (fetched.incoming.kind, fetched.incoming.url) == (
        Item.Kind.POST,
        "https://bsky.app/profile/kau.se/post/3kq2bbbbbbb22",
    )
    reposted = {**feed_entry(), "reason": {"$type": "app.bsky.feed.defs#reasonRepost"}}
    assert parse.own_post_row(reposted, own_did=OWN) is None
    assert parse.own_post_row(feed_entry(uri=URI), own_did=OWN) is None
    assert isinstance(parse.own_post_row({"post": "x"}, own_did=OWN), Malformed)
    reply = feed_entry(
        record={"$type": "app.bsky.feed.post", "text": "Svar", "reply": {"root": ROOT, "parent": ROOT}}
    )
    answered = parse.own_post_row(reply, own_did=OWN)
    assert isinstance(answered, Fetched)
    assert (answered.incoming.kind, answered.incoming.in_reply_to) == (Item.Kind.COMMENT, ROOT["uri"])


def test_messages_deleted_and_system_ones_are_left_out_and_broken_ones_malformed() -> None:
    handles = {DID: "besokare.bsky.social"}
    good = {
        "id": "msg1",
        "rev": "3l1",
        "text": "Hej",
        "sender": {"did": DID},
        "sentAt": "2026-12-01T10:00:00Z",
    }
    fetched = parse.message_row(good, convo_id="c1", own_did=OWN, handles=handles)
    assert isinstance(fetched, Fetched)
    assert (fetched.incoming.kind, fetched.incoming.platform_id, fetched.incoming.author) == (
        Item.Kind.MESSAGE,
        "dm:c1/msg1",
        "@besokare.bsky.social",
    )
    for other in ("chat.bsky.convo.defs#deletedMessageView", "chat.bsky.convo.defs#systemMessageView"):
        assert parse.message_row({**good, "$type": other}, convo_id="c1", own_did=OWN, handles={}) is None
    for broken in ({**good, "id": "../x"}, {**good, "sender": {}}, {**good, "sentAt": "nu"}, "x"):
        assert isinstance(parse.message_row(broken, convo_id="c1", own_did=OWN, handles={}), Malformed)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("dm:c1/msg1", ("c1", "msg1")),
        ("dm:c1/", None),
        ("dm:c1/m/2", None),
        ("dm:../x", None),
        (URI, None),
    ],
)
def test_a_message_id_splits_only_when_it_is_well_formed(value: str, expected: Any) -> None:
    assert parse.split_message_id(value) == expected


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"),
    [
        (400, {"error": "ExpiredToken", "message": "Token has expired"}, {}, SessionExpired),
        (400, {"error": "InvalidToken", "message": "Token could not be verified"}, {}, SessionExpired),
        (400, {"error": "InvalidToken", "message": "Bad token method"}, {}, NotAllowed),
        (
            401,
            {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
            {},
            TokenError,
        ),
        (400, {"error": "AccountTakedown", "message": "Account has been taken down"}, {}, PageUnreachable),
        (403, {"error": "Forbidden", "message": "no"}, {}, MissingPermission),
        (400, {"error": "InvalidRequest", "message": "Post not found"}, {}, Refused),
        (429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, {}, Unavailable),
        (503, None, {}, Unavailable),
        (502, "<html>", {}, Unavailable),
        (418, "<html>", {}, Refused),
    ],
)
def test_xrpc_errors_are_read_by_their_documented_shape(
    status: int, body: Any, headers: dict[str, str], kind: type
) -> None:
    assert type(classify(status, body, headers)) is kind


def test_a_rate_limit_waits_until_its_reset_and_no_longer_than_a_day() -> None:
    soon = classify(429, {"error": "RateLimitExceeded"}, {"ratelimit-reset": str(int(time.time()) + 120)})
    assert soon.retry_after is not None
    assert 110 <= soon.retry_after <= 121
    far = classify(429, {}, {"ratelimit-reset": str(int(time.time()) + 10**9)})
    assert far.retry_after == 24 * 3600
    garbage = classify(429, {}, {"ratelimit-reset": "soon", "retry-after": "30"})
    assert garbage.retry_after == 30


@pytest.mark.parametrize("token", ["", "a.b", "a.!!!.c", "x" * 5000, None, "a.bm90IGpzb24.c", "a.WzFd.c"])
def test_a_token_that_cannot_be_read_has_no_claims(token: Any) -> None:
    assert token_claims(token) == {}


def test_a_stored_cursor_of_the_wrong_shape_reads_as_none() -> None:
    assert reading.Window.load("x") is None
    assert reading.Window.load({"at": "igår"}) is None
    window = reading.Window.load({"at": "2026-12-01T10:00:00+00:00", "seen": ["x"]})
    assert window is not None
    assert window.seen == {}


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("@kau.se", True),
        ("kau.se", True),
        ("karlstadsuniversitet.bsky.social", True),
        ("did:plc:ewvi7nxzyoun6zhxrhs64oiz", True),
        ("did:web:kau.se", True),
        ("kau", False),
        ("@", False),
        ("https://bsky.app/profile/kau.se", False),
        ("did:plc:EWVI", False),
        ("kau.se/../x", False),
    ],
)
def test_the_identity_is_a_handle_or_a_did(value: str, ok: bool) -> None:
    assert (ADAPTER.identity_pattern.fullmatch(value) is not None) is ok


def test_graphemes_are_counted_as_bluesky_counts_them() -> None:
    assert graphemes("Hej å ä ö") == 9
    assert graphemes("👨‍👩‍👧‍👦🇸🇪👍🏽") == 3
    assert graphemes("e\u0301") == 1


def test_links_in_an_answer_are_facets_at_their_byte_offsets() -> None:
    text = "Läs på https://www.kau.se/ö?a=1, eller http://x.se."
    first, second = link_facets(text)
    encoded = text.encode("utf-8")
    assert first["features"][0]["uri"] == "https://www.kau.se/ö?a=1"
    span = first["index"]
    assert encoded[span["byteStart"] : span["byteEnd"]].decode() == "https://www.kau.se/ö?a=1"
    assert second["features"][0]["uri"] == "http://x.se"

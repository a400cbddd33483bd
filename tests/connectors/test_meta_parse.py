"""Meta's documented payloads read into platform-neutral changes; everything hostile is refused per
event, never for the whole delivery."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from connectors.intake import Change
from connectors.meta import parse
from moderation.models import Item
from tests.connectors import meta_payloads as meta

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
AT = NOW - timedelta(minutes=3)
POST = f"{meta.PAGE_ID}_900001"


def parsed(document: dict) -> list[parse.Parsed]:
    return parse.parse_body(meta.body_of(document), now=NOW)


def one(document: dict) -> parse.Parsed:
    (result,) = parsed(document)
    return result


def test_a_visitors_top_level_comment_answers_the_post() -> None:
    result = one(
        meta.page_delivery(
            meta.entry(meta.PAGE_ID, NOW, changes=[meta.feed(comment_id=f"{POST}_1", created_time=AT)])
        )
    )
    assert result.platform == "facebook"
    assert result.entry_id == meta.PAGE_ID
    assert result.field == "feed"
    incoming = result.incoming
    assert incoming is not None
    assert not result.error
    assert incoming.change == Change.ADD
    assert incoming.kind == Item.Kind.COMMENT
    assert incoming.platform_id == f"{POST}_1"
    assert incoming.in_reply_to == POST
    assert incoming.author == "Maja Besökare"
    assert incoming.author_platform_id == "5550001"
    assert incoming.at == AT
    assert not incoming.own


def test_a_reply_to_a_reply_keeps_its_parent_and_iso_times_are_read() -> None:
    result = one(
        meta.page_delivery(
            meta.entry(
                meta.PAGE_ID,
                NOW,
                changes=[
                    meta.feed(
                        comment_id=f"{POST}_3", parent_id=f"{POST}_2", created_time="2026-12-03T09:57:00+0000"
                    )
                ],
            )
        )
    )
    assert result.incoming is not None
    assert result.incoming.in_reply_to == f"{POST}_2"
    assert result.incoming.at == AT


def test_the_pages_own_writing_is_its_publication() -> None:
    result = one(
        meta.page_delivery(
            meta.entry(
                meta.PAGE_ID,
                NOW,
                changes=[meta.feed(item="status", post_id=POST, from_id=meta.PAGE_ID, created_time=AT)],
            )
        )
    )
    assert result.incoming is not None
    assert result.incoming.own
    assert result.incoming.kind == Item.Kind.POST


@pytest.mark.parametrize(
    ("verb", "change"), [("edited", Change.EDIT), ("remove", Change.REMOVE), ("hide", Change.HIDE)]
)
def test_verbs(verb: str, change: Change) -> None:
    result = one(
        meta.page_delivery(
            meta.entry(
                meta.PAGE_ID, NOW, changes=[meta.feed(verb=verb, comment_id=f"{POST}_1", created_time=AT)]
            )
        )
    )
    assert result.incoming is not None
    assert result.incoming.change == change


@pytest.mark.parametrize(
    "change",
    [
        meta.feed(item="reaction", verb="add", created_time=AT),
        meta.feed(item="comment", verb="unhide", comment_id=f"{POST}_1", created_time=AT),
        {"field": "ratings", "value": {"rating": 5}},
    ],
)
def test_kinds_kanalvakt_does_not_use_are_unused(change: dict) -> None:
    result = one(meta.page_delivery(meta.entry(meta.PAGE_ID, NOW, changes=[change])))
    assert result.incoming is None
    assert result.unused
    assert not result.error


def test_emoji_and_long_texts_are_kept_and_longer_ones_refused() -> None:
    text = "Grattis 🎉🇸🇪 " + "å" * 99_000
    ok = one(
        meta.page_delivery(
            meta.entry(
                meta.PAGE_ID, NOW, changes=[meta.feed(comment_id=f"{POST}_1", message=text, created_time=AT)]
            )
        )
    )
    assert ok.incoming is not None
    assert ok.incoming.text == text
    too_long = one(
        meta.page_delivery(
            meta.entry(
                meta.PAGE_ID,
                NOW,
                changes=[meta.feed(comment_id=f"{POST}_1", message="x" * 100_001, created_time=AT)],
            )
        )
    )
    assert too_long.incoming is None
    assert re.search(r"100\s?000", too_long.error)  # the limit, in the institution's number format


@pytest.mark.parametrize(
    "bad",
    [
        {"comment_id": "../../me/feed"},
        {"comment_id": 12345},
        {"comment_id": "1 OR 1=1"},
        {"message": ["not", "text"]},
        {"message": "nul \x00 byte"},
        {"created_time": "tomorrow"},
        {"created_time": 10**15},
        {"created_time": "1989-12-31T12:00:00+0000"},
        {"created_time": True},
        {"from": "someone"},
        {"from_name": "x" * 201},
    ],
)
def test_a_malformed_change_is_an_error_and_the_others_are_read(bad: dict) -> None:
    fields = {"comment_id": f"{POST}_9", "created_time": AT, **bad}
    results = parsed(
        meta.page_delivery(
            meta.entry(
                meta.PAGE_ID,
                NOW,
                changes=[
                    meta.feed(comment_id=f"{POST}_1", created_time=AT),
                    meta.feed(**fields),
                    meta.feed(comment_id=f"{POST}_2", created_time=AT),
                ],
            )
        )
    )
    assert [bool(r.error) for r in results] == [False, True, False]
    assert results[1].incoming is None


def test_unknown_fields_are_ignored() -> None:
    change = meta.feed(comment_id=f"{POST}_1", created_time=AT, is_hidden=False, extra={"nested": [1, 2]})
    document = meta.page_delivery(meta.entry(meta.PAGE_ID, NOW, changes=[change]))
    document["entry"][0]["unknown"] = "x"
    document["surprise"] = 1
    result = one(document)
    assert result.incoming is not None
    assert result.payload == change


def test_messenger_messages_and_echoes() -> None:
    results = parsed(
        meta.page_delivery(
            meta.entry(
                meta.PAGE_ID,
                NOW,
                messaging=[
                    meta.message(mid="mid.1457764197618:41d102a3e1ae206a38", at=AT),
                    meta.message(
                        mid="m_echo-1", at=AT, sender=meta.PAGE_ID, recipient="6660001", is_echo=True
                    ),
                    {
                        "sender": {"id": "6660001"},
                        "recipient": {"id": meta.PAGE_ID},
                        "read": {"watermark": 1},
                    },
                ],
            )
        )
    )
    visitor, echo, read = results
    assert visitor.incoming is not None
    assert visitor.incoming.kind == Item.Kind.MESSAGE
    assert visitor.incoming.author_platform_id == "6660001"
    assert visitor.incoming.at == AT
    assert not visitor.incoming.own
    assert visitor.field == "messages"
    assert echo.incoming is not None
    assert echo.incoming.own
    assert read.incoming is None
    assert read.unused


def test_instagram_comments_mentions_and_messages() -> None:
    results = parsed(
        meta.instagram_delivery(
            meta.entry(
                meta.IG_ID,
                AT,
                changes=[
                    meta.ig_comment(comment_id="17850000000000001"),
                    meta.ig_comment(comment_id="17850000000000002", parent_id="17850000000000001"),
                    meta.ig_mention(media_id="17900000000000009", comment_id="17850000000000003"),
                ],
                messaging=[
                    meta.message(
                        mid="aWdfZAG1faXRlbToxOklHTWVzc2FnZA", sender="7770002", recipient=meta.IG_ID, at=AT
                    )
                ],
            )
        )
    )
    comment, reply, mention, dm = results
    assert all(r.platform == "instagram" for r in results)
    assert comment.incoming is not None
    assert comment.incoming.author == "@besokare"
    assert comment.incoming.in_reply_to == "17900000000000001"
    assert comment.incoming.text == "Snygg bild! 😍"
    assert reply.incoming is not None
    assert reply.incoming.in_reply_to == "17850000000000001"
    assert mention.incoming is not None
    assert mention.incoming.platform_id == "17850000000000003"
    assert "nämns i en kommentar" in mention.incoming.text
    assert dm.incoming is not None
    assert dm.incoming.kind == Item.Kind.MESSAGE


def test_a_body_that_is_not_a_json_object_is_not_readable() -> None:
    for body in (b"not json", b"[1, 2]", b"\xff\xfe", b"[" * 100_000):
        with pytest.raises(parse.NotReadable):
            parse.parse_body(body, now=NOW)


def test_lone_surrogates_are_an_error_and_the_payload_stays_storable() -> None:
    body = (
        b'{"object":"page","entry":[{"id":"'
        + meta.PAGE_ID.encode()
        + b'","time":1,"changes":[{"field":"feed",'
        b'"value":{"item":"comment","verb":"add","post_id":"1_2","comment_id":"1_3","message":"\\ud800",'
        b'"created_time":' + str(meta.epoch(AT)).encode() + b"}}]}]}"
    )
    (result,) = parse.parse_body(body, now=NOW)
    assert result.error
    assert result.payload["value"]["message"].encode("utf-8")

"""YouTube answers, removals and figures against its stand-in (tests/connectors/youtube_standin.py):
answers posted under the thread's top-level comment and kept as the channel's publications, an
unknown outcome found by a check, comments hidden after the evidence is kept
(KAU-PROHIBITED-EVIDENCE), and the channel's statistics for the follow-up (KAU-FOLLOWUP). The
connecting, the poll and the quota are in test_youtube.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from archive.services import store_evidence
from connectors import outgoing
from connectors.models import Connection, Outgoing
from connectors.youtube import ADAPTER
from moderation import services as moderation
from moderation.models import Item, LogEntry, PlatformStatus, Publication
from moderation.services import Triage
from tests.connectors.standin import Delay
from tests.connectors.test_youtube import NOW, channel_visited, cid, poll, youtube, yt
from tests.connectors.youtube_standin import (
    CHANNEL,
    COMMENTS_DISABLED,
    FORBIDDEN,
    TOKEN,
    TOKEN_INVALID,
    VIDEO,
    YouTubeStandIn,
    comment,
)
from tests.support import png

pytestmark = pytest.mark.django_db
__all__ = ["youtube", "yt"]  # the fixtures, shared with test_youtube.py


# --- Answers and removals -----------------------------------------------------------------------------------


def polled_item(yt: Connection, youtube: YouTubeStandIn, platform_id: str | None = None) -> Item:
    channel_visited(youtube)
    poll(yt)
    return Item.objects.get(platform_id=platform_id or cid(4))


def test_an_answer_is_posted_as_a_reply_and_kept_as_the_channels_publication(
    yt: Connection, youtube: YouTubeStandIn, cast: Any
) -> None:
    item = polled_item(yt, youtube)
    moderation.answer_item(
        item, answer="Bilderna finns på kau.se/bilder 📷", by=cast["communicator"], now=NOW
    )
    row = Outgoing.objects.get(item=item)
    with translation.override("en"):
        destination = outgoing.answer_destination(item)
    assert destination == "The answer is posted to YouTube as a reply in the comment's thread."
    youtube.now = NOW
    assert outgoing.send(row.pk, now=NOW) == "done"
    [posted] = youtube.sent("POST", "/comments")
    assert posted.query == {"part": "snippet"}
    assert posted.json == {
        "snippet": {"parentId": cid(4), "textOriginal": "Bilderna finns på kau.se/bilder 📷"}
    }
    assert posted.headers["authorization"] == f"Bearer {TOKEN}"
    row.refresh_from_db()
    assert row.status == "done"
    assert row.platform_ref.startswith(f"{cid(4)}.")
    assert row.platform_url == f"https://www.youtube.com/watch?v={VIDEO}&lc={row.platform_ref}"
    kept = Publication.objects.get(platform_id=row.platform_ref)
    assert (kept.answers, kept.kind, kept.text) == (item, "reply", "Bilderna finns på kau.se/bilder 📷")
    # The next poll sees the channel's reply: the same publication, not an item.
    poll(yt, NOW + timedelta(minutes=15))
    assert Publication.objects.filter(platform_id=row.platform_ref).count() == 1
    assert not Item.objects.filter(platform_id=row.platform_ref).exists()


def test_an_answer_to_a_reply_goes_under_the_threads_top_level_comment(
    yt: Connection, youtube: YouTubeStandIn, cast: Any
) -> None:
    item = polled_item(yt, youtube, f"{cid(2)}.r2")
    moderation.answer_item(item, answer="Varsågod!", by=cast["communicator"], now=NOW)
    outgoing.send(Outgoing.objects.get(item=item).pk, now=NOW)
    [posted] = youtube.sent("POST", "/comments")
    assert posted.json["snippet"]["parentId"] == cid(2)


def test_an_answer_refused_for_disabled_comments_fails_with_the_reason(
    yt: Connection, youtube: YouTubeStandIn, cast: Any
) -> None:
    item = polled_item(yt, youtube)
    moderation.answer_item(item, answer="Svar", by=cast["communicator"], now=NOW)
    youtube.fail("insert", COMMENTS_DISABLED)
    row = Outgoing.objects.get(item=item)
    assert outgoing.send(row.pk, now=NOW) == "failed"
    row.refresh_from_db()
    assert "disabled comments" in row.reason
    yt.refresh_from_db()
    assert yt.health == "active"
    assert len(youtube.sent("POST", "/comments")) == 1  # a write is never sent twice


def test_an_answer_with_an_expired_token_fails_and_the_connection_needs_attention(
    yt: Connection, youtube: YouTubeStandIn, cast: Any
) -> None:
    item = polled_item(yt, youtube)
    moderation.answer_item(item, answer="Svar", by=cast["communicator"], now=NOW)
    youtube.fail("insert", TOKEN_INVALID)
    assert outgoing.send(Outgoing.objects.get(item=item).pk, now=NOW) == "failed"
    yt.refresh_from_db()
    assert (yt.health, yt.cause) == ("attention", "token_expired")


def test_an_answer_of_unknown_outcome_is_found_on_youtube_by_a_check(
    yt: Connection, youtube: YouTubeStandIn, cast: Any, settings: Any
) -> None:
    item = polled_item(yt, youtube)
    moderation.answer_item(item, answer="Svar om bilderna", by=cast["communicator"], now=NOW)
    row = Outgoing.objects.get(item=item)
    settings.CONNECTOR_TIMEOUT = 1.0
    youtube.fail("insert", Delay(2.0))
    assert outgoing.send(row.pk, now=NOW) == "unknown"
    assert len(youtube.sent("POST", "/comments")) == 1  # never sent again blindly
    # It was made after all: the check finds the channel's reply with the same text in the thread.
    youtube.replies[cid(4)] += [
        comment(f"{cid(4)}.AZother", "Svar om bilderna", timezone.now(), parent=cid(4)),
        comment(f"{cid(4)}.AZmade", "Svar om bilderna", timezone.now(), author_id=CHANNEL, parent=cid(4)),
    ]
    assert outgoing.check(row, by=cast["communicator"], now=NOW) == "done"
    row.refresh_from_db()
    assert row.platform_ref == f"{cid(4)}.AZmade"
    [looked] = youtube.sent("GET", "/comments")
    assert looked.query["parentId"] == cid(4)


def remove(item: Item, cast: Any) -> Item:
    moderation.classify_item(item, triage=Triage(prohibited=[3]), by=cast["communicator"], now=NOW)
    store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    return moderation.remove_item(item, note="Personangrepp", by=cast["communicator"], now=NOW)


def test_a_comment_is_hidden_with_set_moderation_status_after_the_evidence_kau_prohibited_evidence(
    yt: Connection, youtube: YouTubeStandIn, cast: Any, media_root: Any
) -> None:
    item = remove(polled_item(yt, youtube), cast)
    row = Outgoing.objects.get(item=item)
    assert (row.action, row.status) == ("hide", "queued")
    assert outgoing.send(row.pk, now=NOW) == "done"
    [hid] = youtube.sent("POST", "/comments/setModerationStatus")
    assert hid.query == {"id": cid(4), "moderationStatus": "rejected"}
    assert hid.headers["authorization"] == f"Bearer {TOKEN}"
    assert hid.json is None
    assert youtube.hidden == [cid(4)]
    item.refresh_from_db()
    assert item.platform_status == PlatformStatus.HIDDEN
    assert item.evidence_id is not None


def test_a_hiding_refused_to_a_token_that_is_not_the_owners_says_why(
    yt: Connection, youtube: YouTubeStandIn, cast: Any, media_root: Any
) -> None:
    item = remove(polled_item(yt, youtube), cast)
    youtube.fail("moderate", FORBIDDEN)
    row = Outgoing.objects.get(item=item)
    assert outgoing.send(row.pk, now=NOW) == "failed"
    row.refresh_from_db()
    assert "could not be moderated" in row.reason


def test_what_youtube_cannot_hide_is_not_possible_with_the_reason(
    yt: Connection, cast: Any, media_root: Any
) -> None:
    logged = moderation.log_item(
        yt.account,
        kind="post",
        author="Besökare",
        text="Ett inlägg",
        received_at=NOW - timedelta(hours=1),
        by=None,
        now=NOW,
        platform_id="dQw4w9WgXcQ",
        source=Item.Source.PLATFORM,
    )
    item = remove(logged, cast)
    row = Outgoing.objects.get(item=item)
    assert row.status == "not_possible"
    assert "YouTube" in row.reason
    assert "YouTube" in item.log.get(action=LogEntry.Action.POST_FAILED).note


# --- The figures (KAU-FOLLOWUP) -----------------------------------------------------------------------------


def test_the_figures_are_the_channels_statistics_parsed_strictly(
    yt: Connection, youtube: YouTubeStandIn
) -> None:
    assert ADAPTER.figures(yt) == {"followers": 8900, "posts_total": 321, "views_total": 1234567}
    youtube.statistics.update(hiddenSubscriberCount=True, viewCount="12e4", videoCount=-3)
    assert ADAPTER.figures(yt) == {}

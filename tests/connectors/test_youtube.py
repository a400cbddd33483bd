"""YouTube against its stand-in (tests/connectors/youtube_standin.py): the channel checked before it is
connected, the comment threads polled from a cursor (KAU-RESP-DAILY), the channel's own comments kept
as its publications (KAU-PUBLIC-RECORD), the daily quota spent as a budget, backoff on quota, rate
limits and 5xx, an expired token turning the connection to needs attention, answers posted under the
thread's top-level comment and comments hidden after the evidence is kept (KAU-PROHIBITED-EVIDENCE)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors import polling, services
from connectors.errors import MissingPermission, PageUnreachable, Refused, TokenError, Unavailable
from connectors.models import Connection, Event
from connectors.youtube import ADAPTER, api
from moderation.models import Item, LogEntry, Publication
from tests.connectors.youtube_standin import (
    API_KEY,
    CHANNEL,
    COMMENTS_DISABLED,
    FORBIDDEN,
    INSUFFICIENT,
    QUOTA_EXCEEDED,
    RATE_LIMITED,
    SERVER_ERROR,
    TOKEN,
    TOKEN_INVALID,
    VIDEO,
    YouTubeStandIn,
    comment,
    error,
    visitor,
    youtube_api,
)
from tests.support import in_english, login

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 01:00 on 26 November in Pacific time


def ago(hours: float, now: datetime = NOW) -> datetime:
    return now - timedelta(hours=hours)


def cid(number: int) -> str:
    """A top-level comment's id, of YouTube's shape."""
    return f"Ugz{number:023d}"


@pytest.fixture
def yt(make_account: Any) -> Connection:
    """A live connection with the channel's token, made directly (without the check)."""
    account = make_account(platform="youtube", name="Karlstads universitet", handle="karlstadsuniversitet")
    connection = Connection(
        account=account, platform="youtube", external_id=CHANNEL, connected_at=NOW - timedelta(days=30)
    )
    connection.token = TOKEN
    connection.save()
    return connection


@pytest.fixture
def youtube(settings: Any) -> Iterator[YouTubeStandIn]:
    with youtube_api(settings) as stand_in:
        yield stand_in


def poll(connection: Connection, now: datetime = NOW) -> Any:
    connection.refresh_from_db()
    return polling.poll_connection(connection, now=now)


def channel_visited(youtube: YouTubeStandIn) -> None:
    """Three threads on the channel's video in two pages, one with a reply by the channel and one
    older than the 14 days the first poll reads back."""
    youtube.page_size = 2
    youtube.add(comment(cid(1), "Gammal fråga", ago(24 * 20)))
    youtube.add(
        comment(cid(2), "När börjar kursen? 😀", ago(50), author="Anna", author_id=visitor(2)),
        [
            comment(
                f"{cid(2)}.r1", "Den 15 januari!", ago(49), author="KaU", author_id=CHANNEL, parent=cid(2)
            ),
            comment(f"{cid(2)}.r2", "Tack!", ago(48), author="Anna", author_id=visitor(2), parent=cid(2)),
        ],
    )
    youtube.add(comment(cid(3), "Bra föreläsning", ago(10), author="Per", author_id=visitor(3)))
    youtube.add(comment(cid(4), "Var finns bilderna?", ago(2), author="Eva", author_id=visitor(4)))


# --- Connecting ---------------------------------------------------------------------------------------------


def test_connecting_checks_that_the_token_is_the_channels_own(
    youtube: YouTubeStandIn, make_account: Any, cast: Any
) -> None:
    account = make_account(platform="youtube")
    connection = services.connect(
        account, platform="youtube", external_id=CHANNEL, token=TOKEN, by=cast["communicator"], now=NOW
    )
    assert (connection.external_id, connection.name_on_platform, connection.health) == (
        CHANNEL,
        "Karlstads universitet",
        "active",
    )
    assert connection.token == TOKEN
    [asked] = youtube.sent("GET", "/channels")
    assert asked.query == {"part": "snippet,statistics", "mine": "true"}
    assert asked.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_token_of_another_channel_or_none_connects_nothing(
    youtube: YouTubeStandIn, make_account: Any, cast: Any
) -> None:
    account = make_account(platform="youtube")
    other = "UC" + "x" * 22
    with pytest.raises(ValidationError) as refused:
        services.connect(account, platform="youtube", external_id=other, token=TOKEN, by=None, now=NOW)
    assert CHANNEL in str(refused.value.message_dict["token"])
    with pytest.raises(ValidationError) as expired:
        services.connect(account, platform="youtube", external_id=CHANNEL, token="ya29.old", by=None, now=NOW)
    assert "token" in expired.value.message_dict
    with pytest.raises(ValidationError) as shape:
        services.connect(account, platform="youtube", external_id="kau", token=TOKEN, by=None, now=NOW)
    assert "external_id" in shape.value.message_dict
    assert not Connection.objects.exists()


# --- The poll -----------------------------------------------------------------------------------------------


def test_the_first_poll_reads_back_14_days_page_by_page(yt: Connection, youtube: YouTubeStandIn) -> None:
    channel_visited(youtube)
    tally = poll(yt)
    assert tally is not None
    assert tally.created == 4
    calls = youtube.sent("GET", "/commentThreads")
    assert len(calls) == 2  # two threads a page: the old thread on the second page stops the walk
    assert calls[0].query == {
        "part": "snippet,replies",
        "allThreadsRelatedToChannelId": CHANNEL,
        "order": "time",
        "maxResults": "100",
        "textFormat": "plainText",
    }
    assert calls[0].headers["authorization"] == f"Bearer {TOKEN}"  # no API key: the channel's token
    assert "pageToken" in calls[1].query
    items = {item.platform_id: item for item in Item.objects.filter(account=yt.account)}
    assert set(items) == {cid(2), f"{cid(2)}.r2", cid(3), cid(4)}  # not the old one, not the channel's
    question = items[cid(2)]
    assert (question.kind, question.author, question.author_platform_id, question.text) == (
        "comment",
        "Anna",
        visitor(2),
        "När börjar kursen? 😀",
    )
    assert question.in_reply_to == VIDEO
    assert question.url == f"https://www.youtube.com/watch?v={VIDEO}&lc={cid(2)}"
    assert question.received_at == ago(50)
    assert items[f"{cid(2)}.r2"].in_reply_to == cid(2)
    event = Event.objects.get(item=question)
    assert event.payload["id"] == cid(2)
    assert event.payload["snippet"]["topLevelComment"]["id"] == cid(2)
    yt.refresh_from_db()
    assert yt.cursor["since"] == ago(2).isoformat()
    assert yt.cursor["ids"] == [cid(4)]
    assert yt.cursor["quota"] == {"day": "2026-11-26", "spent": 2}
    assert (yt.polled_until, yt.poll_failures) == (NOW, 0)


def test_the_channels_own_reply_is_its_publication_answering_the_comment_kau_public_record(
    yt: Connection, youtube: YouTubeStandIn
) -> None:
    channel_visited(youtube)
    poll(yt)
    kept = Publication.objects.get(account=yt.account, platform_id=f"{cid(2)}.r1")
    assert (kept.kind, kept.text, kept.in_reply_to) == ("reply", "Den 15 januari!", cid(2))
    assert kept.answers == Item.objects.get(platform_id=cid(2))
    assert not Item.objects.filter(platform_id=f"{cid(2)}.r1").exists()


def test_a_poll_with_nothing_new_makes_one_call_and_creates_nothing(
    yt: Connection, youtube: YouTubeStandIn
) -> None:
    channel_visited(youtube)
    poll(yt)
    before = (Item.objects.count(), Event.objects.count(), len(youtube.sent()))
    tally = poll(yt, NOW + timedelta(minutes=15))
    assert tally is not None
    assert (tally.created, tally.comments) == (0, 0)
    assert (Item.objects.count(), Event.objects.count(), len(youtube.sent())) == (
        before[0],
        before[1],
        before[2] + 1,
    )
    yt.refresh_from_db()
    assert yt.cursor["quota"]["spent"] == 3


def test_what_is_new_since_the_cursor_comes_in_and_the_walk_stops_there(
    yt: Connection, youtube: YouTubeStandIn
) -> None:
    channel_visited(youtube)
    poll(yt)
    later = NOW + timedelta(hours=1)
    youtube.add(comment(cid(5), "En ny fråga", ago(0.5, later), author="Olle", author_id=visitor(5)))
    youtube.page_size = 100
    calls = len(youtube.sent())
    tally = poll(yt, later)
    assert tally is not None
    assert tally.created == 1
    assert len(youtube.sent()) == calls + 1
    assert Item.objects.get(platform_id=cid(5)).text == "En ny fråga"


def test_a_thread_with_more_replies_than_it_carries_is_read_with_comments_list(
    yt: Connection, youtube: YouTubeStandIn
) -> None:
    replies = [
        comment(f"{cid(7)}.r{n}", f"Svar {n}", ago(5 - n * 0.1), author_id=visitor(10 + n), parent=cid(7))
        for n in range(5)
    ]
    youtube.add(comment(cid(7), "Vad tycker ni?", ago(6)), replies, listed=1)
    youtube.page_size = 2
    poll(yt)
    [asked_one, asked_two, asked_three] = youtube.sent("GET", "/comments")
    assert asked_one.query["parentId"] == cid(7)
    assert asked_one.query["part"] == "snippet"
    assert "pageToken" in asked_two.query
    assert "pageToken" in asked_three.query
    assert Item.objects.filter(in_reply_to=cid(7)).count() == 5


def test_an_authors_edit_is_recorded_with_both_texts_kau_public_record(
    yt: Connection, youtube: YouTubeStandIn
) -> None:
    youtube.add(comment(cid(8), "Fel datum", ago(3)))
    poll(yt)
    later = NOW + timedelta(minutes=20)
    youtube.set_top(comment(cid(8), "Rätt datum", ago(3), updated=later - timedelta(minutes=5)))
    poll(yt, later)
    item = Item.objects.get(platform_id=cid(8))
    assert item.text == "Rätt datum"
    edited = item.log.get(action=LogEntry.Action.EDITED)
    assert "Fel datum" in edited.note
    assert "Rätt datum" in edited.note


def test_malformed_rows_are_kept_as_error_events_and_the_rest_comes_in(
    yt: Connection, youtube: YouTubeStandIn
) -> None:
    youtube.add(comment(cid(20), "Hej", ago(4)))
    broken = comment(cid(21), "Ingen tid", ago(3))
    broken["snippet"]["publishedAt"] = "i går"
    youtube.add(broken)
    youtube.add_raw({"kind": "youtube#commentThread", "id": "<script>", "snippet": {}})
    bad_reply = comment(f"{cid(22)}.r1", "Svar", ago(1), parent=cid(22))
    bad_reply["snippet"]["authorChannelId"] = {"value": "javascript:alert(1)"}
    youtube.add(comment(cid(22), "Fråga", ago(2)), [bad_reply])
    tally = poll(yt)
    assert tally is not None
    assert (tally.created, tally.errors) == (2, 3)
    errors = Event.objects.filter(connection=yt, outcome=Event.Outcome.ERROR)
    assert {e.payload.get("id") for e in errors} == {"<script>", cid(21), f"{cid(22)}.r1"}
    assert all(e.error for e in errors)
    assert set(Item.objects.values_list("platform_id", flat=True)) == {cid(20), cid(22)}
    # The unreadable threads are not reported again by the next poll.
    poll(yt, NOW + timedelta(minutes=15))
    assert Event.objects.filter(connection=yt, outcome=Event.Outcome.ERROR).count() == 3


def test_reads_carry_the_api_key_when_the_installation_has_one(yt: Connection, settings: Any) -> None:
    with youtube_api(settings, api_key=API_KEY) as youtube:
        youtube.add(comment(cid(30), "Hej", ago(1)))
        poll(yt)
        [asked] = youtube.sent("GET", "/commentThreads")
        assert asked.query["key"] == API_KEY
        assert "authorization" not in asked.headers
        # While the token is in question, the poll reads with it: only a working token ends that.
        Connection.objects.filter(pk=yt.pk).update(health="attention", cause="token_expired")
        poll(yt, NOW + timedelta(minutes=15))
        last = youtube.sent("GET", "/commentThreads")[-1]
        assert "key" not in last.query
        assert last.headers["authorization"] == f"Bearer {TOKEN}"


# --- The quota ----------------------------------------------------------------------------------------------


def test_the_polls_spend_at_most_the_channels_share_of_the_quota(
    yt: Connection, settings: Any, make_account: Any
) -> None:
    with youtube_api(settings, quota=1000) as youtube:
        assert api.channel_share() == 800  # 80 %: a fifth is kept for answers and hidings
        other = Connection(
            account=make_account(platform="youtube"),
            platform="youtube",
            external_id="UC" + "y" * 22,
            connected_at=NOW,
        )
        other.token = "ya29.other"
        other.save()
        assert api.channel_share() == 400  # shared evenly by the live channels with a token
        assert ADAPTER.interval() == timedelta(seconds=900)  # 200 polls a day fit: the platform's 15 min
        settings.YOUTUBE_DAILY_QUOTA = 100
        assert ADAPTER.interval() == timedelta(seconds=24 * 3600 // 20)  # 40 units: 20 polls a day
        settings.YOUTUBE_DAILY_QUOTA = 1000
        Connection.objects.filter(pk=yt.pk).update(cursor={"quota": {"day": "2026-11-26", "spent": 399}})
        youtube.add(comment(cid(40), "Hej", ago(1)))
        poll(yt)
        yt.refresh_from_db()
        assert yt.cursor["quota"] == {"day": "2026-11-26", "spent": 400}
        calls = len(youtube.sent())
        # The share is spent: the poll calls nothing until the quota's day ends (midnight Pacific).
        youtube.add(comment(cid(41), "Hallå?", ago(0.5)))
        assert poll(yt, NOW + timedelta(hours=1)) is not None
        assert len(youtube.sent()) == calls
        assert not Item.objects.filter(platform_id=cid(41)).exists()
        next_day = datetime(2026, 11, 27, 8, 1, tzinfo=UTC)  # 00:01 in Pacific time
        poll(yt, next_day)
        assert Item.objects.filter(platform_id=cid(41)).exists()
        yt.refresh_from_db()
        assert yt.cursor["quota"] == {"day": "2026-11-27", "spent": 1}


def test_a_walk_cut_short_by_the_budget_keeps_its_position(yt: Connection, settings: Any) -> None:
    with youtube_api(settings, quota=1000) as youtube:
        channel_visited(youtube)
        Connection.objects.filter(pk=yt.pk).update(cursor={"quota": {"day": "2026-11-26", "spent": 799}})
        poll(yt)
        yt.refresh_from_db()
        assert "since" not in yt.cursor  # still the first poll: the next day reads the 14 days again
        assert yt.cursor["quota"] == {"day": "2026-11-26", "spent": 800}
        assert Item.objects.count() == 2  # what the one page held is in


def test_the_connection_page_shows_what_is_left_of_the_quota(
    client: Client, cast: Any, yt: Connection, youtube: YouTubeStandIn
) -> None:
    now = timezone.now()
    youtube.add(comment(cid(50), "Hej", now - timedelta(minutes=30)))
    poll(yt, now)
    in_english(login(client, cast, "communicator"))
    page = client.get(reverse("connectors:account", args=[yt.account_id])).content.decode()
    assert 'data-quota-spent="1"' in page
    assert 'data-quota-left="7999"' in page
    assert 'data-quota-share="8000"' in page
    assert 'data-quota-total="10000"' in page
    assert 'data-quota-writes="0"' in page
    assert 'data-reads-with="token"' in page
    assert "midnight Pacific time" in page
    assert 'data-access-help="youtube"' in page
    assert "youtube.force-ssl" in page


# --- Failures -----------------------------------------------------------------------------------------------


def test_a_spent_quota_is_a_backoff_not_a_missing_permission(yt: Connection, youtube: YouTubeStandIn) -> None:
    youtube.fail("commentThreads", QUOTA_EXCEEDED)
    assert poll(yt) is None
    yt.refresh_from_db()
    assert (yt.health, yt.cause, yt.poll_failures) == ("active", "", 1)
    assert yt.next_poll_at is not None
    assert yt.next_poll_at >= NOW + timedelta(hours=1)
    assert "quota" in yt.last_error
    assert len(youtube.sent()) == 1  # not tried again at once
    assert yt.cursor["quota"]["spent"] == 1  # the refused call is counted all the same


def test_a_rate_limit_backs_off(yt: Connection, youtube: YouTubeStandIn) -> None:
    youtube.fail("commentThreads", RATE_LIMITED)
    assert poll(yt) is None
    yt.refresh_from_db()
    assert (yt.health, yt.poll_failures) == ("active", 1)
    assert yt.next_poll_at is not None
    assert yt.next_poll_at > NOW + ADAPTER.interval()


def test_a_5xx_is_tried_again_then_backs_off(yt: Connection, youtube: YouTubeStandIn) -> None:
    youtube.fail("commentThreads", SERVER_ERROR, SERVER_ERROR, SERVER_ERROR)
    assert poll(yt) is None
    yt.refresh_from_db()
    assert (yt.health, yt.poll_failures) == ("active", 1)
    assert yt.next_poll_at == NOW + min(ADAPTER.interval() * 2, polling.BACKOFF_MAX)
    assert len(youtube.sent()) == 3
    youtube.add(comment(cid(60), "Nu då?", ago(1)))
    poll(yt, NOW + timedelta(hours=1))
    yt.refresh_from_db()
    assert yt.poll_failures == 0
    assert Item.objects.filter(platform_id=cid(60)).exists()


def test_an_expired_token_turns_the_connection_to_needs_attention_kau_resp_daily(
    yt: Connection, youtube: YouTubeStandIn
) -> None:
    youtube.fail("commentThreads", TOKEN_INVALID)
    assert poll(yt) is None
    yt.refresh_from_db()
    assert (yt.health, yt.cause) == ("attention", "token_expired")
    assert yt.next_poll_at == NOW + polling.BACKOFF_MAX


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (QUOTA_EXCEEDED, Unavailable),
        (RATE_LIMITED, Unavailable),
        (error(403, "dailyLimitExceeded", "Daily Limit Exceeded"), Unavailable),
        (error(403, "userRateLimitExceeded", "User Rate Limit Exceeded"), Unavailable),
        (TOKEN_INVALID, TokenError),
        (INSUFFICIENT, MissingPermission),
        (FORBIDDEN, MissingPermission),
        (COMMENTS_DISABLED, Refused),
        (error(404, "channelNotFound", "Channel not found"), PageUnreachable),
        (error(404, "commentNotFound", "Comment not found"), Refused),
        (error(404, "videoNotFound", "Video not found"), Refused),
        (SERVER_ERROR, Unavailable),
        ((503, "<html>down</html>"), Unavailable),
    ],
)
def test_youtubes_errors_are_read_by_their_reason(answer: tuple[int, Any], expected: type) -> None:
    status, body = answer
    found = api.classify(status, body, {})
    assert type(found) is expected
    if isinstance(body, dict):
        assert "<a" not in found.reason
        assert body["error"]["errors"][0]["reason"] in found.reason


def test_a_hostile_error_body_is_kept_as_plain_storable_text(yt: Connection, youtube: YouTubeStandIn) -> None:
    hostile = {
        "error": {
            "code": 500,
            "message": "fel\x00<img src=x onerror=alert(1)>",
            "errors": [{"reason": "<b>"}],
        }
    }
    youtube.fail("commentThreads", (500, hostile), (500, hostile), (500, hostile))
    assert poll(yt) is None
    yt.refresh_from_db()
    assert "\x00" not in yt.last_error
    assert "<" not in yt.last_error
    assert yt.poll_failures == 1


def test_a_spent_quota_waits_until_midnight_pacific() -> None:
    found = api.classify(*QUOTA_EXCEEDED, {})
    assert found.retry_after is not None
    assert 60 <= found.retry_after <= 25 * 3600
    assert api.next_reset(NOW) == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # PST is UTC-8
    assert api.next_reset(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)

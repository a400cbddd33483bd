"""The TikTok connector (connectors.tiktok) against the stand-in of TikTok API for Business: connecting
checks the business account, the poll reads the comments on the account's recent videos from a stored
cursor (a first poll of 14 days with paging, then only what is new), the account's own videos and
comments are kept as its published record (KAU-PUBLIC-RECORD), rate limits and 5xx back off, a revoked
token or a missing scope turns the connection to needs attention (KAU-RESP-DAILY), and answers and
hidings go out to TikTok."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from archive.services import store_evidence
from connectors import outgoing, services
from connectors.adapters import adapter_for
from connectors.models import Connection, Event, Outgoing
from connectors.polling import BACKOFF_MAX, poll_connection
from connectors.tiktok import ADAPTER
from connectors.tiktok.poll import OVERLAP
from moderation import services as moderation
from moderation.models import Item, LogEntry, PlatformStatus, Publication
from moderation.services import Triage
from tests.connectors.tiktok_standin import (
    BUSINESS_ID,
    INTERNAL,
    NO_PERMISSION,
    RATE_LIMITED,
    SERVER_ERROR,
    TOKEN,
    TOKEN_REVOKED,
    TOO_MANY,
    USERNAME,
    Delay,
    TikTokStandIn,
    connect,
    tiktok_api,
)
from tests.support import in_english, login, png

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


@pytest.fixture
def account(make_account: Any) -> Any:
    return make_account(platform="tiktok", name="Karlstads universitet", handle="karlstadsuniversitet")


@pytest.fixture
def tt(account: Any) -> Connection:
    return connect(account)


def video_url(video_id: str) -> str:
    return f"https://www.tiktok.com/@{USERNAME}/video/{video_id}"


def fresh(connection: Connection) -> Connection:
    return Connection.objects.get(pk=connection.pk)


class Account:
    """The ids of what ``fill`` put on the stand-in."""

    def __init__(self, api: TikTokStandIn) -> None:
        self.api = api
        # The newest video, two older ones inside the 60 days watched, one outside them.
        self.new = api.video(ago(30), "Välkommen till Karlstads universitet! #studentliv")
        self.mid = api.video(ago(24 * 10), "Campus i snö")
        self.old = api.video(ago(24 * 20), "Forskarnas natt")
        self.ancient = api.video(ago(24 * 70), "Gammal film")
        # On the newest: two visitors, the account's own answer, a thread with a visitor's reply and
        # the account's.
        self.c1 = api.comment(self.new, ago(20), "När öppnar anmälan? 🎓", name="Anna Andersson")
        self.c2 = api.comment(self.new, ago(10), "Fin film!", name="Bo Berg")
        self.own = api.comment(self.new, ago(9), "Den 15 mars, välkommen!", owner=True)
        self.c4 = api.comment(self.new, ago(2), "Finns det studentbostäder?", name="Cecilia")
        self.r1 = api.comment(self.new, ago(1), "Jag undrar också", name="David", parent=self.c4)
        self.r2 = api.comment(self.new, ago(0.5), "Ja, via SSSB!", owner=True, parent=self.c4)
        # On the 20-day-old video: one comment older than the 14 days read back, one new.
        self.stale = api.comment(self.old, ago(24 * 15), "Gammal kommentar", name="Erik")
        self.late = api.comment(self.old, ago(5), "Såg den först nu", name="Fia")
        # On the video outside the 60 days: never read.
        self.unwatched = api.comment(self.ancient, ago(1), "Hallå?", name="Gustav")

    def pid(self, video: str, comment: str) -> str:
        return f"{video}_{comment}"


# --- Connecting ------------------------------------------------------------------------------------------


def test_connecting_checks_the_business_account_and_keeps_its_name(
    settings: Any, account: Any, cast: Any
) -> None:
    with tiktok_api(settings) as api:
        made = services.connect(
            account, platform="tiktok", external_id=BUSINESS_ID, token=TOKEN, by=cast["communicator"], now=NOW
        )
        [asked] = api.sent("GET", "business/get/")
    assert asked.headers["access-token"] == TOKEN
    assert asked.query["business_id"] == BUSINESS_ID
    assert json.loads(asked.query["fields"]) == ["username", "display_name", "is_business_account"]
    made = fresh(made)
    assert (made.platform, made.external_id, made.name_on_platform, made.health) == (
        "tiktok",
        BUSINESS_ID,
        "Karlstads universitet",
        "active",
    )
    assert (made.token, made.session) == (TOKEN, {"username": USERNAME})
    # TikTok's token lives 24 hours from when it was issued: the page says when it expires at the latest.
    assert made.token_expires_at is not None
    assert made.token_expires_at <= timezone.now() + timedelta(hours=24)
    assert adapter_for("tiktok") is ADAPTER
    assert ADAPTER.interval() == timedelta(seconds=settings.CONNECTOR_POLL_SECONDS["tiktok"])


def test_a_refused_token_or_a_personal_account_connects_nothing(
    settings: Any, account: Any, cast: Any
) -> None:
    with tiktok_api(settings) as api:
        with pytest.raises(ValidationError) as refused:
            services.connect(
                account, platform="tiktok", external_id=BUSINESS_ID, token="act.other", by=None, now=NOW
            )
        assert "token" in refused.value.error_dict
        assert "40105" in str(refused.value)
        api.profile["is_business_account"] = False
        with pytest.raises(ValidationError) as personal:
            services.connect(
                account, platform="tiktok", external_id=BUSINESS_ID, token=TOKEN, by=None, now=NOW
            )
        assert "token" in personal.value.error_dict
        before = api.calls()
        with pytest.raises(ValidationError) as shape:
            services.connect(
                account, platform="tiktok", external_id="../business/get", token=TOKEN, by=None, now=NOW
            )
        assert "external_id" in shape.value.error_dict
        assert api.calls() == before  # an identity of the wrong shape is never sent
    assert not Connection.objects.exists()


def test_the_connection_page_asks_for_the_business_id_and_explains_the_access(
    client: Any, account: Any, cast: Any
) -> None:
    page = in_english(login(client, cast, "communicator")).get(
        reverse("connectors:account", args=[account.pk])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-access-help="tiktok"' in html
    assert "<code>comment.list.manage</code>" in html
    assert "Business id (open_id)" in html
    assert "24 hours" in html


def test_connecting_on_the_page_with_a_refused_token_says_why(
    settings: Any, client: Any, account: Any, cast: Any
) -> None:
    with tiktok_api(settings):
        page = in_english(login(client, cast, "communicator")).post(
            reverse("connectors:connect", args=[account.pk]),
            {"external_id": BUSINESS_ID, "token": "act.expired"},
        )
    assert page.status_code == 400
    assert "40105" in page.content.decode()
    assert "act.expired" not in page.content.decode()  # a token is never shown again
    assert not Connection.objects.exists()


# --- The poll ----------------------------------------------------------------------------------------------


def test_the_first_poll_reads_14_days_of_the_watched_videos_page_by_page(
    settings: Any, tt: Connection
) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        api.page_size = 2  # TikTok may return fewer than max_count: the poll follows the cursors
        tally = poll_connection(tt, now=NOW)
        videos = api.sent("GET", "business/video/list/")
        on_new = api.sent("GET", "business/comment/list/")
        replies = api.sent("GET", "business/comment/reply/list/")
    assert tally is not None
    assert tally.errors == 0
    # The videos newest first, two pages by the time cursor; the one older than 60 days ends the list.
    assert [r.query.get("cursor") for r in videos] == [None, str(int(ago(24 * 10).timestamp()) * 1000)]
    assert json.loads(videos[0].query["fields"]) == ["item_id", "create_time", "caption"]
    assert {r.query["video_id"] for r in on_new} == {ids.new, ids.mid, ids.old}
    newest = [r for r in on_new if r.query["video_id"] == ids.new]
    assert [r.query.get("cursor") for r in newest] == [None, "2"]
    assert {(r.query["sort_field"], r.query["sort_order"]) for r in on_new} == {("create_time", "desc")}
    assert [r.query["comment_id"] for r in replies] == [ids.c4]
    items = {i.platform_id: i for i in Item.objects.filter(account=tt.account)}
    assert set(items) == {
        ids.pid(ids.new, ids.c1),
        ids.pid(ids.new, ids.c2),
        ids.pid(ids.new, ids.c4),
        ids.pid(ids.new, ids.r1),
        ids.pid(ids.old, ids.late),
    }
    first = items[ids.pid(ids.new, ids.c1)]
    assert (first.kind, first.author, first.text, first.url, first.in_reply_to, first.source) == (
        "comment",
        "Anna Andersson",
        "När öppnar anmälan? 🎓",
        video_url(ids.new),
        ids.new,
        "platform",
    )
    assert first.author_platform_id == "+AnnaAndersson/x1="
    assert first.received_at == ago(20)
    assert items[ids.pid(ids.new, ids.r1)].in_reply_to == ids.pid(ids.new, ids.c4)
    # The raw answer is kept with each item.
    event = Event.objects.get(item=first)
    assert (event.payload["comment_id"], event.payload["status"], event.outcome) == (
        ids.c1,
        "PUBLIC",
        "created",
    )
    connection = fresh(tt)
    assert connection.cursor["since"] == int(ago(0.5).timestamp())
    assert (connection.polled_until, connection.poll_failures, connection.health) == (NOW, 0, "active")
    assert len(json.dumps(connection.cursor)) < 2000  # small: times and ids


def test_the_accounts_own_videos_and_comments_are_its_published_record_kau_public_record(
    settings: Any, tt: Connection
) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        poll_connection(tt, now=NOW)
    kept = {p.platform_id: p for p in Publication.objects.filter(account=tt.account)}
    assert set(kept) == {ids.new, ids.mid, ids.pid(ids.new, ids.own), ids.pid(ids.new, ids.r2)}
    video = kept[ids.new]
    assert (video.kind, video.text, video.url, video.published_at) == (
        "post",
        "Välkommen till Karlstads universitet! #studentliv",
        video_url(ids.new),
        ago(30),
    )
    reply = kept[ids.pid(ids.new, ids.r2)]
    assert (reply.kind, reply.text, reply.in_reply_to) == ("reply", "Ja, via SSSB!", ids.pid(ids.new, ids.c4))
    assert kept[ids.pid(ids.new, ids.own)].in_reply_to == ids.new
    assert not Item.objects.filter(platform_id__endswith=ids.own).exists()


def test_a_poll_with_nothing_new_costs_one_call_per_watched_video_and_creates_nothing(
    settings: Any, tt: Connection
) -> None:
    with tiktok_api(settings) as api:
        Account(api)
        poll_connection(tt, now=NOW)
        counts = (Item.objects.count(), Publication.objects.count(), Event.objects.count())
        before = api.calls()
        tally = poll_connection(fresh(tt), now=NOW + timedelta(minutes=5))
        calls = api.calls() - before
    assert tally is not None
    assert (tally.created, tally.errors, tally.seen) == (0, 0, set())  # no rows at all
    assert calls == 1 + 3  # the videos, then the first page of each of the three watched videos
    assert (Item.objects.count(), Publication.objects.count(), Event.objects.count()) == counts
    assert fresh(tt).polled_until == NOW + timedelta(minutes=5)


def test_the_next_poll_brings_what_is_new_and_a_reply_under_an_older_comment(
    settings: Any, tt: Connection
) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        poll_connection(tt, now=NOW)
        fresh_comment = api.comment(ids.mid, NOW + timedelta(minutes=2), "Vackert!", name="Hanna")
        answer = api.comment(ids.new, NOW + timedelta(minutes=3), "Tack Anna!", name="Ivar", parent=ids.c1)
        # Shows up late, with a time a little before the last one read: the overlap finds it.
        late = api.comment(ids.new, ago(0.5) - timedelta(seconds=OVERLAP - 60), "Sent omsider", name="Jan")
        tally = poll_connection(fresh(tt), now=NOW + timedelta(minutes=5))
        replies = api.sent("GET", "business/comment/reply/list/")
    assert tally is not None
    assert tally.created == 3
    for made in (ids.pid(ids.mid, fresh_comment), ids.pid(ids.new, answer), ids.pid(ids.new, late)):
        assert Item.objects.filter(account=tt.account, platform_id=made).exists()
    # The first comment had no replies when read; its count grew, so its replies were read.
    assert [r.query["comment_id"] for r in replies] == [ids.c4, ids.c1]
    assert Item.objects.get(platform_id=ids.pid(ids.new, answer)).in_reply_to == ids.pid(ids.new, ids.c1)


def test_pages_are_read_to_the_end_when_tiktok_ignores_the_order(settings: Any, tt: Connection) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        api.page_size, api.ordered = 2, False
        poll_connection(tt, now=NOW)
        api.comment(ids.new, NOW + timedelta(minutes=1), "Hej!", name="Karin")
        before = len(api.sent("GET", "business/comment/list/"))
        tally = poll_connection(fresh(tt), now=NOW + timedelta(minutes=5))
        read = [
            r for r in api.sent("GET", "business/comment/list/")[before:] if r.query["video_id"] == ids.new
        ]
    assert tally is not None
    assert tally.created == 1  # the new one, written last, is on the last page
    assert len(read) == 3


def test_malformed_rows_are_kept_as_errors_once_and_the_rest_goes_on(settings: Any, tt: Connection) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        good = {"video_id": ids.new, "text": "x", "create_time": str(int(ago(3).timestamp()))}
        api.raw_comment(ids.new, {**good, "comment_id": "7311; DROP TABLE"})
        api.raw_comment(ids.new, {**good, "comment_id": "7311000000000099001", "create_time": "igår"})
        api.raw_comment(ids.new, {**good, "comment_id": "7311000000000099002", "text": {"html": "<b>"}})
        api.raw_comment(ids.new, {**good, "comment_id": "7311000000000099003", "video_id": ids.old})
        api.raw_comment(ids.new, "not an object")
        api.videos.append({"item_id": "https://evil.example/", "create_time": "1", "caption": "?"})
        tally = poll_connection(tt, now=NOW)
        again = poll_connection(fresh(tt), now=NOW + timedelta(minutes=5))
    assert tally is not None
    assert tally.errors == 6
    errors = Event.objects.filter(connection=tt, outcome=Event.Outcome.ERROR)
    assert errors.count() == 6  # kept once: the next poll, reading them again, keeps nothing new
    assert again is not None
    assert again.errors == 0
    kept = {json.dumps(e.payload, sort_keys=True): e.error for e in errors}
    assert any("comment_id is not an id" in error for error in kept.values())
    assert any("create_time is not a time" in error for error in kept.values())
    assert {"row": "not an object"} in [e.payload for e in errors]
    assert Item.objects.filter(account=tt.account).count() == 5  # the good ones all came in
    assert fresh(tt).poll_failures == 0


# --- Failures -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "said"), [(RATE_LIMITED, "40100"), (TOO_MANY, "HTTP 429")], ids=["code-40100", "http-429"]
)
def test_a_rate_limit_backs_off_and_keeps_the_cursor(
    settings: Any, tt: Connection, answer: Any, said: str
) -> None:
    with tiktok_api(settings) as api:
        Account(api)
        api.failing = [answer]
        assert poll_connection(tt, now=NOW) is None
        calls = api.calls()
    connection = fresh(tt)
    assert calls == 1  # a rate limit is not retried at once
    assert (connection.poll_failures, connection.cursor, connection.health) == (1, {}, "active")
    assert connection.next_poll_at == NOW + ADAPTER.interval() * 2
    assert said in connection.last_error
    assert not Item.objects.exists()


@pytest.mark.parametrize("answer", [SERVER_ERROR, INTERNAL], ids=["http-500", "code-50000"])
def test_a_failing_tiktok_backs_off(settings: Any, tt: Connection, answer: Any) -> None:
    with tiktok_api(settings) as api:
        api.failing = [answer] * 3
        assert poll_connection(tt, now=NOW) is None
        calls = api.calls()
        connection = fresh(tt)
        assert (connection.poll_failures, connection.health) == (1, "active")
        assert connection.next_poll_at == NOW + ADAPTER.interval() * 2
        # Once it answers again, the poll goes on from where it was.
        Account(api)
        api.failing = []
        assert poll_connection(connection, now=NOW + timedelta(minutes=10)) is not None
    assert calls == (3 if answer is SERVER_ERROR else 1)  # a 5xx is retried, briefly
    assert fresh(tt).poll_failures == 0
    assert Item.objects.count() == 5


def test_a_revoked_or_expired_token_needs_attention_kau_resp_daily(settings: Any, tt: Connection) -> None:
    with tiktok_api(settings) as api:
        api.failing = [TOKEN_REVOKED]
        assert poll_connection(tt, now=NOW) is None
    connection = fresh(tt)
    assert (connection.health, connection.cause) == ("attention", Connection.Cause.TOKEN_EXPIRED)
    assert "40105" in connection.last_error
    assert connection.next_poll_at == NOW + BACKOFF_MAX  # nothing changes until a person acts


def test_a_missing_scope_needs_attention(settings: Any, tt: Connection) -> None:
    with tiktok_api(settings) as api:
        api.failing = [NO_PERMISSION]
        assert poll_connection(tt, now=NOW) is None
    assert (fresh(tt).health, fresh(tt).cause) == ("attention", Connection.Cause.PERMISSION)


# --- Answers and hiding ------------------------------------------------------------------------------------


def test_an_answer_is_posted_as_a_reply_and_kept_as_the_accounts_publication(
    settings: Any, tt: Connection, cast: Any
) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        poll_connection(tt, now=NOW)
        item = Item.objects.get(platform_id=ids.pid(ids.new, ids.c1))
        assert "150" in (outgoing.answer_destination(item) or "")
        moderation.answer_item(item, answer="Den 15 mars! 🎓", by=cast["communicator"], now=NOW)
        row = Outgoing.objects.get(item=item)
        api.clock = NOW + timedelta(minutes=1)
        assert outgoing.send(row.pk, now=NOW) == "done"
        [sent] = api.sent("POST", "business/comment/reply/create/")
        # The next poll sees the reply as the account's own: no item, the same publication.
        tally = poll_connection(fresh(tt), now=NOW + timedelta(minutes=5))
    assert sent.headers["access-token"] == TOKEN
    assert sent.json == {
        "business_id": BUSINESS_ID,
        "video_id": ids.new,
        "comment_id": ids.c1,
        "text": "Den 15 mars! 🎓",
    }
    row.refresh_from_db()
    made = api.replies[ids.c1][0]["comment_id"]
    assert (row.status, row.platform_ref, row.platform_url) == (
        "done",
        ids.pid(ids.new, made),
        video_url(ids.new),
    )
    assert row.response["data"]["comment_id"] == made
    kept = Publication.objects.get(platform_id=ids.pid(ids.new, made))
    assert (kept.answers_id, kept.kind, kept.text) == (item.pk, "reply", "Den 15 mars! 🎓")
    assert item.log.filter(action=LogEntry.Action.POSTED, note__contains=made).exists()
    assert tally is not None
    assert tally.created == 0
    assert Publication.objects.filter(platform_id=ids.pid(ids.new, made)).count() == 1


def test_an_answer_to_a_reply_goes_to_its_thread(settings: Any, tt: Connection, cast: Any) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        poll_connection(tt, now=NOW)
        item = Item.objects.get(platform_id=ids.pid(ids.new, ids.r1))
        moderation.answer_item(item, answer="Läs mer på kau.se/bostad", by=cast["communicator"], now=NOW)
        assert outgoing.send(Outgoing.objects.get(item=item).pk, now=NOW) == "done"
        [sent] = api.sent("POST", "business/comment/reply/create/")
    assert sent.json["comment_id"] == ids.c4


def test_a_too_long_answer_fails_with_the_reason_and_sends_nothing(
    settings: Any, tt: Connection, cast: Any
) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        poll_connection(tt, now=NOW)
        item = Item.objects.get(platform_id=ids.pid(ids.new, ids.c2))
        moderation.answer_item(item, answer="Tack! " * 30, by=cast["communicator"], now=NOW)
        assert outgoing.send(Outgoing.objects.get(item=item).pk, now=NOW) == "failed"
        assert not api.sent("POST")
    assert "150" in Outgoing.objects.get(item=item).reason


def test_an_answer_with_an_unknown_outcome_is_checked_on_tiktok(
    settings: Any, tt: Connection, cast: Any
) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        poll_connection(tt, now=NOW)
        item = Item.objects.get(platform_id=ids.pid(ids.new, ids.c2))
        moderation.answer_item(item, answer="Tack Bo!", by=cast["communicator"], now=NOW)
        row = Outgoing.objects.get(item=item)
        settings.CONNECTOR_TIMEOUT = 1
        api.failing = [Delay(1.5, 200, {})]
        assert outgoing.send(row.pk, now=NOW) == "unknown"
        # It was made after all: the check finds the account's reply with the same text.
        made = api.comment(ids.new, NOW, "Tack Bo!", owner=True, parent=ids.c2)
        assert outgoing.check(row, by=cast["communicator"], now=NOW) == "done"
    row.refresh_from_db()
    assert row.platform_ref == ids.pid(ids.new, made)


def test_a_removal_hides_the_comment_after_the_evidence_kau_prohibited_evidence(
    settings: Any, tt: Connection, cast: Any, media_root: Any
) -> None:
    with tiktok_api(settings) as api:
        ids = Account(api)
        poll_connection(tt, now=NOW)
        item = Item.objects.get(platform_id=ids.pid(ids.old, ids.late))
        moderation.classify_item(item, triage=Triage(prohibited=[3]), by=cast["communicator"], now=NOW)
        store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
        moderation.remove_item(item, note="Personangrepp", by=cast["communicator"], now=NOW)
        row = Outgoing.objects.get(item=item)
        assert (row.action, row.status) == ("hide", "queued")
        assert outgoing.send(row.pk, now=NOW) == "done"
        [sent] = api.sent("POST", "business/comment/hide/")
        status = api.find(ids.late)["status"]
    assert sent.json == {
        "business_id": BUSINESS_ID,
        "video_id": ids.old,
        "comment_id": ids.late,
        "action": "HIDE",
    }
    assert status == "HIDDEN"
    item.refresh_from_db()
    assert item.platform_status == PlatformStatus.HIDDEN


def test_an_item_not_read_from_tiktok_cannot_be_removed_there(tt: Connection, cast: Any) -> None:
    item = moderation.log_item(
        tt.account,
        kind="comment",
        author="A",
        text="?",
        received_at=ago(1),
        by=None,
        now=NOW,
        platform_id="handloggad",
    )
    action, reason = ADAPTER.removal(item)
    assert (action, bool(reason)) == ("hide", True)


# --- The figures (KAU-FOLLOWUP) -----------------------------------------------------------------------------


def test_the_figures_come_from_the_accounts_profile_kau_followup(settings: Any, tt: Connection) -> None:
    with tiktok_api(settings) as api:
        figures = ADAPTER.figures(tt)
        [asked] = api.sent("GET", "business/get/")
    assert figures == {"followers": 12840, "posts_total": 214, "reactions_total": 98765}
    assert json.loads(asked.query["fields"]) == ["followers_count", "videos_count", "total_likes"]

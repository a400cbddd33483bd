"""LinkedIn organisation pages (connectors.linkedin) against a stand-in speaking the Community Management
API's documented shapes: connecting checks the token and the page role, the poll reads the posts and
their comments incrementally (paging, a stored cursor, nested replies, the organisation's own writing
kept as its published record, malformed rows kept once), rate limits and 5xx back off, a refused token
needs attention (KAU-RESP-DAILY), answers go out as the organisation, comments are deleted after the
evidence is kept (KAU-PROHIBITED-EVIDENCE), and the followers come for the follow-up (KAU-FOLLOWUP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from archive.services import store_evidence
from connectors import outgoing, services
from connectors.linkedin import ADAPTER, read
from connectors.models import Connection, Event, Outgoing
from connectors.polling import poll_connection
from core.models import Notification
from moderation import services as moderation
from moderation.models import Item, LogEntry, PlatformStatus, Publication
from moderation.services import Triage
from tests.connectors.linkedin_standin import (
    DENIED,
    EXPIRED,
    ORG,
    ORG_ID,
    REVOKED,
    SERVER_ERROR,
    THROTTLED,
    TOKEN,
    VERSION,
    LinkedInStandIn,
    error,
    linkedin_api,
    ms,
)
from tests.support import in_english, png

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=10)
VISITOR = "urn:li:person:Vis1t0r"
STUDENT = "urn:li:person:Stud3nt_9"


@pytest.fixture
def li(make_account: Any) -> Connection:
    """A live LinkedIn connection with a token, made directly (connecting is tested on its own)."""
    account = make_account(platform="linkedin", name="Karlstads universitet", handle="karlstads-universitet")
    connection = Connection(
        account=account, platform="linkedin", external_id=ORG_ID, connected_at=NOW - timedelta(days=1)
    )
    connection.token = TOKEN
    connection.save()
    return connection


def days(n: float) -> datetime:
    return NOW - timedelta(days=n)


def hours(n: float) -> datetime:
    return NOW - timedelta(hours=n)


def organisation_page(api: LinkedInStandIn) -> dict[str, str]:
    """Five posts changed in the last 14 days, two older; comments on the newest with a reply by the
    organisation and one by a visitor, a comment by the organisation itself, a comment older than 14
    days, and a post and a comment LinkedIn sent without the documented fields."""
    u: dict[str, str] = {}
    u["p1"] = api.post(7001, at=days(1), text="Välkommen till öppet hus på lördag!")
    u["p2"] = api.post(7002, at=days(3), text="Nytt forskningsprogram om skogens klimatnytta.")
    u["p3"] = api.post(7003, at=days(6))
    u["p4"] = api.post(7004, at=days(9))
    u["p5"] = api.post(7005, at=days(25), modified=days(5), text="Uppdaterad: antagningsbesked")
    u["p6"] = api.post(7006, at=days(20))
    u["p7"] = api.post(7007, at=days(30))
    api.posts.append({"id": "urn:li:share:not-a-number", "author": ORG, "lastModifiedAt": ms(days(2))})
    u["c1"] = api.comment(u["p1"], at=hours(20), text="När börjar det? 😀", actor=VISITOR)
    u["c1_org"] = api.comment(u["c1"], at=hours(19), text="Klockan tio!", actor=ORG)
    u["c1_tack"] = api.comment(u["c1"], at=hours(18), text="Tack!", actor=STUDENT)
    u["c2"] = api.comment(u["p1"], at=hours(10), text="Blir det fika?", actor=STUDENT)
    u["c3_org"] = api.comment(u["p1"], at=hours(9), text="Välkomna alla!", actor=ORG)
    u["old"] = api.comment(u["p5"], at=days(20), text="Gammal fråga", actor=VISITOR)
    api.comments[u["p2"]].append(
        {"id": "91", "commentUrn": "urn:li:comment:(urn:li:activity:1,91)", "actor": VISITOR, "message": {}}
    )
    return u


def items_of(connection: Connection) -> dict[str, Item]:
    return {item.platform_id: item for item in Item.objects.filter(account=connection.account)}


# --- Connecting -------------------------------------------------------------------------------------------


def test_connecting_checks_the_token_and_the_page_role(settings: Any, make_account: Any, cast: Any) -> None:
    account = make_account(platform="linkedin")
    with linkedin_api(settings) as api:
        connection = services.connect(
            account, platform="linkedin", external_id=ORG, token=TOKEN, by=cast["communicator"], now=NOW
        )
        sent = api.sent()
    assert (connection.external_id, connection.name_on_platform) == (ORG_ID, "Karlstads universitet")
    assert (connection.health, connection.token) == ("active", TOKEN)
    assert [r.path for r in sent] == [f"/rest/organizations/{ORG_ID}", "/rest/organizationAcls"]
    assert (sent[1].query["q"], sent[1].query["state"]) == ("roleAssignee", "APPROVED")
    for request in sent:  # every call is versioned Rest.li 2.0 with the member's token
        assert request.headers["linkedin-version"] == VERSION
        assert request.headers["x-restli-protocol-version"] == "2.0.0"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_content_admin_may_connect_too(settings: Any, make_account: Any, cast: Any) -> None:
    with linkedin_api(settings) as api:
        api.acls[0]["role"] = "CONTENT_ADMINISTRATOR"
        connection = services.connect(
            make_account(platform="linkedin"),
            platform="linkedin",
            external_id=ORG_ID,
            token=TOKEN,
            by=cast["communicator"],
            now=NOW,
        )
    assert connection.external_id == ORG_ID


@pytest.mark.parametrize(
    "acls",
    [
        [{"role": "ANALYST", "organization": ORG}],
        [{"role": "ADMINISTRATOR", "organization": "urn:li:organization:999"}],
        [],
    ],
    ids=["analyst", "admin-of-another-page", "no-role"],
)
def test_a_member_without_an_admin_role_is_refused_and_nothing_is_stored(
    settings: Any, make_account: Any, cast: Any, acls: list[dict[str, str]]
) -> None:
    account = make_account(platform="linkedin")
    with linkedin_api(settings) as api, translation.override("en"):
        api.acls = [{"roleAssignee": "urn:li:person:Adm1nX", "state": "APPROVED", **acl} for acl in acls]
        with pytest.raises(ValidationError) as refused:
            services.connect(
                account,
                platform="linkedin",
                external_id=ORG_ID,
                token=TOKEN,
                by=cast["communicator"],
                now=NOW,
            )
    [message] = refused.value.message_dict["token"]
    assert "not a super admin or content admin of the page" in message
    assert not Connection.objects.exists()


def test_an_unknown_organisation_or_a_refused_token_is_said_at_the_field(
    settings: Any, make_account: Any, cast: Any
) -> None:
    account = make_account(platform="linkedin")
    with linkedin_api(settings) as api, translation.override("en"):
        with pytest.raises(ValidationError) as unknown:
            services.connect(
                account, platform="linkedin", external_id="999", token=TOKEN, by=cast["communicator"], now=NOW
            )
        api.on("GET", r"organizations/\d+", EXPIRED)
        with pytest.raises(ValidationError) as expired:
            services.connect(
                account,
                platform="linkedin",
                external_id=ORG_ID,
                token=TOKEN,
                by=cast["communicator"],
                now=NOW,
            )
        with pytest.raises(ValidationError) as shape:
            services.connect(
                account, platform="linkedin", external_id="kau", token=TOKEN, by=cast["communicator"], now=NOW
            )
        assert len(api.sent()) == 2  # an identity of the wrong shape is refused before any call
    assert "has no organisation with the id 999" in unknown.value.message_dict["token"][0]
    assert "The token used in the request has expired" in expired.value.message_dict["token"][0]
    assert "external_id" in shape.value.message_dict
    assert not Connection.objects.exists()


def test_the_connection_page_explains_tiers_and_role(client: Any, cast: Any, make_account: Any) -> None:
    account = make_account(platform="linkedin")
    client.force_login(cast["communicator"])
    page = in_english(client).get(f"/kopplingar/konto/{account.pk}/").content.decode()
    assert 'data-access-help="linkedin"' in page
    for words in (
        "Development tier",
        "Standard tier",
        "Super admin",
        "Content admin",
        "rw_organization_admin",
    ):
        assert words in page


# --- The poll ---------------------------------------------------------------------------------------------


def test_the_first_poll_reads_14_days_page_by_page(
    settings: Any, li: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read, "POSTS_PAGE", 2)
    monkeypatch.setattr(read, "COMMENTS_PAGE", 2)
    with linkedin_api(settings) as api:
        u = organisation_page(api)
        tally = poll_connection(li, now=NOW)
        posts = api.sent("GET", "posts")
        comments_p1 = api.sent("GET", f"socialActions/{quote(u['p1'], safe='')}/comments")
        sent = api.sent()
    assert tally is not None
    assert tally.created == 3
    # Newest change first, page by page, until the posts are older than 14 days (the last 5 are watched).
    assert [r.query["start"] for r in posts] == ["0", "2", "4", "6"]
    assert {(r.query["author"], r.query["q"], r.query["sortBy"], r.query["count"]) for r in posts} == {
        (ORG, "author", "LAST_MODIFIED", "2")
    }
    assert [r.query["start"] for r in comments_p1] == ["0", "2"]
    assert not api.sent("GET", f"socialActions/{quote(u['p6'], safe='')}/comments")
    assert all(r.headers["linkedin-version"] == VERSION for r in sent)
    assert all(r.headers["x-restli-protocol-version"] == "2.0.0" for r in sent)
    items = items_of(li)
    assert set(items) == {u["c1"], u["c2"], u["c1_tack"]}  # not the 20-day-old comment, nor the org's own
    c1, tack = items[u["c1"]], items[u["c1_tack"]]
    assert (c1.kind, c1.text, c1.author_platform_id, c1.in_reply_to) == (
        "comment",
        "När börjar det? 😀",
        VISITOR,
        u["p1"],
    )
    assert c1.received_at == hours(20)
    assert c1.url == f"https://www.linkedin.com/feed/update/{u['p1']}"
    assert tack.in_reply_to == u["c1"]  # a nested reply names the comment it answers
    # The organisation's posts and comments are its published record (KAU-PUBLIC-RECORD).
    kept = {p.platform_id: p for p in Publication.objects.filter(account=li.account)}
    assert set(kept) == {u["p1"], u["p2"], u["p3"], u["p4"], u["p5"], u["c1_org"], u["c3_org"]}
    assert (kept[u["p1"]].kind, kept[u["p1"]].text) == ("post", "Välkommen till öppet hus på lördag!")
    assert (kept[u["c1_org"]].kind, kept[u["c1_org"]].answers) == ("reply", c1)
    assert kept[u["c3_org"]].in_reply_to == u["p1"]
    # The raw answer is kept with each item; rows of the wrong shape are kept as errors.
    event = Event.objects.get(item=c1)
    assert event.payload["commentsSummary"]["totalFirstLevelComments"] == 2
    assert event.payload["created"]["time"] == ms(hours(20))
    errors = Event.objects.filter(outcome=Event.Outcome.ERROR)
    assert sorted(e.object_type for e in errors) == ["comment", "post"]
    li.refresh_from_db()
    assert set(li.cursor["posts"]) == {u["p1"], u["p2"], u["p3"], u["p4"], u["p5"]}
    assert li.cursor["posts"][u["p1"]]["t"] == ms(hours(9))
    assert len(str(li.cursor)) < 2000  # small: times, ids and counts only


def test_a_poll_with_nothing_new_creates_nothing_and_costs_a_call_per_watched_post(
    settings: Any, li: Connection
) -> None:
    with linkedin_api(settings) as api:
        organisation_page(api)
        poll_connection(li, now=NOW)
        events, first_calls = Event.objects.count(), len(api.sent())
        li.refresh_from_db()
        again = ADAPTER.poll(li, cursor=li.cursor, now=LATER)
        tally = poll_connection(li, now=LATER)
        calls = api.sent()[first_calls:]
    assert again.rows == []
    assert tally is not None
    assert (tally.created, tally.seen) == (0, set())
    assert Event.objects.count() == events  # the malformed rows are not kept a second time
    # Each poll: one posts call, one comments call per watched post (5), no replies call.
    assert [r.path.split("/")[2] for r in calls] == ["posts"] + ["socialActions"] * 5 + ["posts"] + [
        "socialActions"
    ] * 5
    li.refresh_from_db()
    assert (li.polled_until, li.poll_failures) == (LATER, 0)


def test_new_comments_and_replies_arrive_on_the_next_poll(settings: Any, li: Connection) -> None:
    with linkedin_api(settings) as api:
        u = organisation_page(api)
        poll_connection(li, now=NOW)
        before = len(api.sent())
        fresh = api.comment(
            u["p3"], at=NOW + timedelta(minutes=3), text="Finns det parkering?", actor=VISITOR
        )
        nested = api.comment(u["c2"], at=NOW + timedelta(minutes=4), text="Ja, i Vårdhuset!", actor=STUDENT)
        tally = poll_connection(li, now=LATER)
        replies_read = [r.path for r in api.sent()[before:]]
    assert tally is not None
    assert tally.created == 2
    items = items_of(li)
    assert (items[fresh].in_reply_to, items[nested].in_reply_to) == (u["p3"], u["c2"])
    # Only the comment whose count of replies grew had its replies read.
    assert f"/rest/socialActions/{quote(u['c2'], safe='')}/comments" in replies_read
    assert f"/rest/socialActions/{quote(u['c1'], safe='')}/comments" not in replies_read


def test_an_edited_comment_keeps_both_texts(settings: Any, li: Connection) -> None:
    with linkedin_api(settings) as api:
        u = organisation_page(api)
        poll_connection(li, now=NOW)
        [row] = [r for r in api.comments[u["p1"]] if r["commentUrn"] == u["c2"]]
        row["message"]["text"] = "Blir det fika och bullar?"
        row["lastModified"]["time"] = ms(NOW + timedelta(minutes=5))
        poll_connection(li, now=LATER)
    item = items_of(li)[u["c2"]]
    assert item.text == "Blir det fika och bullar?"
    assert "Blir det fika?" in " ".join(str(e.note) for e in item.log.all())


def test_a_rate_limit_backs_off_as_long_as_linkedin_asks(settings: Any, li: Connection) -> None:
    settings.CONNECTOR_POLL_SECONDS = {**settings.CONNECTOR_POLL_SECONDS, "linkedin": 30}
    with linkedin_api(settings) as api:
        organisation_page(api)
        api.on("GET", "posts", THROTTLED)
        assert poll_connection(li, now=NOW) is None
        assert len(api.sent("GET", "posts")) == 1  # a rate limit is not retried at once
    li.refresh_from_db()
    assert (li.poll_failures, li.health, li.cursor) == (1, "active", {})
    assert li.next_poll_at == NOW + timedelta(seconds=120)  # Retry-After, longer than twice 30 s
    assert "APPLICATION DAY limit" in li.last_error


def test_a_5xx_is_retried_then_backs_off_and_the_next_poll_goes_on(settings: Any, li: Connection) -> None:
    settings.CONNECTOR_POLL_SECONDS = {**settings.CONNECTOR_POLL_SECONDS, "linkedin": 30}
    with linkedin_api(settings) as api:
        organisation_page(api)
        api.sequence("GET", "posts", SERVER_ERROR, SERVER_ERROR, SERVER_ERROR)
        assert poll_connection(li, now=NOW) is None
        assert len(api.sent("GET", "posts")) == 3  # capped retries within the call
        li.refresh_from_db()
        assert (li.poll_failures, li.next_poll_at) == (1, NOW + timedelta(seconds=60))
        assert not Item.objects.exists()
        assert poll_connection(li, now=LATER) is not None
    li.refresh_from_db()
    assert (li.poll_failures, len(items_of(li))) == (0, 3)


@pytest.mark.parametrize("refusal", [EXPIRED, REVOKED], ids=["expired", "revoked"])
def test_a_refused_token_turns_the_connection_to_needs_attention_kau_resp_daily(
    settings: Any, li: Connection, refusal: Any
) -> None:
    with linkedin_api(settings) as api:
        organisation_page(api)
        api.on("GET", "posts", refusal)
        assert poll_connection(li, now=NOW) is None
    li.refresh_from_db()
    assert (li.health, li.cause) == ("attention", "token_expired")
    assert li.next_poll_at == NOW + timedelta(hours=1)
    assert Notification.objects.filter(kind="connection_attention", recipient=li.account.owner).exists()


def test_a_missing_permission_needs_attention_too(settings: Any, li: Connection) -> None:
    with linkedin_api(settings) as api:
        organisation_page(api)
        api.on("GET", r"socialActions/.*/comments", DENIED)
        assert poll_connection(li, now=NOW) is None
    li.refresh_from_db()
    assert (li.health, li.cause) == ("attention", "permission")


def test_an_organisation_linkedin_no_longer_knows_needs_attention(settings: Any, li: Connection) -> None:
    with linkedin_api(settings) as api:
        organisation_page(api)
        api.on("GET", "posts", error(404, "NOT_FOUND", "Organization 2414183 not found", 0))
        assert poll_connection(li, now=NOW) is None
    li.refresh_from_db()
    assert (li.health, li.cause) == ("attention", "unpublished")
    assert "Organization 2414183 not found" in li.last_error


def test_a_post_deleted_while_polling_is_left_out_and_the_others_go_on(settings: Any, li: Connection) -> None:
    with linkedin_api(settings) as api:
        u = organisation_page(api)
        api.on("GET", f"socialActions/{quote(u['p2'], safe='')}/comments", error(404, "NOT_FOUND", "Gone", 0))
        tally = poll_connection(li, now=NOW)
    assert tally is not None
    assert set(items_of(li)) == {u["c1"], u["c2"], u["c1_tack"]}
    li.refresh_from_db()
    assert u["p2"] not in li.cursor["posts"]
    assert u["p1"] in li.cursor["posts"]


# --- Answers and removals ---------------------------------------------------------------------------------


def polled(api: LinkedInStandIn, li: Connection) -> dict[str, str]:
    u = organisation_page(api)
    api.clock = NOW
    poll_connection(li, now=NOW)
    return u


def answer(item: Item, cast: Any, text: str = "Klockan tio, välkommen! 🎓") -> Outgoing:
    moderation.answer_item(item, answer=text, by=cast["communicator"], now=NOW)
    return Outgoing.objects.get(item=item)


def test_the_answer_form_says_it_goes_out_as_the_organisation(settings: Any, li: Connection) -> None:
    with linkedin_api(settings) as api:
        u = polled(api, li)
    with translation.override("en"):
        destination = outgoing.answer_destination(items_of(li)[u["c1"]])
    assert (
        destination == "The answer is posted to LinkedIn as the organisation, as a reply under the comment."
    )


def test_an_answer_is_posted_as_the_organisation_nested_under_the_comment(
    settings: Any, li: Connection, cast: Any
) -> None:
    with linkedin_api(settings) as api:
        u = polled(api, li)
        item = items_of(li)[u["c2"]]
        row = answer(item, cast)
        assert outgoing.send(row.pk, now=NOW) == "done"
        [sent] = api.sent("POST")
        made = api.comments[u["c2"]][-1]["commentUrn"]
        # The organisation's own reply, read back by the next poll, is the same publication.
        poll_connection(li, now=LATER)
    assert sent.path == f"/rest/socialActions/{quote(u['c2'], safe='')}/comments"
    assert sent.json == {
        "actor": ORG,
        "object": api.thread_of(u["c2"]),
        "message": {"text": "Klockan tio, välkommen! 🎓"},
        "parentComment": u["c2"],
    }
    assert sent.headers["linkedin-version"] == VERSION
    row.refresh_from_db()
    assert (row.status, row.platform_ref) == ("done", made)
    assert row.response["commentUrn"] == made
    assert made in item.log.get(action=LogEntry.Action.POSTED).note
    [kept] = Publication.objects.filter(platform_id=made)
    assert (kept.kind, kept.answers, kept.in_reply_to) == ("reply", item, u["c2"])
    assert set(items_of(li)) == {u["c1"], u["c2"], u["c1_tack"]}


def test_an_answer_to_a_reply_nests_under_its_top_level_comment(
    settings: Any, li: Connection, cast: Any
) -> None:
    with linkedin_api(settings) as api:
        u = polled(api, li)
        row = answer(items_of(li)[u["c1_tack"]], cast, "Varsågod!")
        assert outgoing.send(row.pk, now=NOW) == "done"
        [sent] = api.sent("POST")
    assert sent.path == f"/rest/socialActions/{quote(u['c1'], safe='')}/comments"
    assert sent.json["parentComment"] == u["c1"]


def test_the_new_comment_is_named_by_x_restli_id_when_the_body_does_not(
    settings: Any, li: Connection, cast: Any
) -> None:
    with linkedin_api(settings) as api:
        u = polled(api, li)
        api.restli_id_in_body = False
        row = answer(items_of(li)[u["c1"]], cast)
        assert outgoing.send(row.pk, now=NOW) == "done"
        made = api.comments[u["c1"]][-1]["commentUrn"]
    row.refresh_from_db()
    assert row.platform_ref == made


def test_a_rate_limited_answer_fails_with_linkedins_reason(settings: Any, li: Connection, cast: Any) -> None:
    with linkedin_api(settings) as api:
        u = polled(api, li)
        api.on("POST", r"socialActions/.*/comments", THROTTLED)
        row = answer(items_of(li)[u["c1"]], cast)
        assert outgoing.send(row.pk, now=NOW) == "failed"
        assert len(api.sent("POST")) == 1  # a write is never sent twice
    row.refresh_from_db()
    assert "APPLICATION DAY limit" in row.reason


def remove(item: Item, cast: Any) -> Outgoing:
    moderation.classify_item(item, triage=Triage(prohibited=[3]), by=cast["communicator"], now=NOW)
    store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    moderation.remove_item(item, note="Personangrepp", by=cast["communicator"], now=NOW)
    return Outgoing.objects.get(item=item)


@pytest.mark.parametrize("which", ["c1", "c1_tack"])
def test_a_comment_is_deleted_as_the_organisation_after_the_evidence_kau_prohibited_evidence(
    settings: Any, li: Connection, cast: Any, media_root: Any, which: str
) -> None:
    with linkedin_api(settings) as api:
        u = polled(api, li)
        item = items_of(li)[u[which]]
        row = remove(item, cast)
        assert (row.action, row.status) == ("delete", "queued")
        assert outgoing.send(row.pk, now=NOW) == "done"
        [sent] = api.sent("DELETE")
    container = u["c1"] if which == "c1_tack" else api.thread_of(u["c1"])
    comment_id = u[which].rsplit(",", 1)[1].rstrip(")")
    assert sent.path == f"/rest/socialActions/{quote(container, safe='')}/comments/{comment_id}"
    assert sent.query["actor"] == ORG
    assert api.deleted == [u[which]]
    item.refresh_from_db()
    assert item.platform_status == PlatformStatus.REMOVED
    assert item.evidence_id is not None


def test_an_unknown_deletion_is_settled_by_looking(
    settings: Any, li: Connection, cast: Any, media_root: Any
) -> None:
    with linkedin_api(settings) as api:
        u = polled(api, li)
        row = remove(items_of(li)[u["c2"]], cast)
        assert ADAPTER.look(li, row) is None  # still there
        api.comments[u["p1"]] = [r for r in api.comments[u["p1"]] if r["commentUrn"] != u["c2"]]
        assert ADAPTER.look(li, row) == u["c2"]  # gone


def test_the_followers_come_for_the_follow_up_kau_followup(settings: Any, li: Connection) -> None:
    with linkedin_api(settings) as api:
        assert ADAPTER.figures(li) == {"followers": 48_213}
        [sent] = api.sent("GET", "networkSizes/.*")
    assert sent.path == f"/rest/networkSizes/{quote(ORG, safe='')}"
    assert sent.query["edgeType"] == "COMPANY_FOLLOWED_BY_MEMBER"

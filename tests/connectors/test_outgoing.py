"""Answers and removals recorded in moderation, posted to the platform by ``connectors.outgoing``:
the Outgoing row written with the decision, the call, and what the platform answered in the item's
log; refusals with their reason, unknown outcomes never sent again blindly, check and try again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.services import store_evidence
from connectors import outgoing
from connectors.models import Connection, Outgoing
from connectors.todo import note_unposted, todo_outgoing
from core.models import Notification
from moderation import services
from moderation.models import Item, LogEntry, PlatformStatus, Publication
from moderation.services import Triage
from tests.connectors.graph_standin import (
    OUTSIDE_WINDOW,
    SERVER_ERROR,
    TOKEN_EXPIRED,
    Delay,
    connect,
    graph_api,
)
from tests.support import PEOPLE, assert_answer, in_english, login, png, run_in_threads

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PAGE = "1122334455"
IG = "17841400000000001"


@pytest.fixture
def fb(make_account: Any) -> Connection:
    return connect(make_account(platform="facebook_page"), external_id=PAGE)


@pytest.fixture
def ig(make_account: Any) -> Connection:
    return connect(
        make_account(platform="instagram"), platform="instagram", external_id=IG, token="IGtoken-1"
    )


def item_on(
    connection: Connection, *, kind: str = "comment", platform_id: str = "111_222", **extra: Any
) -> Item:
    return services.log_item(
        connection.account,
        kind=kind,
        author="Besökare",
        text="När öppnar anmälan?",
        received_at=NOW - timedelta(hours=1),
        by=None,
        now=NOW,
        platform_id=platform_id,
        source=Item.Source.PLATFORM,
        **extra,
    )


def answer(item: Item, cast: Any, text: str = "Den 15 mars! 🎓") -> Outgoing:
    services.answer_item(item, answer=text, by=cast["communicator"], now=NOW)
    return Outgoing.objects.get(item=item)


def log_of(item: Item, action: str) -> LogEntry:
    return item.log.get(action=action)


# --- Written with the decision ---------------------------------------------------------------------------


def test_an_answer_on_a_connected_account_is_queued_with_it(fb: Connection, cast: Any) -> None:
    row = answer(item_on(fb), cast)
    assert (row.action, row.status, row.text, row.requested_by) == (
        "reply",
        "queued",
        "Den 15 mars! 🎓",
        cast["communicator"],
    )


def test_nothing_goes_out_without_a_connection_or_a_token(
    make_account: Any, cast: Any, fb: Connection
) -> None:
    unconnected = services.log_item(
        make_account(platform="facebook_page"),
        kind="comment",
        author="A",
        text="?",
        received_at=NOW,
        by=None,
        now=NOW,
        platform_id="9_9",
    )
    services.answer_item(unconnected, answer="Svar", by=cast["communicator"], now=NOW)
    assert outgoing.answer_destination(unconnected) is None
    Connection.objects.filter(pk=fb.pk).update(token_encrypted="")
    tokenless = item_on(fb)
    services.answer_item(tokenless, answer="Svar", by=cast["communicator"], now=NOW)
    assert not Outgoing.objects.exists()


def test_the_answer_form_says_where_the_answer_goes(fb: Connection, ig: Connection) -> None:
    assert (
        outgoing.answer_destination(item_on(fb))
        == "Svaret publiceras på Facebook som ett svar på kommentaren."
    )
    message = item_on(ig, kind="message", platform_id="m_1", author_platform_id="555")
    assert "svarsfönster på 24 timmar" in (outgoing.answer_destination(message) or "")


# --- Sent by the worker ------------------------------------------------------------------------------------


def test_a_reply_is_posted_and_recorded_with_its_id_and_link(
    settings: Any, fb: Connection, cast: Any
) -> None:
    item = item_on(fb)
    row = answer(item, cast)
    with graph_api(settings) as api:
        api.replies_ok("111_222", new_id="111_333")
        api.permalink("111_333", "https://www.facebook.com/111/posts/222?comment_id=333")
        assert outgoing.send(row.pk, now=NOW) == "done"
        [sent] = api.sent("POST", r"111_222/comments")
    assert (sent.form["message"], sent.form["access_token"]) == ("Den 15 mars! 🎓", "EAAtoken-1")
    row.refresh_from_db()
    assert (row.status, row.platform_ref) == ("done", "111_333")
    assert row.platform_url == "https://www.facebook.com/111/posts/222?comment_id=333"
    assert "111_333" in log_of(item, LogEntry.Action.POSTED).note
    kept = Publication.objects.get(platform_id="111_333")
    assert (kept.answers_id, kept.kind, kept.text, kept.in_reply_to) == (
        item.pk,
        "reply",
        "Den 15 mars! 🎓",
        "111_222",
    )
    assert outgoing.send(row.pk, now=NOW) is None  # claimed once: a second run sends nothing


def test_an_instagram_reply_goes_to_the_replies_edge(settings: Any, ig: Connection, cast: Any) -> None:
    row = answer(item_on(ig, platform_id="17870913679156914"), cast)
    with graph_api(settings) as api:
        api.replies_ok("17870913679156914", edge="replies", new_id="17873440459141021")
        assert outgoing.send(row.pk, now=NOW) == "done"
        [sent] = api.sent("POST", r"17870913679156914/replies")
    assert (sent.form["message"], sent.form["access_token"]) == ("Den 15 mars! 🎓", "IGtoken-1")


def test_a_message_is_sent_as_a_response_to_its_writer(settings: Any, fb: Connection, cast: Any) -> None:
    item = item_on(fb, kind="message", platform_id="m_in_1", author_platform_id="24681357")
    row = answer(item, cast)
    with graph_api(settings) as api:
        api.message_ok(PAGE, message_id="m_out_1")
        assert outgoing.send(row.pk, now=NOW) == "done"
        [sent] = api.sent("POST", rf"{PAGE}/messages")
    assert sent.json == {
        "recipient": {"id": "24681357"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Den 15 mars! 🎓"},
    }
    assert sent.query["access_token"] == "EAAtoken-1"
    assert Publication.objects.get(platform_id="m_out_1").kind == "message"


def test_outside_the_reply_window_fails_with_the_reason_and_tells_the_person_once(
    settings: Any, fb: Connection, cast: Any
) -> None:
    item = item_on(fb, kind="message", platform_id="m_in_2", author_platform_id="24681357")
    row = answer(item, cast)
    with graph_api(settings) as api:
        api.on("POST", rf"{PAGE}/messages", OUTSIDE_WINDOW)
        assert outgoing.send(row.pk, now=NOW) == "failed"
        assert len(api.sent("POST")) == 1  # a refusal is not retried
    row.refresh_from_db()
    assert "svarsfönster på 24 timmar" in row.reason
    assert "outside of allowed window" in row.reason
    assert "outside of allowed window" in log_of(item, LogEntry.Action.POST_FAILED).note
    [told] = Notification.objects.filter(kind="answer_failed")
    assert told.recipient == cast["communicator"]
    assert "outside of allowed window" in told.body
    fb.refresh_from_db()
    assert fb.health == "active"  # the window is not the connection's problem
    assert [r.pk for r in todo_outgoing(cast["communicator"], NOW).rows] == [row.pk]  # type: ignore[union-attr]
    item.refresh_from_db()
    assert item.answer == "Den 15 mars! 🎓"  # the answer is kept


def test_a_5xx_is_retried_then_posted(settings: Any, fb: Connection, cast: Any) -> None:
    row = answer(item_on(fb), cast)
    with graph_api(settings) as api:
        api.sequence("POST", r"111_222/comments", SERVER_ERROR, (200, {"id": "111_7"}))
        assert outgoing.send(row.pk, now=NOW) == "done"


def test_an_expired_token_fails_the_answer_and_the_connection_needs_attention(
    settings: Any, fb: Connection, cast: Any
) -> None:
    row = answer(item_on(fb), cast)
    with graph_api(settings) as api:
        api.on("POST", r"111_222/comments", TOKEN_EXPIRED)
        assert outgoing.send(row.pk, now=NOW) == "failed"
    fb.refresh_from_db()
    assert (fb.health, fb.cause) == ("attention", "token_expired")


def test_a_time_out_is_unknown_never_resent_and_a_check_settles_it(
    settings: Any, fb: Connection, cast: Any
) -> None:
    item = item_on(fb)
    row = answer(item, cast)
    with graph_api(settings, timeout=0.5) as api:
        api.on("POST", r"111_222/comments", Delay(2.0, 200, {"id": "111_late"}))
        assert outgoing.send(row.pk, now=NOW) == "unknown"
        assert outgoing.send(row.pk, now=NOW) is None
        assert len(api.sent("POST")) == 1
        log_of(item, LogEntry.Action.POST_UNKNOWN)
        with pytest.raises(ValidationError):
            outgoing.retry(row, by=cast["communicator"], now=NOW)  # checked first, never resent blindly
        api.paged(
            r"111_222/comments",
            [
                [{"id": "111_5", "message": "Den 15 mars! 🎓", "from": {"id": "999", "name": "Someone"}}],
                [{"id": "111_late", "message": "Den 15 mars! 🎓", "from": {"id": PAGE, "name": "Sidan"}}],
            ],
        )
        assert outgoing.check(row, by=cast["deputy"], now=NOW) == "done"
    row.refresh_from_db()
    assert (row.status, row.platform_ref) == ("done", "111_late")
    assert row.history.first().history_user == cast["deputy"]


def test_a_check_that_finds_nothing_fails_it_and_it_can_be_tried_again(
    settings: Any, fb: Connection, cast: Any
) -> None:
    row = answer(item_on(fb), cast)
    with graph_api(settings, timeout=0.5) as api:
        api.on("POST", r"111_222/comments", Delay(2.0))
        outgoing.send(row.pk, now=NOW)
        api.paged(r"111_222/comments", [[]])
        assert outgoing.check(row, by=cast["communicator"], now=NOW) == "failed"
        outgoing.retry(row, by=cast["communicator"], now=NOW)
        row.refresh_from_db()
        assert row.status == "queued"
        api.replies_ok("111_222", new_id="111_8")
        assert outgoing.send(row.pk, now=NOW) == "done"


def test_only_the_items_moderators_check_or_retry(fb: Connection, cast: Any) -> None:
    row = answer(item_on(fb), cast)
    Outgoing.objects.filter(pk=row.pk).update(status="failed")
    for person in ("head_of_unit", "social_media_lead", "outsider"):
        with pytest.raises(PermissionDenied):
            outgoing.retry(row, by=cast[person], now=NOW)


# --- Removals -----------------------------------------------------------------------------------------------


def remove(item: Item, cast: Any) -> Item:
    services.classify_item(item, triage=Triage(prohibited=[3]), by=cast["communicator"], now=NOW)
    store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    return services.remove_item(item, note="Personangrepp", by=cast["communicator"], now=NOW)


def test_a_removal_is_refused_before_the_evidence_is_kept_kau_prohibited_evidence(
    fb: Connection, cast: Any
) -> None:
    item = item_on(fb)
    services.classify_item(item, triage=Triage(prohibited=[3]), by=cast["communicator"], now=NOW)
    with pytest.raises(ValidationError):
        services.remove_item(item, note="", by=cast["communicator"], now=NOW)
    assert not Outgoing.objects.exists()  # nothing is hidden or deleted without the screenshot


def test_a_facebook_comment_is_hidden_after_the_evidence_kau_prohibited_evidence(
    settings: Any, fb: Connection, cast: Any, media_root: Any
) -> None:
    item = remove(item_on(fb), cast)
    row = Outgoing.objects.get(item=item)
    assert row.action == "hide"
    with graph_api(settings) as api:
        api.success("POST", "111_222")
        assert outgoing.send(row.pk, now=NOW) == "done"
        [sent] = api.sent("POST", "111_222")
    assert sent.form["is_hidden"] == "true"
    item.refresh_from_db()
    assert item.platform_status == PlatformStatus.HIDDEN
    assert item.evidence_id is not None


def test_an_instagram_comment_is_hidden_with_hide(
    settings: Any, ig: Connection, cast: Any, media_root: Any
) -> None:
    row = Outgoing.objects.get(item=remove(item_on(ig, platform_id="17870913679156914"), cast))
    with graph_api(settings) as api:
        api.success("POST", "17870913679156914")
        outgoing.send(row.pk, now=NOW)
        [sent] = api.sent("POST", "17870913679156914")
    assert sent.form["hide"] == "true"


def test_a_visitors_post_is_deleted(settings: Any, fb: Connection, cast: Any, media_root: Any) -> None:
    item = remove(item_on(fb, kind="post", platform_id="1122334455_777"), cast)
    row = Outgoing.objects.get(item=item)
    with graph_api(settings) as api:
        api.success("DELETE", "1122334455_777")
        assert outgoing.send(row.pk, now=NOW) == "done"
        assert len(api.sent("DELETE")) == 1
    item.refresh_from_db()
    assert item.platform_status == PlatformStatus.REMOVED
    assert Item.objects.filter(pk=item.pk).exists()  # a public record is never deleted here


def test_a_message_cannot_be_removed_and_says_so(fb: Connection, cast: Any, media_root: Any) -> None:
    item = remove(item_on(fb, kind="message", platform_id="m_in_9", author_platform_id="1"), cast)
    row = Outgoing.objects.get(item=item)
    assert row.status == "not_possible"
    assert "Meddelanden kan inte tas bort" in row.reason
    assert "Meddelanden kan inte tas bort" in log_of(item, LogEntry.Action.POST_FAILED).note


# --- The claim --------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_once(settings: Any, fb: Connection, cast: Any) -> None:
    row = answer(item_on(fb), cast)
    with graph_api(settings) as api:
        api.on("POST", r"111_222/comments", Delay(0.5, 200, {"id": "111_1"}))
        results = run_in_threads(
            lambda: outgoing.send(row.pk, now=NOW), lambda: outgoing.send(row.pk, now=NOW)
        )
        assert len(api.sent("POST", r"111_222/comments")) == 1
    assert sorted(map(str, results)) == ["None", "done"]


def test_the_sweep_makes_a_row_cut_off_while_sending_unknown(fb: Connection, cast: Any) -> None:
    row = answer(item_on(fb), cast)
    Outgoing.objects.filter(pk=row.pk).update(status="sending", claimed_at=NOW)
    assert outgoing.sweep_outgoing(now=NOW + timedelta(minutes=5)) == (0, 0)
    assert outgoing.sweep_outgoing(now=NOW + timedelta(minutes=11)) == (1, 0)
    row.refresh_from_db()
    assert row.status == "unknown"


# --- The item page, its actions, the start page -----------------------------------------------------------

EXPECTED = {
    "anonymous": 302,
    "outsider": 404,
    "other_head": 404,
    "security_officer": 404,
    "communicator": 302,
    "deputy": 302,
    "head_of_unit": 403,
    "dean": 403,
    "communications": 404,
    "social_media_lead": 403,
    "registrar": 404,
}


@pytest.mark.parametrize("person", PEOPLE)
def test_try_again_against_every_role(client: Any, fb: Connection, cast: Any, person: str) -> None:
    row = answer(item_on(fb), cast)
    Outgoing.objects.filter(pk=row.pk).update(status="failed", reason="(#100) nope")
    response = login(client, cast, person).post(reverse("connectors:outgoing_retry", args=[row.pk]))
    assert_answer(response, person, EXPECTED[person])
    row.refresh_from_db()
    assert row.status == ("queued" if EXPECTED[person] == 302 and person != "anonymous" else "failed")


@pytest.mark.parametrize("person", PEOPLE)
def test_check_against_every_role(client: Any, settings: Any, fb: Connection, cast: Any, person: str) -> None:
    row = answer(item_on(fb), cast)
    Outgoing.objects.filter(pk=row.pk).update(status="unknown")
    with graph_api(settings) as api:
        api.paged(
            r"111_222/comments", [[{"id": "111_4", "message": "Den 15 mars! 🎓", "from": {"id": PAGE}}]]
        )
        response = login(client, cast, person).post(reverse("connectors:outgoing_check", args=[row.pk]))
    assert_answer(response, person, EXPECTED[person])
    row.refresh_from_db()
    assert row.status == ("done" if EXPECTED[person] == 302 and person != "anonymous" else "unknown")


def test_the_actions_are_posts_only(client: Any, fb: Connection, cast: Any) -> None:
    row = answer(item_on(fb), cast)
    login(client, cast, "communicator")
    assert client.get(reverse("connectors:outgoing_retry", args=[row.pk])).status_code == 405


def test_the_item_page_shows_the_reason_and_the_button_to_moderators_only(
    client: Any, fb: Connection, cast: Any
) -> None:
    item = item_on(fb)
    row = answer(item, cast)
    Outgoing.objects.filter(pk=row.pk).update(status="failed", reason="(#100) The comment was deleted")
    page = (
        in_english(login(client, cast, "deputy"))
        .get(reverse("moderation:item", args=[item.pk]))
        .content.decode()
    )
    assert "data-outgoing-section" in page
    assert "(#100) The comment was deleted" in page
    assert reverse("connectors:outgoing_retry", args=[row.pk]) in page
    page = (
        in_english(login(client, cast, "head_of_unit"))
        .get(reverse("moderation:item", args=[item.pk]))
        .content.decode()
    )
    assert "(#100) The comment was deleted" in page
    assert reverse("connectors:outgoing_retry", args=[row.pk]) not in page


def test_the_answer_button_says_send_on_a_connected_item(client: Any, fb: Connection, cast: Any) -> None:
    item = item_on(fb)
    page = (
        in_english(login(client, cast, "communicator"))
        .get(reverse("moderation:item", args=[item.pk]))
        .content.decode()
    )
    assert "Send the answer" in page
    assert "as a reply to the comment" in page


def test_the_start_page_lists_the_persons_answers_not_posted(fb: Connection, cast: Any) -> None:
    row = answer(item_on(fb), cast)
    assert todo_outgoing(cast["communicator"], NOW) is None
    Outgoing.objects.filter(pk=row.pk).update(status="failed")
    note_unposted(cast["communicator"].pk)
    note_unposted(cast["deputy"].pk)
    section = todo_outgoing(cast["communicator"], NOW)
    assert section is not None
    assert [r.pk for r in section.rows] == [row.pk]
    assert todo_outgoing(cast["deputy"], NOW) is None


def test_the_section_and_the_start_page_list_cost_the_same_queries_at_any_size(
    fb: Connection, cast: Any
) -> None:
    from connectors.item_page import outgoing_section

    def counted(rows: int) -> int:
        item = item_on(fb, platform_id=f"111_{rows}00")
        for number in range(rows):
            Outgoing.objects.create(
                connection=fb,
                item=item,
                action="reply",
                text=f"Svar {number}",
                requested_by=cast["communicator"],
                requested_at=NOW,
                status="failed",
            )
        note_unposted(cast["communicator"].pk)
        item = Item.objects.select_related("account").get(pk=item.pk)
        with CaptureQueriesContext(db) as context:
            section = outgoing_section(cast["head_of_unit"], item)
            todo = todo_outgoing(cast["communicator"], NOW)
        assert section is not None
        assert todo is not None
        return len(context.captured_queries)

    assert counted(1) == counted(5)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_item_page_section_in_the_browser_is_accessible_and_tries_again(
    page: Any, fb: Connection, cast: Any
) -> None:
    from tests.conftest import browser_login
    from tests.support import assert_accessible

    item = item_on(fb)
    row = answer(item, cast)
    Outgoing.objects.filter(pk=row.pk).update(status="failed", reason="(#100) The comment was deleted")
    note_unposted(cast["communicator"].pk)
    unknown = Outgoing.objects.create(
        connection=fb,
        item=item,
        action="hide",
        requested_by=cast["communicator"],
        requested_at=NOW,
        status="unknown",
        reason="The platform did not answer in time.",
    )
    browser_login(page, "communicator", "pw-communicator-0123")
    assert (
        page.locator(f"a[href='{reverse('moderation:item', args=[item.pk])}']").count() >= 1
    )  # the start page's list
    assert_accessible(page)  # the start page with the list of what was not done
    page.goto(reverse("moderation:item", args=[item.pk]))
    section = page.locator("[data-outgoing-section]")
    assert "(#100) The comment was deleted" in section.inner_text()
    assert section.locator(f"[data-outgoing='{unknown.pk}'] button").count() == 1
    assert_accessible(page)
    section.locator(f"[data-outgoing='{row.pk}'] button").click()
    page.wait_for_load_state()
    assert page.locator(f"[data-outgoing='{row.pk}']").get_attribute("data-outgoing-status") == "queued"
    assert_accessible(page)


def test_the_start_page_list_costs_no_query_without_a_hint(
    fb: Connection, cast: Any, django_assert_num_queries: Any
) -> None:
    answer(item_on(fb), cast)
    with django_assert_num_queries(0):
        assert todo_outgoing(cast["communicator"], NOW) is None
    note_unposted(cast["communicator"].pk)
    with django_assert_num_queries(1):
        assert todo_outgoing(cast["communicator"], NOW) is None  # nothing after all: the hint goes
    with django_assert_num_queries(0):
        assert todo_outgoing(cast["communicator"], NOW) is None

"""Deliveries processed into events and moderation's records: every event kept with its outcome, a
malformed event never blocking the others, nothing deleted (KAU-PUBLIC-RECORD)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, InternalError, connection, connections, transaction
from rest_framework.test import APIClient

from connectors import processing
from connectors.meta.webhook import store_delivery
from connectors.models import Connection, Delivery, Event
from moderation import tokens
from moderation.models import Item, LogEntry, PlatformStatus, Publication
from tests.conftest import Cast
from tests.connectors import meta_payloads as meta

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
AT = NOW - timedelta(minutes=10)
POST = f"{meta.PAGE_ID}_900001"


@pytest.fixture
def page(make_account: Any) -> Connection:
    account = make_account(platform="facebook_page")
    return Connection.objects.create(
        account=account, platform="facebook", external_id=meta.PAGE_ID, connected_at=NOW
    )


@pytest.fixture
def instagram(make_account: Any) -> Connection:
    account = make_account(platform="instagram")
    return Connection.objects.create(
        account=account, platform="instagram", external_id=meta.IG_ID, connected_at=NOW
    )


def deliver(document: Any) -> Delivery:
    body = document if isinstance(document, bytes) else meta.body_of(document)
    store_delivery(body)
    return Delivery.objects.get(sha256=__import__("hashlib").sha256(body).hexdigest())


def feed(*changes: Any) -> dict[str, Any]:
    return meta.page_delivery(meta.entry(meta.PAGE_ID, NOW, changes=list(changes)))


def run() -> int:
    return processing.process_pending(now=NOW)


@pytest.mark.django_db
def test_a_visitors_comment_becomes_an_item_and_the_event_is_kept(page: Connection) -> None:
    delivery = deliver(feed(meta.feed(comment_id=f"{POST}_1", created_time=AT)))
    assert run() == 1
    item = Item.objects.get()
    assert (item.account, item.platform_id, item.in_reply_to) == (page.account, f"{POST}_1", POST)
    assert item.author == "Maja Besökare"
    assert item.author_platform_id == "5550001"
    assert item.source == Item.Source.PLATFORM
    assert item.received_at == AT
    event = Event.objects.get()
    assert (event.outcome, event.item, event.connection, event.field) == (
        Event.Outcome.CREATED,
        item,
        page,
        "feed",
    )
    assert event.payload["value"]["comment_id"] == f"{POST}_1"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DONE
    assert delivery.processed_at == NOW
    page.refresh_from_db()
    assert page.last_event_at == NOW
    assert run() == 0  # a second run finds nothing to do


@pytest.mark.django_db
def test_a_nul_character_postgresql_cannot_store_is_kept_as_a_malformed_event_not_fatal(
    page: Connection,
) -> None:
    """JSON may carry U+0000; PostgreSQL keeps it in neither text nor jsonb. The event is kept as
    malformed, its payload with U+FFFD in its place, and the delivery itself byte for byte
    (KAU-PUBLIC-RECORD); the delivery is done, never stuck."""
    deliver(feed(meta.feed(comment_id=f"{POST}_1", created_time=AT, message="Hej\x00då")))
    assert run() == 1
    event = Event.objects.get()
    assert event.outcome == Event.Outcome.ERROR
    assert event.payload["value"]["message"] == "Hej\ufffddå"
    assert not Item.objects.exists()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DONE
    assert b"\\u0000" in bytes(delivery.body)


def test_an_edit_keeps_both_texts_in_the_log(page: Connection) -> None:
    deliver(feed(meta.feed(comment_id=f"{POST}_1", message="Första versionen", created_time=AT)))
    run()
    deliver(
        feed(meta.feed(verb="edited", comment_id=f"{POST}_1", message="Andra versionen 🙂", created_time=AT))
    )
    run()
    item = Item.objects.get()
    assert item.text == "Andra versionen 🙂"
    edit = LogEntry.objects.get(item=item, action=LogEntry.Action.EDITED)
    assert "Första versionen" in edit.note
    assert "Andra versionen 🙂" in edit.note
    assert list(Event.objects.values_list("outcome", flat=True)) == [
        Event.Outcome.CREATED,
        Event.Outcome.UPDATED,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("verb", "status"), [("hide", PlatformStatus.HIDDEN), ("remove", PlatformStatus.REMOVED)]
)
def test_hiding_and_removal_by_others_are_recorded_and_nothing_is_deleted(
    page: Connection, verb: str, status: str
) -> None:
    deliver(feed(meta.feed(comment_id=f"{POST}_1", created_time=AT)))
    deliver(
        feed(
            meta.feed(verb=verb, comment_id=f"{POST}_1", message=None, created_time=AT + timedelta(minutes=1))
        )
    )
    run()
    item = Item.objects.get()
    assert item.platform_status == status
    assert item.text == "Hej! När öppnar anmälan?"
    assert Event.objects.filter(outcome=Event.Outcome.UPDATED, item=item).count() == 1


@pytest.mark.django_db
def test_replies_to_replies_keep_their_parent(page: Connection) -> None:
    deliver(
        feed(
            meta.feed(comment_id=f"{POST}_1", created_time=AT),
            meta.feed(comment_id=f"{POST}_2", parent_id=f"{POST}_1", created_time=AT),
            meta.feed(comment_id=f"{POST}_3", parent_id=f"{POST}_2", created_time=AT),
        )
    )
    run()
    parents = dict(Item.objects.values_list("platform_id", "in_reply_to"))
    assert parents == {f"{POST}_1": POST, f"{POST}_2": f"{POST}_1", f"{POST}_3": f"{POST}_2"}


@pytest.mark.django_db
def test_the_pages_own_post_is_its_publication_not_an_item(page: Connection) -> None:
    deliver(
        feed(
            meta.feed(
                item="status",
                post_id=POST,
                from_id=meta.PAGE_ID,
                from_name="KAU",
                message="Välkomna!",
                created_time=AT,
            )
        )
    )
    run()
    assert not Item.objects.exists()
    publication = Publication.objects.get()
    assert (publication.account, publication.kind, publication.text) == (
        page.account,
        Publication.Kind.POST,
        "Välkomna!",
    )
    assert Event.objects.get().outcome == Event.Outcome.PUBLISHED


@pytest.mark.django_db
def test_emoji_and_very_long_texts_are_kept_whole(page: Connection) -> None:
    text = "🎓🇸🇪 " + "Lång fråga om studiemedel. " * 3_500
    deliver(feed(meta.feed(comment_id=f"{POST}_1", message=text, created_time=AT)))
    run()
    assert Item.objects.get().text == text


@pytest.mark.django_db
def test_two_hundred_changes_in_one_delivery(page: Connection, django_assert_max_num_queries: Any) -> None:
    deliver(
        feed(
            *[meta.feed(comment_id=f"{POST}_{n}", message=f"Fråga {n}", created_time=AT) for n in range(200)]
        )
    )
    run()
    assert Item.objects.filter(account=page.account).count() == 200
    assert Event.objects.filter(outcome=Event.Outcome.CREATED).count() == 200


@pytest.mark.django_db
def test_pages_not_connected_and_unused_kinds_are_kept_counted_and_create_nothing(page: Connection) -> None:
    deliver(
        meta.page_delivery(
            meta.entry("999000111", NOW, changes=[meta.feed(comment_id="999000111_1_1", created_time=AT)]),
            meta.entry(
                meta.PAGE_ID,
                NOW,
                changes=[meta.feed(item="reaction", created_time=AT), {"field": "ratings", "value": {}}],
            ),
        )
    )
    deliver({"object": "whatsapp_business_account", "entry": [{"id": "123", "changes": []}]})
    run()
    assert not Item.objects.exists()
    assert not Publication.objects.exists()
    counts = processing.summary(NOW - timedelta(hours=1))
    assert counts[Event.Outcome.NOT_CONNECTED] == 1
    assert counts[Event.Outcome.UNUSED] == 3
    assert counts[Event.Outcome.CREATED] == 0
    assert sum(counts.values()) == 4
    assert Event.objects.get(outcome=Event.Outcome.NOT_CONNECTED).connection is None


@pytest.mark.django_db
def test_a_disconnected_page_is_not_connected(page: Connection) -> None:
    page.disconnected_at = NOW
    page.save()
    deliver(feed(meta.feed(comment_id=f"{POST}_1", created_time=AT)))
    run()
    assert Event.objects.get().outcome == Event.Outcome.NOT_CONNECTED
    assert not Item.objects.exists()


@pytest.mark.django_db
def test_a_malformed_event_among_good_ones_is_kept_with_its_error(page: Connection) -> None:
    deliver(
        feed(
            meta.feed(comment_id=f"{POST}_1", created_time=AT),
            meta.feed(comment_id="../../me", created_time=AT),
            "not a change",
            meta.feed(comment_id=f"{POST}_2", created_time=NOW + timedelta(days=2)),
            meta.feed(comment_id=f"{POST}_3", created_time=AT),
        )
    )
    run()
    assert set(Item.objects.values_list("platform_id", flat=True)) == {f"{POST}_1", f"{POST}_3"}
    outcomes = list(Event.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["created", "error", "error", "error", "created"]
    assert all(Event.objects.filter(outcome="error").values_list("error", flat=True))
    assert Delivery.objects.get().status == Delivery.Status.DONE


@pytest.mark.django_db
def test_a_body_that_is_not_json_fails_is_kept_and_does_not_block_the_next(page: Connection) -> None:
    broken = deliver(b"{not json")
    good = deliver(feed(meta.feed(comment_id=f"{POST}_1", created_time=AT)))
    run()
    broken.refresh_from_db()
    good.refresh_from_db()
    assert broken.status == Delivery.Status.FAILED
    assert broken.error
    assert bytes(broken.body) == b"{not json"
    assert good.status == Delivery.Status.DONE
    assert Item.objects.count() == 1


@pytest.mark.django_db
def test_messages_and_instagram(page: Connection, instagram: Connection) -> None:
    deliver(
        meta.page_delivery(
            meta.entry(
                meta.PAGE_ID,
                NOW,
                messaging=[
                    meta.message(mid="m_visitor-1", at=AT),
                    meta.message(
                        mid="m_echo-1",
                        at=AT,
                        sender=meta.PAGE_ID,
                        recipient="6660001",
                        is_echo=True,
                        text="Svar",
                    ),
                ],
            )
        )
    )
    deliver(
        meta.instagram_delivery(
            meta.entry(
                meta.IG_ID,
                AT,
                changes=[
                    meta.ig_comment(comment_id="17850000000000001"),
                    meta.ig_mention(media_id="17900000000000009", comment_id="17850000000000003"),
                ],
                messaging=[
                    meta.message(mid="aWdfZAG1faXRlbTo", sender="7770002", recipient=meta.IG_ID, at=AT)
                ],
            )
        )
    )
    run()
    fb = Item.objects.get(account=page.account)
    assert fb.kind == Item.Kind.MESSAGE
    assert fb.platform_id == "m_visitor-1"
    assert Publication.objects.get(account=page.account).kind == Publication.Kind.MESSAGE
    ig = {i.platform_id: i for i in Item.objects.filter(account=instagram.account)}
    assert set(ig) == {"17850000000000001", "17850000000000003", "aWdfZAG1faXRlbTo"}
    assert ig["17850000000000001"].author == "@besokare"
    assert ig["17850000000000001"].text == "Snygg bild! 😍"


@pytest.mark.django_db
def test_the_same_item_through_the_api_and_the_webhook_is_one_item(page: Connection, cast: Cast) -> None:
    _token, secret = tokens.issue_token(
        name="Koppling", accounts=[page.account], by=cast["social_media_lead"], now=NOW
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.post(
        f"/api/v1/accounts/{page.account.pk}/items/",
        {
            "platform_id": f"{POST}_1",
            "kind": "comment",
            "author": "Maja Besökare",
            "text": "Hej! När öppnar anmälan?",
            "received_at": AT.isoformat(),
        },
        format="json",
    )
    assert response.status_code in (200, 201), response.content
    deliver(feed(meta.feed(comment_id=f"{POST}_1", created_time=AT)))
    run()
    assert Item.objects.filter(account=page.account, platform_id=f"{POST}_1").count() == 1
    assert Event.objects.get().outcome == Event.Outcome.DUPLICATE


# --- PostgreSQL: records kept, claims shared ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_deliveries_and_events_cannot_be_deleted(page: Connection) -> None:
    """KAU-PUBLIC-RECORD: the database itself refuses."""
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    deliver(feed(meta.feed(comment_id=f"{POST}_1", created_time=AT)))
    run()
    for records in (Event.objects.all(), Delivery.objects.all()):
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
            records.delete()
    assert Event.objects.count() == 1
    assert Delivery.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_delivery_claimed_by_another_worker_is_skipped_not_waited_for(page: Connection) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    first = deliver(feed(meta.feed(comment_id=f"{POST}_1", created_time=AT)))
    second = deliver(feed(meta.feed(comment_id=f"{POST}_2", created_time=AT)))
    claimed, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                list(Delivery.objects.filter(pk=first.pk).select_for_update())
                claimed.set()
                release.wait(20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert claimed.wait(10)
        assert processing.process_pending(now=NOW, budget_s=5) == 1
        assert list(Item.objects.values_list("platform_id", flat=True)) == [f"{POST}_2"]
    finally:
        release.set()
        thread.join()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Delivery.Status.PENDING
    assert second.status == Delivery.Status.DONE
    assert run() == 1
    assert Item.objects.count() == 2


@pytest.mark.django_db
def test_a_burst_costs_the_same_few_statements_whatever_its_size_kau_response_deadline(
    page: Connection, django_assert_max_num_queries: Any
) -> None:
    """The visitors' new items of a delivery are logged together (moderation.platform.receive_many):
    a delivery of 200 comments costs no more statements than one of 20, and each item is what the
    one-by-one path makes: its deadlines, its history, its first log entry."""
    for size, prefix in ((20, "a"), (200, "b")):
        deliver(
            feed(
                *[
                    meta.feed(comment_id=f"{POST}_{prefix}{n}", message=f"Fråga {n} 🎓", created_time=AT)
                    for n in range(size)
                ]
            )
        )
        with django_assert_max_num_queries(40):
            run()
    items = Item.objects.filter(account=page.account)
    assert items.count() == 220
    assert Event.objects.filter(outcome=Event.Outcome.CREATED).count() == 220
    one = items.get(platform_id=f"{POST}_b7")
    assert (one.text, one.source, one.in_reply_to, one.status) == ("Fråga 7 🎓", "platform", POST, "open")
    assert one.received_at == AT
    assert one.received_at < one.due_at <= one.limit_at
    assert one.alert_after == one.due_at
    assert one.history.count() == 1
    assert list(one.log.values_list("action", flat=True)) == [LogEntry.Action.LOGGED]


@pytest.mark.django_db
def test_a_repeat_within_a_burst_is_already_known_and_a_refused_row_is_named_alone(page: Connection) -> None:
    deliver(
        feed(
            meta.feed(comment_id=f"{POST}_1", created_time=AT),
            meta.feed(comment_id=f"{POST}_1", created_time=AT),
            meta.feed(comment_id=f"{POST}_2", created_time=AT, from_name="x" * 300),
            meta.feed(comment_id=f"{POST}_3", created_time=AT),
        )
    )
    run()
    assert list(Event.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "created",
        "duplicate",
        "error",
        "created",
    ]
    assert set(Item.objects.values_list("platform_id", flat=True)) == {f"{POST}_1", f"{POST}_3"}
    assert Event.objects.get(outcome="error").error  # named: the author's name is no name

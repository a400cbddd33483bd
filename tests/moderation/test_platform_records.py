"""What moderation keeps of the platform's side (KAU-PUBLIC-RECORD): the author's edits, what others
did on the platform, what the platform answered, and the account's own publications; and what it
announces to the connectors when an answer or a removal is recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from archive.services import store_evidence
from moderation import events, platform, services
from moderation.models import Item, LogEntry, PlatformStatus, Publication
from moderation.sections import (
    ItemSection,
    _destinations,
    _sections,
    register_answer_destination,
    register_item_section,
)
from moderation.services import Triage
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.support import login, png


def test_an_edit_keeps_both_texts_in_the_log_kau_public_record(make_item: Any) -> None:
    item = make_item(text="Första versionen 🙂")
    platform.record_edit(item, text="Andra versionen 🙃", at=NOW - timedelta(minutes=30), now=NOW)
    item.refresh_from_db()
    assert item.text == "Andra versionen 🙃"
    entry = item.log.get(action=LogEntry.Action.EDITED)
    assert "Första versionen 🙂" in entry.note
    assert "Andra versionen 🙃" in entry.note
    assert entry.actor is None
    # The same text again is no edit.
    platform.record_edit(item, text="Andra versionen 🙃", at=NOW, now=NOW)
    assert item.log.filter(action=LogEntry.Action.EDITED).count() == 1
    # The history keeps the earlier text too.
    assert [h.text for h in item.history.order_by("history_id")][-2:] == [
        "Första versionen 🙂",
        "Andra versionen 🙃",
    ]


def test_removal_by_others_is_recorded_and_deletes_nothing_kau_public_record(make_item: Any) -> None:
    item = make_item()
    platform.record_platform_change(item, status=PlatformStatus.REMOVED, note="verb remove", now=NOW)
    platform.record_platform_change(item, status=PlatformStatus.REMOVED, note="again", now=NOW)
    item.refresh_from_db()
    assert item.platform_status == PlatformStatus.REMOVED
    assert item.status == Item.Status.OPEN  # it still asks for an answer, or a decision
    assert item.log.filter(action=LogEntry.Action.PLATFORM_CHANGED).count() == 1
    with pytest.raises(ValueError, match="unknown platform status"):
        platform.record_platform_change(item, status="gone", note="", now=NOW)


def test_an_outcome_on_the_platform_is_appended_to_the_log(make_item: Any) -> None:
    item = make_item()
    entry = platform.record_platform_outcome(
        item, action=LogEntry.Action.POSTED, note="id 123_456, https://facebook.com/123_456", now=NOW
    )
    assert (entry.action, entry.actor, entry.note) == (
        LogEntry.Action.POSTED,
        None,
        "id 123_456, https://facebook.com/123_456",
    )
    with pytest.raises(ValueError, match="not an outcome"):
        platform.record_platform_outcome(item, action=LogEntry.Action.ANSWERED, note="", now=NOW)


def test_answers_and_removals_are_announced_in_the_same_transaction(
    cast: Cast, make_item: Any, media_root: Any
) -> None:
    heard: list[tuple[str, int, Any]] = []

    def on_answer(*, item: Item, by: Any, now: Any) -> None:
        heard.append(("answer", item.pk, item.status))

    def on_removal(*, item: Item, by: Any, now: Any) -> None:
        heard.append(("removal", item.pk, item.status))

    events.answer_recorded.listen(on_answer)
    events.removal_recorded.listen(on_removal)
    try:
        answered = make_item()
        services.answer_item(answered, answer="Anmälan öppnar 1 mars.", by=cast["communicator"], now=NOW)
        removed = make_item()
        services.classify_item(removed, triage=Triage(prohibited=[6]), by=cast["communicator"], now=NOW)
        # KAU-PROHIBITED-EVIDENCE: without the evidence nothing is removed and nothing announced.
        with pytest.raises(ValidationError):
            services.remove_item(removed, note="reklam", by=cast["communicator"], now=NOW)
        assert [h[0] for h in heard] == ["answer"]
        store_evidence(removed, data=png(), by=cast["communicator"], now=NOW)
        services.remove_item(removed, note="reklam", by=cast["communicator"], now=NOW)
    finally:
        events.answer_recorded._listeners.remove(on_answer)
        events.removal_recorded._listeners.remove(on_removal)
    assert heard == [
        ("answer", answered.pk, Item.Status.ANSWERED),
        ("removal", removed.pk, Item.Status.REMOVED),
    ]


def test_a_listener_that_fails_rolls_the_answer_back(cast: Cast, make_item: Any) -> None:
    def refuse(**kwargs: Any) -> None:
        raise ValidationError("the connection refused")

    item = make_item()
    events.answer_recorded.listen(refuse)
    try:
        with pytest.raises(ValidationError):
            services.answer_item(item, answer="Svar", by=cast["communicator"], now=NOW)
    finally:
        events.answer_recorded._listeners.remove(refuse)
    item.refresh_from_db()
    assert item.status == Item.Status.OPEN
    assert not item.log.filter(action=LogEntry.Action.ANSWERED).exists()


def test_publications_are_kept_once_and_edits_keep_the_history(account: Any, make_item: Any) -> None:
    item = make_item(platform_id="1_2")
    publication, created = platform.keep_publication(
        account,
        platform_id="1_3",
        kind=Publication.Kind.REPLY,
        text="Tack för frågan!",
        published_at=NOW,
        in_reply_to="1_2",
        answers=item,
    )
    assert created
    assert publication.answers == item
    again, created = platform.keep_publication(
        account,
        platform_id="1_3",
        kind=Publication.Kind.REPLY,
        text="Tack för frågan! (rättad)",
        published_at=NOW,
    )
    assert not created
    assert again.pk == publication.pk
    again.refresh_from_db()
    assert again.text == "Tack för frågan! (rättad)"
    assert again.answers == item
    assert [h.text for h in again.history.order_by("history_id")] == [
        "Tack för frågan!",
        "Tack för frågan! (rättad)",
    ]
    platform.record_publication_change(again, status=PlatformStatus.HIDDEN)
    assert Publication.objects.get(pk=again.pk).platform_status == PlatformStatus.HIDDEN
    with pytest.raises(ValidationError):
        platform.keep_publication(account, platform_id="9", kind="story", text="", published_at=NOW)
    assert Publication.objects.count() == 1


def test_platform_items_carry_the_authors_id_and_what_they_answer(account: Any) -> None:
    item, created = services.receive_item(
        account,
        platform_id="111_222",
        kind=Item.Kind.COMMENT,
        author="Elin",
        text="Svar på svar",
        received_at=NOW - timedelta(hours=1),
        now=NOW,
        source=Item.Source.PLATFORM,
        author_platform_id="9876",
        in_reply_to="111_221",
    )
    assert created
    assert (item.author_platform_id, item.in_reply_to, item.source) == ("9876", "111_221", "platform")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_delete_a_publication_kau_public_record(
    cast: Cast, make_account: Any
) -> None:
    account = make_account()
    publication, _created = platform.keep_publication(
        account, platform_id="1", kind=Publication.Kind.POST, text="Välkommen!", published_at=NOW
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        Publication.objects.filter(pk=publication.pk).delete()
    assert Publication.objects.filter(pk=publication.pk).exists()


def test_the_item_page_shows_what_other_apps_add(client: Any, cast: Cast, make_item: Any) -> None:
    item = make_item()

    def section(user: Any, shown: Item) -> ItemSection | None:
        return ItemSection("includes/breadcrumbs.html", {}) if shown.pk == item.pk else None

    def destination(shown: Item) -> str | None:
        return "Svaret publiceras på Facebook." if shown.pk == item.pk else None

    register_item_section(section, order=99)
    register_answer_destination(destination)
    try:
        page = login(client, cast, "communicator").get(f"/moderering/{item.pk}/")
        body = page.content.decode()
        assert "Svaret publiceras på Facebook." in body
        assert "data-answer-destination" in body
        # Nobody sees a destination of an item they only read.
        page = login(client, cast, "social_media_lead").get(f"/moderering/{item.pk}/")
        assert "data-answer-destination" not in page.content.decode()
    finally:
        _sections[:] = [entry for entry in _sections if entry[1] is not section]
        _destinations.remove(destination)

"""connectors.intake: platform-neutral changes applied to moderation's records, idempotent, nothing
deleted (KAU-PUBLIC-RECORD), the account's own writing kept as its publications."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from connectors.intake import Change, Incoming, apply
from connectors.models import Connection, Event
from moderation.models import Item, LogEntry, PlatformStatus, Publication
from moderation.services import answer_item
from tests.conftest import Cast
from tests.moderation.conftest import NOW


@pytest.fixture
def connection(cast: Cast, make_account: Any) -> Connection:
    account = make_account(platform="facebook_page")
    return Connection.objects.create(
        account=account, platform="facebook", external_id="111", connected_at=NOW
    )


def comment(change: Change = Change.ADD, **extra: Any) -> Incoming:
    fields: dict[str, Any] = {
        "change": change,
        "platform_id": "111_222",
        "kind": Item.Kind.COMMENT,
        "author": "Elin Besökare",
        "author_platform_id": "555",
        "text": "När öppnar anmälan? 🎓",
        "at": NOW - timedelta(hours=1),
        "in_reply_to": "111_200",
    }
    fields.update(extra)
    return Incoming(**fields)


def test_a_visitors_comment_becomes_one_item_however_often_it_arrives_kau_response_deadline(
    connection: Connection,
) -> None:
    outcome, item = apply(connection, comment(), now=NOW)
    assert outcome == Event.Outcome.CREATED
    assert item is not None
    assert (item.source, item.author, item.author_platform_id, item.in_reply_to) == (
        Item.Source.PLATFORM,
        "Elin Besökare",
        "555",
        "111_200",
    )
    assert item.due_at > item.received_at  # the deadline is fixed as for any item
    again, same = apply(connection, comment(), now=NOW)
    assert again == Event.Outcome.DUPLICATE
    assert same == item
    assert Item.objects.count() == 1


def test_a_time_in_the_future_is_read_as_now(connection: Connection) -> None:
    _outcome, item = apply(connection, comment(at=NOW + timedelta(minutes=3)), now=NOW)
    assert item is not None
    assert item.received_at == NOW


def test_an_edit_keeps_both_texts_and_an_edit_of_the_unknown_brings_it_in(connection: Connection) -> None:
    apply(connection, comment(), now=NOW)
    outcome, item = apply(connection, comment(Change.EDIT, text="Ändrad fråga"), now=NOW)
    assert outcome == Event.Outcome.UPDATED
    assert item is not None
    assert item.text == "Ändrad fråga"
    assert item.log.filter(action=LogEntry.Action.EDITED).exists()
    outcome, other = apply(connection, comment(Change.EDIT, platform_id="111_333", text="Ny"), now=NOW)
    assert outcome == Event.Outcome.CREATED
    assert other is not None
    assert other.text == "Ny"


def test_hidden_and_removed_by_others_are_recorded_never_deleted_kau_public_record(
    connection: Connection,
) -> None:
    apply(connection, comment(), now=NOW)
    outcome, item = apply(connection, comment(Change.HIDE), now=NOW)
    assert outcome == Event.Outcome.UPDATED
    assert item is not None
    assert item.platform_status == PlatformStatus.HIDDEN
    _outcome, item = apply(connection, comment(Change.REMOVE), now=NOW)
    assert item is not None
    assert item.platform_status == PlatformStatus.REMOVED
    assert Item.objects.filter(pk=item.pk).exists()
    # A removal of something never seen creates nothing.
    assert apply(connection, comment(Change.REMOVE, platform_id="111_999"), now=NOW) == (
        Event.Outcome.DUPLICATE,
        None,
    )


def test_the_pages_own_writing_is_its_publication_and_needs_no_answer(
    cast: Cast, connection: Connection
) -> None:
    _outcome, item = apply(connection, comment(), now=NOW)
    assert item is not None
    answer_item(item, answer="1 mars!", by=cast["communicator"], now=NOW)
    outcome, none = apply(
        connection,
        comment(
            platform_id="111_223", own=True, text="1 mars!", author="Universitetet", in_reply_to="111_222"
        ),
        now=NOW,
    )
    assert (outcome, none) == (Event.Outcome.PUBLISHED, None)
    publication = Publication.objects.get(platform_id="111_223")
    assert (publication.kind, publication.answers, publication.text) == (
        Publication.Kind.REPLY,
        item,
        "1 mars!",
    )
    apply(
        connection, comment(platform_id="111_100", own=True, kind=Item.Kind.POST, text="Välkommen!"), now=NOW
    )
    assert Publication.objects.get(platform_id="111_100").kind == Publication.Kind.POST
    apply(connection, comment(Change.REMOVE, platform_id="111_100", own=True), now=NOW)
    assert Publication.objects.get(platform_id="111_100").platform_status == PlatformStatus.REMOVED
    assert Item.objects.count() == 1


def test_a_closed_account_takes_nothing_new_kau_close(connection: Connection) -> None:
    type(connection.account).objects.filter(pk=connection.account.pk).update(status="closed", closed_at=NOW)
    connection.account.refresh_from_db()
    with pytest.raises(ValidationError):
        apply(connection, comment(), now=NOW)
    assert not Item.objects.exists()

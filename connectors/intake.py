"""What came in from a platform, made platform-neutral, and applied to moderation.

A platform module (connectors.meta.parse for webhooks, the reconciliation poll for what it fetches)
turns the platform's shapes into ``Incoming`` values; ``apply`` turns each into moderation's records:

- a visitor's post, comment or message → an item, idempotent on (account, platform id): the same
  platform item through webhook, poll and API is one item;
- the author's edit → both texts in the item's log (KAU-PUBLIC-RECORD);
- a removal or hiding by others → recorded on the item or publication, nothing deleted;
- the account's own post or reply → its published record (a Publication), which needs no answer.

Everything here is already checked: ``Incoming`` is built only by a parser that validated the shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connectors.models import Connection, Event
from moderation import platform, services
from moderation.models import Item, PlatformStatus, Publication


class Change(StrEnum):
    ADD = "add"  # a new post, comment or message
    EDIT = "edit"  # its author changed the text
    HIDE = "hide"  # hidden on the platform by others
    REMOVE = "remove"  # removed on the platform by others


@dataclass(frozen=True)
class Incoming:
    """One thing that happened on the platform, in Kanalvakt's words.

    ``own`` is true when the account itself wrote it (the page's own post or reply): it is kept as the
    account's publication, not as an item to answer. ``kind`` is an Item.Kind for visitors' writing.
    """

    change: Change
    platform_id: str
    kind: str = Item.Kind.COMMENT
    own: bool = False
    author: str = ""
    author_platform_id: str = ""
    text: str = ""
    at: datetime | None = None
    url: str = ""
    in_reply_to: str = ""

    def __post_init__(self) -> None:
        for name in ("platform_id", "author", "author_platform_id", "text", "url", "in_reply_to"):
            object.__setattr__(self, name, storable(getattr(self, name)))


def storable(value: Any) -> Any:
    """``value`` with every NUL character (which PostgreSQL stores in neither text nor JSON) replaced
    by U+FFFD, in strings, keys and nested lists and dicts; everything else as it is."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


@dataclass(frozen=True)
class Malformed:
    """A row read from a platform that could not be understood, kept with its error."""

    object_type: str
    payload: dict[str, Any]
    error: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload", storable(self.payload))


@dataclass(frozen=True)
class Fetched:
    """One thing read from a platform, with the raw row it came from (kept as the event's payload)."""

    object_type: str  # "post", "comment", "message"
    incoming: Incoming
    payload: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload", storable(self.payload))


Row = Fetched | Malformed


@dataclass
class Tally:
    """What a poll or a backfill read and made of it."""

    posts: int = 0
    comments: int = 0
    messages: int = 0
    created: int = 0
    errors: int = 0
    through: datetime | None = None
    seen: set[str] = field(default_factory=set)

    def as_progress(self) -> dict[str, object]:
        return {
            "posts": self.posts,
            "comments": self.comments,
            "messages": self.messages,
            "created": self.created,
            "errors": self.errors,
            "through": self.through.isoformat() if self.through else None,
        }


def _received(incoming: Incoming, *, now: datetime) -> platform.Received | None:
    """A visitor's new post, comment or message as moderation receives it, or None for anything else."""
    if incoming.own or incoming.change != Change.ADD or incoming.at is None:
        return None
    return platform.Received(
        platform_id=incoming.platform_id,
        kind=incoming.kind,
        author=incoming.author or "–",
        text=incoming.text or "–",
        received_at=min(incoming.at, now),
        url=incoming.url,
        author_platform_id=incoming.author_platform_id,
        in_reply_to=incoming.in_reply_to,
    )


def receive_new(connection: Connection, incomings: list[Incoming], *, now: datetime) -> dict[str, Item]:
    """The visitors' new items among ``incomings``, logged at once (moderation.platform.receive_many):
    a burst of webhook events costs a few statements, not a dozen per item. Returns the items created,
    by platform id. When the batch is refused (a closed account, a field moderation refuses, a race
    for a platform id), nothing is created and an empty dict is returned: ``apply`` then takes each
    event on its own and names the one at fault."""
    rows = [row for incoming in incomings if (row := _received(incoming, now=now)) is not None]
    if not rows:
        return {}
    try:
        with transaction.atomic():
            return platform.receive_many(connection.account, rows, now=now)
    except (ValidationError, IntegrityError):
        return {}


def apply(connection: Connection, incoming: Incoming, *, now: datetime) -> tuple[str, Item | None]:
    """Apply one incoming change to moderation's records. Returns the Event outcome and the item it
    created or touched. Raises ValidationError for content moderation refuses (the caller keeps the
    event as malformed, and the others go on)."""
    account = connection.account
    with transaction.atomic():
        if incoming.own:
            return _apply_own(connection, incoming, now=now)
        item = Item.objects.filter(account=account, platform_id=incoming.platform_id).first()
        if incoming.change == Change.ADD:
            if item is not None:
                return Event.Outcome.DUPLICATE, item
            if incoming.at is None:
                raise ValidationError({"created_time": "the item has no time"})
            row = _received(incoming, now=now)
            assert row is not None
            item, created = services.receive_item(
                account,
                platform_id=row.platform_id,
                kind=row.kind,
                author=row.author,
                text=row.text,
                received_at=row.received_at,
                url=row.url,
                now=now,
                source=Item.Source.PLATFORM,
                author_platform_id=row.author_platform_id,
                in_reply_to=row.in_reply_to,
            )
            return (Event.Outcome.CREATED if created else Event.Outcome.DUPLICATE), item
        if item is None:
            # An edit or removal of something Kanalvakt never saw: an edit brings it in as new
            # (with its current text); a removal of the unknown is only kept as the event.
            if incoming.change == Change.EDIT and incoming.at is not None:
                return apply(connection, _as_new(incoming), now=now)
            return Event.Outcome.DUPLICATE, None
        if incoming.change == Change.EDIT:
            before = item.text
            item = platform.record_edit(item, text=incoming.text, at=incoming.at or now, now=now)
            return (Event.Outcome.UPDATED if item.text != before else Event.Outcome.DUPLICATE), item
        status = PlatformStatus.HIDDEN if incoming.change == Change.HIDE else PlatformStatus.REMOVED
        before_status = item.platform_status
        item = platform.record_platform_change(item, status=status, note="", now=now)
        return (Event.Outcome.UPDATED if before_status != status else Event.Outcome.DUPLICATE), item


def _as_new(incoming: Incoming) -> Incoming:
    return Incoming(
        change=Change.ADD,
        platform_id=incoming.platform_id,
        kind=incoming.kind,
        author=incoming.author,
        author_platform_id=incoming.author_platform_id,
        text=incoming.text,
        at=incoming.at,
        url=incoming.url,
        in_reply_to=incoming.in_reply_to,
    )


def _apply_own(connection: Connection, incoming: Incoming, *, now: datetime) -> tuple[str, Item | None]:
    account = connection.account
    if incoming.change in (Change.HIDE, Change.REMOVE):
        publication = Publication.objects.filter(account=account, platform_id=incoming.platform_id).first()
        if publication is not None:
            status = PlatformStatus.HIDDEN if incoming.change == Change.HIDE else PlatformStatus.REMOVED
            platform.record_publication_change(publication, status=status)
        return Event.Outcome.PUBLISHED, None
    kinds: dict[str, str] = {
        Item.Kind.POST: Publication.Kind.POST,
        Item.Kind.MESSAGE: Publication.Kind.MESSAGE,
    }
    kind = kinds.get(incoming.kind, Publication.Kind.REPLY)
    # A reply Kanalvakt posted itself names the item it answered (connectors.outgoing records it).
    answered = (
        Item.objects.filter(account=account, platform_id=incoming.in_reply_to).first()
        if incoming.in_reply_to
        else None
    )
    platform.keep_publication(
        account,
        platform_id=incoming.platform_id,
        kind=kind,
        text=incoming.text,
        published_at=min(incoming.at or now, now),
        url=incoming.url,
        in_reply_to=incoming.in_reply_to,
        answers=answered if kind == Publication.Kind.REPLY else None,
    )
    return Event.Outcome.PUBLISHED, None


# --- What a poll read, applied --------------------------------------------------------------------------


def apply_rows(
    connection: Connection,
    rows: Iterable[Row],
    *,
    now: datetime,
    field_name: str = "poll",
    progress: Callable[[Tally], None] | None = None,
) -> Tally:
    """Apply what a poll or backfill read (connectors.reconcile, connectors.polling). An Event
    (without a delivery) is kept for each thing it created or changed and for each row it could not
    read; a row already known changes nothing and costs one lookup."""
    tally = Tally()
    events: list[Event] = []
    try:
        _apply_each(connection, rows, tally, events, now=now, field_name=field_name, progress=progress)
    finally:
        # Kept also when the platform fails half-way: what was applied keeps its events.
        Event.objects.bulk_create(events, batch_size=500)
    return tally


def _apply_each(
    connection: Connection,
    rows: Iterable[Row],
    tally: Tally,
    events: list[Event],
    *,
    now: datetime,
    field_name: str,
    progress: Callable[[Tally], None] | None,
) -> None:
    def keep(row: Row, outcome: str, **extra: Any) -> None:
        events.append(
            _event(
                connection,
                row.object_type,
                row.payload,
                now=now,
                field_name=field_name,
                outcome=outcome,
                **extra,
            )
        )

    for row in rows:
        if isinstance(row, Malformed):
            tally.errors += 1
            keep(row, Event.Outcome.ERROR, error=row.error)
            continue
        incoming = row.incoming
        if incoming.platform_id in tally.seen:
            continue
        tally.seen.add(incoming.platform_id)
        kind = row.object_type if row.object_type in ("post", "comment", "message") else "comment"
        setattr(tally, f"{kind}s", getattr(tally, f"{kind}s") + 1)
        if incoming.at is not None and (tally.through is None or incoming.at < tally.through):
            tally.through = incoming.at
        try:
            outcome, item = apply(connection, incoming, now=now)
        except ValidationError as exc:
            tally.errors += 1
            keep(row, Event.Outcome.ERROR, error=str(exc)[:2000])
            continue
        if outcome in (Event.Outcome.CREATED, Event.Outcome.UPDATED):
            tally.created += outcome == Event.Outcome.CREATED
            keep(row, outcome, item=item, at=incoming.at)
        if progress is not None and (tally.posts + tally.comments + tally.messages) % 50 == 0:
            progress(tally)


def _event(
    connection: Connection,
    object_type: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    field_name: str,
    outcome: str,
    error: str = "",
    item: Item | None = None,
    at: datetime | None = None,
) -> Event:
    return Event(
        delivery=None,
        connection=connection,
        object_type=object_type[:20],
        entry_id=connection.external_id[:100],
        field=field_name,
        payload=payload,
        occurred_at=at,
        outcome=outcome,
        error=error,
        item=item,
        processed_at=now,
    )

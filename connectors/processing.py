"""The processing of webhook deliveries: each stored delivery split into its events, each event applied
to moderation (connectors.intake) and kept with its outcome.

A claimed sweep (CONTRIBUTING: Celery): pending deliveries are claimed in batches with
``SELECT … FOR UPDATE SKIP LOCKED`` inside one transaction per batch, so that two workers at once
take different deliveries and a second run finds nothing left. Every event is kept, also those that
create nothing (KAU-PUBLIC-RECORD): for a page that is not connected, of a kind Kanalvakt does not
use, or malformed (with its error). A malformed event never stops the others: each is applied in its
own savepoint. A delivery that crashes is rolled back alone and tried again in a later run, and after
MAX_ATTEMPTS is kept as failed with the error, so that it never blocks the deliveries behind it.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Count

from connectors import intake
from connectors.meta import parse
from connectors.models import Connection, Delivery, Event

logger = logging.getLogger(__name__)

BATCH = 10  # deliveries per claim: small enough that two workers share a burst
MAX_ATTEMPTS = 3
TIME_BUDGET_S = 200.0  # below the task's soft time limit: the next run (or beat) goes on


def process_pending(*, now: datetime, batch: int = BATCH, budget_s: float = TIME_BUDGET_S) -> int:
    """Process the waiting deliveries, batch by batch, until none is left or the time budget is
    spent. Returns the number of deliveries handled. Safe to run twice, or twice at once."""
    started = time.monotonic()
    handled = 0
    while time.monotonic() - started < budget_s:
        with transaction.atomic():
            claimed = Delivery.objects.filter(status=Delivery.Status.PENDING).order_by("received_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                claimed = claimed.select_for_update(skip_locked=True)
            deliveries = list(claimed[:batch])
            if not deliveries:
                break
            _process_batch(deliveries, now=now)
        handled += len(deliveries)
    return handled


def _process_batch(deliveries: list[Delivery], *, now: datetime) -> None:
    parsed_by_delivery: dict[int, list[parse.Parsed]] = {}
    for delivery in deliveries:
        try:
            parsed_by_delivery[delivery.pk] = parse.parse_body(bytes(delivery.body), now=now)
        except parse.NotReadable as exc:
            delivery.status, delivery.error = Delivery.Status.FAILED, str(exc)
        except RecursionError:
            delivery.status, delivery.error = Delivery.Status.FAILED, "The delivery is nested too deeply."
    connections = _connections(parsed_by_delivery.values())
    events: list[Event] = []
    touched: set[int] = set()
    for delivery in deliveries:
        delivery.attempts += 1
        delivery.processed_at = now
        parsed = parsed_by_delivery.get(delivery.pk)
        if parsed is None:
            continue  # not readable: failed above, kept as received
        try:
            with transaction.atomic():
                created = _receive_new(parsed, connections, now=now)
                rows = [_apply(delivery, one, connections, now=now, created=created) for one in parsed]
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:  # a bug or a database error in one delivery: the others go on
            logger.exception("processing webhook delivery %s failed", delivery.pk)
            delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
            continue
        events.extend(rows)
        touched.update(row.connection_id for row in rows if row.connection_id)
        delivery.status, delivery.error = Delivery.Status.DONE, ""
    Event.objects.bulk_create(events, batch_size=500)
    if touched:
        Connection.objects.filter(pk__in=touched).update(last_event_at=now)
    Delivery.objects.bulk_update(deliveries, ["status", "error", "attempts", "processed_at"])


def _connections(parsed_lists: object) -> dict[tuple[str, str], Connection]:
    """The live connections the batch's events name, in one query."""
    wanted: set[tuple[str, str]] = set()
    for parsed in parsed_lists:  # type: ignore[attr-defined]
        for one in parsed:
            if one.platform and one.entry_id:
                wanted.add((one.platform, one.entry_id))
    if not wanted:
        return {}
    found = Connection.objects.filter(
        disconnected_at__isnull=True, external_id__in={external for _platform, external in wanted}
    ).select_related("account")
    return {(c.platform, c.external_id): c for c in found if (c.platform, c.external_id) in wanted}


def _receive_new(
    parsed: list[parse.Parsed], connections: dict[tuple[str, str], Connection], *, now: datetime
) -> dict[tuple[int, str], Any]:
    """The visitors' new items of one delivery, logged in a few statements per connection
    (connectors.intake.receive_new); ``_apply`` then only names them. What the batch path refuses is
    taken event by event."""
    by_connection: dict[int, tuple[Connection, list[intake.Incoming]]] = {}
    for one in parsed:
        connection_ = connections.get((one.platform, one.entry_id)) if one.platform else None
        if connection_ is not None and one.incoming is not None and not one.error:
            by_connection.setdefault(connection_.pk, (connection_, []))[1].append(one.incoming)
    created: dict[tuple[int, str], Any] = {}
    for pk, (connection_, incomings) in by_connection.items():
        for platform_id, item in intake.receive_new(connection_, incomings, now=now).items():
            created[(pk, platform_id)] = item
    return created


def _apply(
    delivery: Delivery,
    one: parse.Parsed,
    connections: dict[tuple[str, str], Connection],
    *,
    now: datetime,
    created: dict[tuple[int, str], Any] | None = None,
) -> Event:
    event = Event(
        delivery=delivery,
        object_type=one.object_type,
        entry_id=one.entry_id,
        field=one.field,
        payload=intake.storable(one.payload),
        occurred_at=one.occurred_at,
        processed_at=now,
    )
    connection_ = connections.get((one.platform, one.entry_id)) if one.platform else None
    event.connection = connection_
    if one.error:
        event.outcome, event.error = Event.Outcome.ERROR, one.error
    elif one.incoming is None:
        event.outcome, event.error = Event.Outcome.UNUSED, one.unused
    elif connection_ is None:
        event.outcome = Event.Outcome.NOT_CONNECTED
    elif created and (item := created.pop((connection_.pk, one.incoming.platform_id), None)) is not None:
        # Logged with the delivery's other new items (_receive_new); a repeat of it is "already known".
        event.outcome, event.item = Event.Outcome.CREATED, item
    else:
        try:
            # intake.apply runs in its own savepoint: a refused event leaves nothing behind.
            event.outcome, event.item = intake.apply(connection_, one.incoming, now=now)
        except (ValidationError, ValueError, DatabaseError) as exc:
            event.outcome, event.error = Event.Outcome.ERROR, _message(exc)
    return event


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(message) for message in exc.messages)[:2000]
    return str(exc)[:2000]


def summary(since: datetime) -> dict[str, int]:
    """Events processed since ``since``, counted by outcome in one query (every outcome named, 0 too)."""
    counts: dict[str, int] = defaultdict(int)
    for row in Event.objects.filter(processed_at__gte=since).values("outcome").annotate(n=Count("id")):
        counts[row["outcome"]] = row["n"]
    return {outcome: counts[outcome] for outcome in Event.Outcome.values}

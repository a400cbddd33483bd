"""The reconciliation poll and the 14-day backfill.

Meta does not promise to deliver every webhook, so each live connection with a token is polled at
most hourly (a claimed sweep over ``next_poll_at``): what arrived since ``polled_until`` is read from
the Graph API (connectors.meta.fetch) and applied through connectors.intake, which is idempotent on
(account, platform id): an item that came by webhook and by poll is one item. A lost webhook costs at
most an hour (KAU-RESP-DAILY). Connecting an account backfills the last 14 days the same way, with
its progress (posts, comments, messages, and back to which date) kept on the connection.

A token or permission error turns the connection to "needs attention" (in the Graph client); a poll
that completes marks it healthy again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from connectors import health, http, intake
from connectors.intake import Tally
from connectors.meta import fetch
from connectors.meta.graph import Graph, GraphError
from connectors.models import META_PLATFORMS, Connection, Platform
from core.history import record

logger = logging.getLogger(__name__)

POLL_EVERY = timedelta(hours=1)
OVERLAP = timedelta(minutes=15)  # read a little before the last poll: clocks and late indexing
RECENT_POSTS = timedelta(days=7)  # the poll reads comments on posts this recent
BACKFILL = timedelta(days=14)


def _rows(
    graph: Graph, connection: Connection, *, since: datetime, posts_since: datetime
) -> Iterator[fetch.Row]:
    reader = fetch.facebook if connection.platform == Platform.FACEBOOK else fetch.instagram
    return reader(graph, connection, since=since, posts_since=posts_since)


def pull(
    connection: Connection,
    *,
    since: datetime,
    posts_since: datetime,
    now: datetime,
    progress: Callable[[Tally], None] | None = None,
) -> Tally:
    """Read what the platform has since ``since`` and apply it; an Event (without a delivery) is kept
    for each thing it created or changed and for each row it could not read. Raises GraphError."""
    rows = _rows(Graph(connection), connection, since=since, posts_since=posts_since)
    return intake.apply_rows(connection, rows, now=now, progress=progress)


def reconcile_connection(connection: Connection, *, now: datetime) -> Tally | None:
    """Poll one connection for what arrived since it was last polled. None when the platform refused
    or could not be reached (the error is kept on the connection; a token error needs attention)."""
    since = (connection.polled_until or now - BACKFILL) - OVERLAP
    try:
        tally = pull(connection, since=since, posts_since=min(since, now - RECENT_POSTS), now=now)
    except (GraphError, http.CallError) as exc:
        Connection.objects.filter(pk=connection.pk).update(last_error=exc.reason[:2000], last_error_at=now)
        return None
    # Bookkeeping, not health: not in the history (an update, not a save).
    Connection.objects.filter(pk=connection.pk).update(polled_until=now)
    health.mark_success(connection, now=now)
    return tally


def reconcile_due(*, now: datetime, batch: int = 20) -> int:
    """Poll every live connection with a token whose poll is due, each at most hourly. Rows are
    claimed (their next poll moved an hour on) before the slow calls, so two runs at once poll each
    connection once."""
    with transaction.atomic():
        due = list(
            Connection.objects.select_for_update(skip_locked=True)
            .filter(
                Q(next_poll_at__lte=now) | Q(next_poll_at__isnull=True),
                disconnected_at__isnull=True,
                platform__in=META_PLATFORMS,
            )
            .exclude(token_encrypted="")
            .order_by("next_poll_at", "pk")[:batch]
        )
        Connection.objects.filter(pk__in=[c.pk for c in due]).update(next_poll_at=now + POLL_EVERY)
    for connection in due:
        try:
            reconcile_connection(connection, now=now)
        except Exception:  # one connection's surprise must not leave the others unpolled
            logger.exception("Polling connection %s failed", connection.pk)
    return len(due)


# --- The backfill -------------------------------------------------------------------------------------


@transaction.atomic
def start_backfill(connection: Connection, *, now: datetime) -> Connection:
    """Start reading the last 14 days of a connected account (in a worker, after the commit). A
    backfill already running is left to finish."""
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    if locked.backfill_state == "running" or not locked.is_live:
        return locked
    locked.backfill_state = "running"
    locked.backfill_progress = {
        "posts": 0,
        "comments": 0,
        "messages": 0,
        "created": 0,
        "errors": 0,
        "through": None,
        "since": (now - BACKFILL).isoformat(),
        "started_at": now.isoformat(),
    }
    record(locked, by=None, reason="backfill started")
    locked.save(update_fields=["backfill_state", "backfill_progress"])
    from connectors.tasks import backfill_connection  # the task module imports this one

    backfill_connection.delay_on_commit(locked.pk)
    return locked


def run_backfill(connection_id: int, *, now: datetime) -> str:
    """Read the last 14 days, keeping the progress on the connection as it goes."""
    connection = Connection.objects.select_related("account").get(pk=connection_id)
    if connection.backfill_state != "running":
        return connection.backfill_state
    base = dict(connection.backfill_progress)

    def progress(tally: Tally) -> None:
        Connection.objects.filter(pk=connection_id).update(backfill_progress={**base, **tally.as_progress()})

    since = now - BACKFILL
    try:
        tally = pull(connection, since=since, posts_since=since, now=now, progress=progress)
    except (GraphError, http.CallError) as exc:
        _finish_backfill(connection_id, "failed", {**base, "error": exc.reason})
        return "failed"
    _finish_backfill(connection_id, "done", {**base, **tally.as_progress(), "finished_at": now.isoformat()})
    Connection.objects.filter(pk=connection_id, polled_until__isnull=True).update(polled_until=now)
    health.mark_success(connection, now=now)
    return "done"


@transaction.atomic
def _finish_backfill(connection_id: int, state: str, progress: dict) -> None:
    locked = Connection.objects.select_for_update().get(pk=connection_id)
    locked.backfill_state, locked.backfill_progress = state, progress
    record(locked, by=None, reason=f"backfill {state}")
    locked.save(update_fields=["backfill_state", "backfill_progress"])

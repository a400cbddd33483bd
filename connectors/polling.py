"""The poll of the platforms that push nothing to a self-hosted service: YouTube, LinkedIn, TikTok,
Bluesky and Mastodon (KAU-RESP-DAILY: what is written to the account comes into Kanalvakt by itself).

A claimed sweep (CONTRIBUTING: Celery), run by beat every minute: the live connections of the polled
platforms whose poll is due are claimed in one statement (``SELECT … FOR UPDATE SKIP LOCKED``, their
next poll moved on by the platform's interval in the same transaction), so two runs at once poll each
connection once. Each is then polled by its platform's module (connectors.adapters) from its stored
cursor, what it read is applied through connectors.intake (idempotent on the platform id), and the
new cursor is stored with one UPDATE. A poll that finds nothing new costs that UPDATE and nothing else.

Failures back off: a rate limit, a 5xx or an unreachable platform doubles the wait (from the
platform's interval up to ``BACKOFF_MAX``, or the platform's own ``Retry-After`` when longer), and
after ``FAILING_AFTER`` failures in a row the connection needs attention (the platform keeps
failing). A token or permission error turns the connection to "needs attention" at once, and the
poll waits ``BACKOFF_MAX`` before trying again. The cursor moves only when the rows were applied.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connectors import health, http, intake
from connectors.adapters import Adapter, adapter_for, polled_platforms
from connectors.errors import PlatformError
from connectors.models import Connection

logger = logging.getLogger(__name__)

BATCH = 50  # connections claimed at a time
BACKOFF_MAX = timedelta(hours=1)
FAILING_AFTER = 5  # failures in a row before the connection needs attention
TIME_BUDGET_S = 240.0  # below the task's soft time limit: the next run goes on


def poll_due(*, now: datetime, batch: int = BATCH, budget_s: float = TIME_BUDGET_S) -> int:
    """Poll every live connection of a polled platform whose poll is due, batch by batch, until none
    is left or the time budget is spent. Returns the number polled."""
    platforms = polled_platforms()
    if not platforms:
        return 0
    started = time.monotonic()
    polled = 0
    while time.monotonic() - started < budget_s:
        claimed = _claim(platforms, now=now, batch=batch)
        if not claimed:
            break
        for connection in claimed:
            try:
                poll_connection(connection, now=now)
            except Exception:  # one connection's surprise must not leave the others unpolled
                logger.exception("Polling connection %s failed", connection.pk)
        polled += len(claimed)
        if len(claimed) < batch:
            break
    return polled


def _claim(platforms: list[str], *, now: datetime, batch: int) -> list[Connection]:
    """Due connections, their next poll moved on by their platform's interval (one UPDATE per
    platform in the batch), in one transaction."""
    with transaction.atomic():
        due = list(
            Connection.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(next_poll_at__lte=now) | Q(next_poll_at__isnull=True),
                disconnected_at__isnull=True,
                platform__in=platforms,
            )
            .exclude(token_encrypted="")
            .select_related("account")
            .order_by(F("next_poll_at").asc(nulls_first=True), "pk")[:batch]
        )
        by_platform: dict[str, list[int]] = {}
        for connection in due:
            by_platform.setdefault(connection.platform, []).append(connection.pk)
        for platform, ids in by_platform.items():
            adapter = adapter_for(platform)
            interval = adapter.interval() if adapter else BACKOFF_MAX
            Connection.objects.filter(pk__in=ids).update(next_poll_at=now + interval)
    return due


def poll_connection(connection: Connection, *, now: datetime) -> intake.Tally | None:
    """Poll one connection from its stored cursor and apply what is new. None when the platform
    refused or failed (kept on the connection, with the backoff)."""
    adapter = adapter_for(connection.platform)
    if adapter is None or not connection.is_live:
        return None
    try:
        result = adapter.poll(connection, cursor=dict(connection.cursor or {}), now=now)
    except (PlatformError, http.CallError) as exc:
        _failed(connection, adapter, exc, now=now)
        return None
    tally = intake.apply_rows(connection, result.rows, now=now) if result.rows else intake.Tally()
    changes: dict[str, object] = {"cursor": result.cursor, "polled_until": now, "last_success_at": now}
    if connection.poll_failures:
        changes["poll_failures"] = 0
    if result.session is not None:
        connection.session = result.session
        changes["session_encrypted"] = connection.session_encrypted
    if tally.created or tally.seen:
        changes["last_event_at"] = now
    # Bookkeeping, not health: not in the history (an update, not a save). The one statement a poll
    # that found nothing costs.
    Connection.objects.filter(pk=connection.pk).update(**changes)
    for name, value in changes.items():
        setattr(connection, name, value)
    if connection.health != Connection.Health.ACTIVE:
        health.mark_success(connection, now=now)
    return tally


def _failed(
    connection: Connection, adapter: Adapter, exc: PlatformError | http.CallError, *, now: datetime
) -> None:
    failures = connection.poll_failures + 1
    interval = adapter.interval()
    if isinstance(exc, PlatformError) and exc.cause:
        wait = BACKOFF_MAX  # a token or permission: nothing changes until a person acts
    else:
        wait = min(interval * (2 ** min(failures, 10)), BACKOFF_MAX)
        wished = getattr(exc, "retry_after", None)
        if wished:
            wait = max(wait, min(timedelta(seconds=wished), BACKOFF_MAX))
    Connection.objects.filter(pk=connection.pk).update(
        poll_failures=failures,
        next_poll_at=now + wait,
        last_error=exc.reason[:2000],
        last_error_at=now,
    )
    connection.poll_failures, connection.last_error, connection.last_error_at = (
        failures,
        exc.reason[:2000],
        now,
    )
    logger.info("Poll of connection %s failed (%s in a row): %s", connection.pk, failures, exc.reason)
    if failures >= FAILING_AFTER and connection.health == Connection.Health.ACTIVE:
        health.mark_attention(connection, cause=Connection.Cause.FAILING, reason=exc.reason, now=now)


def poll_now(connection: Connection) -> None:
    """Poll a newly connected account at once (after the commit): its first poll reads the last
    BACKFILL days (connectors.adapters)."""
    from connectors.tasks import poll_connection as task  # the task module imports this one

    adapter = adapter_for(connection.platform)
    if adapter is None:
        return
    # The sweep leaves it to the task for one interval; should the task's message be lost, the sweep
    # polls it then.
    Connection.objects.filter(pk=connection.pk).update(next_poll_at=timezone.now() + adapter.interval())
    task.delay_on_commit(connection.pk)


def poll_one(connection_id: int, *, now: datetime) -> str:
    """The task's work: poll one live connection now (a newly connected account, "poll now")."""
    connection = Connection.objects.select_related("account").filter(pk=connection_id).first()
    if connection is None or not connection.is_live or not connection.has_token:
        return "not live"
    return "polled" if poll_connection(connection, now=now) is not None else "failed"

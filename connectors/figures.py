"""The platforms' own numbers, read once a day (KAU-FOLLOWUP: "followers, activity, reactions,
comments and traffic", recorded on a schedule so that a follow-up opens pre-filled with the period's
figures and the account page's chart has real history).

``record_figures`` is the daily job (connectors.tasks.record_figures, beat at dawn): every live
connection with a token and in good health whose account has no reading for the day yet is asked for
its counts, batch by batch, and what it gives is kept through ``accounts.figures.record_reading``:

- Facebook: ``GET /{page-id}?fields=followers_count,fan_count`` (followers; ``fan_count``, the page's
  likes, when the page gives no followers), Instagram: ``GET /{ig-user-id}?fields=followers_count,
  media_count`` (followers and the posts in all), through the Graph client (connectors.meta.graph:
  the configured base only, capped retries, a token error turns the connection to "needs
  attention"). Meta's reference: https://developers.facebook.com/docs/graph-api/reference/page/ and
  https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/.
- The polled platforms (YouTube, LinkedIn, TikTok, Bluesky, Mastodon): their module's
  ``Adapter.figures`` (connectors.adapters, FIGURE_KEYS).

A connection that fails is logged and skipped, never stopping the others; an error about the
connection itself (a token, a permission) turns it to "needs attention", as every client does. Safe to
run twice: a second run the same day finds every account read and calls nobody (the reading's unique
day is the backstop), and two runs at once are one (a PostgreSQL advisory lock, the second returns).

``counted_figures`` is the follow-up form's provider (accounts.figures) of the figures the platforms
give no running total for: the posts the account published and the comments that came in during the
period, counted from what Kanalvakt keeps, where a live connection has been bringing them in since
the period began.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection as db
from django.db.models import Exists, OuterRef

from accounts.figures import is_count, record_reading
from accounts.models import Account, FigureReading
from connectors import health, http
from connectors.adapters import BACKFILL, FIGURE_KEYS, adapter_for, polled_platforms
from connectors.errors import PlatformError
from connectors.meta.graph import Graph
from connectors.meta.parse import ID_PATTERN
from connectors.models import META_PLATFORMS, Connection, Platform
from core.calendar import STOCKHOLM, local_today
from moderation.models import Item, Publication

logger = logging.getLogger(__name__)

META_FIELDS: dict[str, str] = {
    Platform.FACEBOOK: "followers_count,fan_count",
    Platform.INSTAGRAM: "followers_count,media_count",
}
BATCH = 100  # connections read at a time
TIME_BUDGET_S = 1500.0  # below the task's soft time limit; what is left is read on the next run
# pg_try_advisory_lock takes a bigint; this one is the daily figures' alone ("kvfigure" in ASCII).
LOCK_KEY = int.from_bytes(b"kvfigure", "big") & 0x7FFF_FFFF_FFFF_FFFF


# --- The daily job -----------------------------------------------------------------------------------


def record_figures(*, now: datetime, batch: int = BATCH, budget_s: float = TIME_BUDGET_S) -> int:
    """Read and keep the day's counts of every connection that can give them and has not yet today
    (KAU-FOLLOWUP). Returns the number of readings kept."""
    with _single_run() as alone:
        if not alone:
            logger.info("The daily figures are already being read; this run leaves it to that one.")
            return 0
        return _record_all(now=now, batch=batch, budget_s=budget_s)


def _record_all(*, now: datetime, batch: int, budget_s: float) -> int:
    today = local_today(now)
    platforms = sorted(META_FIELDS) + polled_platforms()
    if not platforms:
        return 0
    due = (
        Connection.objects.filter(
            disconnected_at__isnull=True, health=Connection.Health.ACTIVE, platform__in=platforms
        )
        .exclude(token_encrypted="")
        .exclude(account__status=Account.Status.CLOSED)
        .exclude(Exists(FigureReading.objects.filter(account=OuterRef("account"), taken_on=today)))
        .select_related("account")
        .order_by("pk")
    )
    started = time.monotonic()
    kept, after = 0, 0
    while True:
        connections = list(due.filter(pk__gt=after)[:batch])
        for connection in connections:
            if time.monotonic() - started > budget_s:
                logger.warning("The daily figures ran out of time at connection %s.", connection.pk)
                return kept
            kept += record_one(connection, today=today, now=now)
        if len(connections) < batch:
            return kept
        after = connections[-1].pk


def record_one(connection: Connection, *, today: date, now: datetime) -> int:
    """Read one connection's counts and keep them as the account's reading of ``today``: 1 when a
    reading was kept, 0 when the platform gave nothing, refused or failed (logged, never raised)."""
    try:
        counts = read_counts(connection)
        if not counts:
            return 0
        _reading, created = record_reading(
            connection.account, on=today, counts=counts, source=connection.platform, now=now
        )
        return int(created)
    except PlatformError as exc:
        # The clients turn the connection to "needs attention" themselves; a module that raised without
        # one is treated the same (once per cause: connectors.health).
        if exc.cause and connection.health == Connection.Health.ACTIVE:
            health.mark_attention(connection, cause=exc.cause, reason=exc.reason, now=now)
        logger.info("The figures of connection %s were not read: %s", connection.pk, exc.reason)
    except http.CallError as exc:
        logger.info("The figures of connection %s were not read: %s", connection.pk, exc)
    except ValidationError as exc:
        logger.warning("The figures of connection %s were refused: %s", connection.pk, exc.messages)
    except Exception:  # one connection's surprise must not leave the others unread
        logger.exception("Reading the figures of connection %s failed", connection.pk)
    return 0


def read_counts(connection: Connection) -> dict[str, int]:
    """What the platform gives now of the account's counts, by FIGURE_KEYS; {} when nothing. Raises a
    connectors.errors type."""
    if connection.platform in META_PLATFORMS:
        return _meta_counts(connection)
    adapter = adapter_for(connection.platform)
    if adapter is None:
        return {}
    given = adapter.figures(connection)
    if not isinstance(given, dict):
        logger.warning(
            "The %s module gave its figures as %s, not a mapping.", connection.platform, type(given)
        )
        return {}
    return dict(given)


def _meta_counts(connection: Connection) -> dict[str, int]:
    fields = META_FIELDS.get(connection.platform)
    external_id = connection.external_id
    if fields is None or not ID_PATTERN.fullmatch(external_id) or ".." in external_id:
        return {}
    answer = Graph(connection).get(f"/{external_id}", {"fields": fields})
    counts: dict[str, int] = {}
    followers = _count(answer.get("followers_count"))
    if followers is None and connection.platform == Platform.FACEBOOK:
        followers = _count(answer.get("fan_count"))  # a page that shows likes rather than followers
    if followers is not None:
        counts["followers"] = followers
    media = _count(answer.get("media_count"))
    if connection.platform == Platform.INSTAGRAM and media is not None:
        counts["posts_total"] = media
    assert set(counts) <= set(FIGURE_KEYS)
    return counts


def _count(value: object) -> int | None:
    """A count the platform gave, or None for anything else (a text, a negative, a bool, too large)."""
    return value if isinstance(value, int) and is_count(value) else None


@contextmanager
def _single_run() -> Iterator[bool]:
    """One run at a time (PostgreSQL): True when this run holds the lock. The lock is the session's,
    released at the end, or by PostgreSQL when a dead worker's connection closes."""
    if db.vendor != "postgresql":
        yield True
        return
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        (alone,) = cursor.fetchone() or (False,)
    try:
        yield bool(alone)
    finally:
        if alone:
            with db.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


# --- Kanalvakt's own counts for the follow-up form -----------------------------------------------------


def counted_figures(account: Any, start: date, end: date) -> dict[str, int]:
    """Posts published and comments received in ``start``–``end`` (Stockholm days), counted from the
    account's publications and items, where a live connection has brought them in since before the
    period began (its first read goes back BACKFILL); {} otherwise, since a count of what nobody
    brought in would be a wrong figure, not a small one (KAU-FOLLOWUP)."""
    since = datetime.combine(start, datetime.min.time(), tzinfo=STOCKHOLM)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=STOCKHOLM)
    connected = Connection.objects.filter(
        account=account, disconnected_at__isnull=True, connected_at__lte=since + BACKFILL
    ).exists()
    if not connected:
        return {}
    posts = Publication.objects.filter(
        account=account, kind=Publication.Kind.POST, published_at__gte=since, published_at__lt=until
    ).count()
    comments = Item.objects.filter(
        account=account, kind=Item.Kind.COMMENT, received_at__gte=since, received_at__lt=until
    ).count()
    return {"posts": posts, "comments": comments}

"""Calls to the YouTube Data API v3 for one channel, its errors, and the daily quota budget.

Auth (https://developers.google.com/youtube/v3/guides/authentication): reads carry the installation's
API key (``key=YOUTUBE_API_KEY``) when one is set, else the channel's OAuth access token; writes
(answers, hidings) always carry the channel's access token (``Authorization: Bearer``, scope
``youtube.force-ssl``), pasted or made from its refresh token (connectors.youtube.auth).

Errors (https://developers.google.com/youtube/v3/docs/errors) come as
``{"error": {"code", "message", "errors": [{"reason", "domain", "message"}]}}``. A spent quota or a
rate limit is a 403 with a reason, not a 429: it is ``Unavailable`` (the poll backs off), never a
missing permission.

The quota (https://developers.google.com/youtube/v3/getting-started#quota): the project has
YOUTUBE_DAILY_QUOTA units a day (10,000 by default), reset at midnight Pacific time. Every list call
costs 1 unit, an answer (``comments.insert``) or a hiding (``comments.setModerationStatus``) 50.
Kanalvakt keeps 20 % for answers and hidings and spreads the rest evenly over the live YouTube
connections with a token: each channel's poll spends at most its share a day, counted in the
connection's cursor under ``quota`` as ``{"day": <the Pacific date>, "spent": <units>}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors.errors import (
    MissingPermission,
    PageUnreachable,
    PlatformError,
    Refused,
    TokenError,
    Unavailable,
)
from connectors.meta.parse import storable
from connectors.models import Connection, Outgoing, Platform
from connectors.rest import Client, classify_http
from connectors.youtube.auth import Access

PACIFIC = ZoneInfo("America/Los_Angeles")  # where YouTube's quota day begins and ends
READ_SHARE = 0.8  # of the daily quota for the polls; the rest is kept for answers and hidings
UNITS_PER_POLL = 2  # what a poll costs on average: the threads, now and then a thread's replies
LIST_COST = 1
WRITE_COST = 50

CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
# A top-level comment's id, or a reply's (the top-level id, a dot, the reply's own part).
COMMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}(\.[A-Za-z0-9_-]{1,100})?")
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")

REASON = re.compile(r"[A-Za-z]{1,60}")  # YouTube's reasons are words (quotaExceeded)
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
REFUSED_403 = frozenset({"commentsDisabled"})
GONE_404 = frozenset({"channelNotFound"})
# While the token is in question the poll reads with it, so that only a working token ends the
# attention (a successful poll makes the connection healthy again, connectors.polling).
TOKEN_CAUSES = frozenset({Connection.Cause.TOKEN_EXPIRED, Connection.Cause.PERMISSION})


# --- Calls ---------------------------------------------------------------------------------------------


class Channel(Client):
    """Calls as the channel: its access token (connectors.youtube.auth) as ``Authorization: Bearer``,
    renewed before it expires and once more after a 401. An error about the connection turns it to
    needs attention only once that second try failed too (connectors.rest would at the first)."""

    def __init__(self, access: Access, connection: Connection | None = None) -> None:
        super().__init__(settings.YOUTUBE_API_URL, classify=classify)
        self.access = access
        self.channel = connection

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, Any] | None = None,
        write: bool,
    ) -> Any:
        def send() -> Any:
            return super(Channel, self).request(
                method, path, params=params, json_body=json_body, form=form, write=write
            )

        try:
            self.headers["Authorization"] = f"Bearer {self.access.token()}"
            try:
                return send()
            except TokenError:
                if not self.access.retry_after_401():
                    raise
            # Refused before its time (revoked, or a clock out of step): nothing was done, so the
            # same request goes once more with a new access token.
            self.headers["Authorization"] = f"Bearer {self.access.renew()}"
            return send()
        except PlatformError as exc:
            if exc.cause and self.channel is not None and self.channel.pk:
                from connectors import health  # health reads the models only

                health.mark_attention(self.channel, cause=exc.cause, reason=exc.reason, now=timezone.now())
            raise


def reader(connection: Connection, access: Access) -> tuple[Client, dict[str, str]]:
    """A client for reading, and the parameters every read carries: the installation's API key when
    one is set (and the token is not in question), else the channel's access token."""
    if reads_with_key(connection):
        key = settings.YOUTUBE_API_KEY
        return Client(settings.YOUTUBE_API_URL, classify=classify, connection=connection), {"key": key}
    return Channel(access, connection), {}


def reads_with_key(connection: Connection) -> bool:
    """Whether reads carry the API key: one is set, and the token is not in question."""
    in_question = connection.health == Connection.Health.ATTENTION and connection.cause in TOKEN_CAUSES
    return bool(settings.YOUTUBE_API_KEY) and not in_question


def _error(body: Any) -> tuple[str, list[str]]:
    """YouTube's message (without its HTML links) and the reasons of its error body."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", []
    message = error.get("message")
    text = (
        re.sub(r"\s+", " ", re.sub(r"<[^>]{0,500}>", "", str(storable(message)))).strip()[:300]
        if isinstance(message, str)
        else ""
    )
    details = error.get("errors")
    reasons = [
        detail["reason"]
        for detail in (details if isinstance(details, list) else [])[:10]
        if isinstance(detail, dict)
        and isinstance(detail.get("reason"), str)
        and REASON.fullmatch(detail["reason"])
    ]
    return text, reasons


def classify(status: int, body: Any, headers: Any) -> PlatformError:
    """The typed error of a YouTube answer (connectors.rest calls this for every non-2xx)."""
    message, reasons = _error(body)
    found = set(reasons)
    detail = f"{message} ({', '.join(reasons)})" if message and reasons else message
    reason = f"{detail} (HTTP {status})" if detail else ""
    code = reasons[0] if reasons else None
    if status == 403 and found & (QUOTA_REASONS | RATE_REASONS):
        # Marked 429, connectors.rest's sign of a rate limit, so that it is not tried again at once.
        wait = seconds_to_reset(timezone.now()) if found & QUOTA_REASONS else None
        return Unavailable(
            _("YouTube's quota or rate limit was reached: %(reason)s") % {"reason": reason or status},
            code=code,
            status=429,
            retry_after=wait,
        )
    if status == 401:
        return TokenError(reason or _("YouTube did not accept the access token."), code=code, status=status)
    if status == 403 and found & REFUSED_403:
        return Refused(reason, code=code, status=status)
    if status == 403:
        return MissingPermission(
            reason or _("YouTube refused: the token lacks a permission."), code=code, status=status
        )
    if status == 404 and found & GONE_404:
        return PageUnreachable(reason, code=code, status=status)
    if status in (400, 404, 409):
        return Refused(
            reason or _("YouTube refused the request (HTTP %(status)s).") % {"status": status},
            code=code,
            status=status,
        )
    return classify_http(status, body, headers, message=detail)


# --- The quota -----------------------------------------------------------------------------------------


def quota_day(now: datetime) -> str:
    """The Pacific date whose quota ``now`` spends (YouTube resets the quota at midnight Pacific)."""
    return now.astimezone(PACIFIC).date().isoformat()


def next_reset(now: datetime) -> datetime:
    """The next midnight in Pacific time (an aware instant)."""
    tomorrow = now.astimezone(PACIFIC).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=PACIFIC)


def seconds_to_reset(now: datetime) -> float:
    return max(60.0, (next_reset(now) - now).total_seconds())


def live_channels() -> int:
    """The live YouTube connections with a token: they share the polls' part of the quota."""
    return (
        Connection.objects.filter(platform=Platform.YOUTUBE, disconnected_at__isnull=True)
        .exclude(token_encrypted="")
        .count()
    )


def channel_share(channels: int | None = None) -> int:
    """A channel's units a day for its polls: 80 % of the project's quota over the live channels."""
    count = live_channels() if channels is None else channels
    return max(1, int(settings.YOUTUBE_DAILY_QUOTA * READ_SHARE) // max(1, count))


def poll_seconds(share: int) -> int:
    """The seconds between polls that spread ``share`` over the day at UNITS_PER_POLL a poll."""
    polls = max(1, share // UNITS_PER_POLL)
    return min(24 * 3600, -(-24 * 3600 // polls))


def spent_today(cursor: dict[str, Any], now: datetime) -> int:
    """The units this channel's polls spent today, from the cursor (0 on a new Pacific day)."""
    kept = cursor.get("quota")
    if not isinstance(kept, dict) or kept.get("day") != quota_day(now):
        return 0
    spent = kept.get("spent")
    return spent if isinstance(spent, int) and not isinstance(spent, bool) and spent >= 0 else 0


def with_spent(cursor: dict[str, Any], *, now: datetime, spent: int) -> dict[str, Any]:
    return {**cursor, "quota": {"day": quota_day(now), "spent": spent}}


@dataclass(frozen=True)
class Quota:
    """What the connection page shows of the quota (templates/connectors/status/youtube.html)."""

    spent: int  # by this channel's polls today
    share: int  # this channel's units a day for its polls
    channels: int
    quota: int  # the project's units a day
    reserve: int  # kept for answers and hidings, shared by every channel
    writes: int  # this channel's answers and hidings done today
    reset_at: datetime
    with_key: bool

    @property
    def left(self) -> int:
        return max(0, self.share - self.spent)

    @property
    def write_units(self) -> int:
        return self.writes * WRITE_COST


def quota_of(connection: Connection, *, now: datetime) -> Quota:
    """The quota as it stands for ``connection`` (three queries)."""
    channels = live_channels()
    day_start = datetime.combine(now.astimezone(PACIFIC).date(), time(0), tzinfo=PACIFIC)
    writes = Outgoing.objects.filter(
        connection=connection,
        status=Outgoing.Status.DONE,
        action__in=[Outgoing.Action.REPLY, Outgoing.Action.HIDE],
        finished_at__gte=day_start,
    ).count()
    quota = int(settings.YOUTUBE_DAILY_QUOTA)
    return Quota(
        spent=spent_today(dict(connection.cursor or {}), now),
        share=channel_share(channels),
        channels=max(1, channels),
        quota=quota,
        reserve=quota - int(quota * READ_SHARE),
        writes=writes,
        reset_at=next_reset(now),
        with_key=reads_with_key(connection),
    )

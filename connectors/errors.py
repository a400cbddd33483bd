"""What a platform's refusal means, in one vocabulary for every platform.

Each platform module turns its own error shapes into these; the callers (the poll, the sender, the
connection page) only ever see these. Those about the connection itself carry a ``cause``
(a Connection.Cause) and turn the connection to "needs attention" (connectors.health, KAU-RESP-DAILY:
items may be going unseen).
"""

from __future__ import annotations

from connectors.models import Connection


class PlatformError(Exception):
    """The platform refused or could not be reached. ``reason`` is the platform's message in plain
    words; ``retry_after`` (seconds) is the platform's own wish, when it said one."""

    cause = ""  # a Connection.Cause when the error is about the connection itself

    def __init__(
        self,
        reason: str,
        *,
        code: int | str | None = None,
        subcode: int | None = None,
        status: int = 0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.subcode = subcode
        self.status = status
        self.retry_after = retry_after


class TokenError(PlatformError):
    """The token expired, was revoked, or is not one."""

    cause = Connection.Cause.TOKEN_EXPIRED


class MissingPermission(PlatformError):
    """The token lacks a permission (a scope, an admin role, an access tier)."""

    cause = Connection.Cause.PERMISSION


class PageUnreachable(PlatformError):
    """The account itself is gone, unpublished or cannot be read."""

    cause = Connection.Cause.UNPUBLISHED


class Refused(PlatformError):
    """The platform refused this one request (the object is gone, the reply window has closed, …)."""


class Unavailable(PlatformError):
    """Rate-limited, out of quota, failing (5xx) or unreachable after every attempt; nothing was done.
    The poll backs off (connectors.polling)."""

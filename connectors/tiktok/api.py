"""Calls to TikTok API for Business with a business account's token, and what its answers mean.

Every call goes to ``settings.TIKTOK_API_URL`` through connectors.rest (connectors.http underneath:
the configured base only, capped retries of a 5xx or a request that never left). The token travels in
the ``Access-Token`` header, bare (no "Bearer").

TikTok answers every request with one envelope, ``{"code": 0, "message": "OK", "request_id": "…",
"data": {…}}``, and with HTTP 200 also when it refuses: a non-zero ``code`` is the error. The codes
Kanalvakt reads (TikTok's return codes, as the Business Messaging and Accounts API pages list them):

- 40001: no permission (the app lacks the scope, or the account did not grant it) → MissingPermission;
- 40002 (a parameter), 40007 (the object does not exist) and any other 4xxxx → Refused;
- 40100: too many requests (the app's QPS limit) → Unavailable, the poll backs off;
- 40101–40105: the access token is missing, invalid, expired or revoked (40105 "Access token is
  incorrect or has been revoked", 40104 "Access token is null") → TokenError;
- 5xxxx (50000 internal error, 50001 and the 51xxx internal time-outs) → Unavailable.

The documentation names 40100 both "rate limit" and (in older Marketing API tables) an authentication
failure; Kanalvakt follows the Accounts and Business Messaging pages (rate limit), so a 40100 backs off
and, if it keeps coming, the connection needs attention after five failures (connectors.polling). An
HTTP error (429, 5xx) is read as every REST platform's (connectors.rest.classify_http), with TikTok's
own code where the body carries one. A body that is not the envelope is treated as a failure to try
again later, never as an empty success.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import rest
from connectors.errors import (
    MissingPermission,
    PlatformError,
    Refused,
    TokenError,
    Unavailable,
)
from connectors.models import Connection

if TYPE_CHECKING:
    from connectors.tiktok.auth import Access

RATE_LIMIT_CODES = frozenset({40100})
TOKEN_CODES = frozenset(range(40101, 40106))
PERMISSION_CODES = frozenset({40001})
MAX_MESSAGE = 500
OPEN_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")  # a business id (the account's open_id)


def code_of(body: Any) -> int | None:
    code = body.get("code") if isinstance(body, dict) else None
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isdigit() and len(code) < 10:
        return int(code)
    return None


def message_of(body: Any) -> str:
    message = body.get("message") if isinstance(body, dict) else None
    return message.strip()[:MAX_MESSAGE] if isinstance(message, str) else ""


def error_for(code: int, message: str, *, status: int = 200) -> PlatformError:
    """The typed error for TikTok's non-zero ``code`` (module docstring)."""
    reason = _("%(message)s (TikTok's code %(code)s)") % {
        "message": message or _("The platform gave no reason."),
        "code": code,
    }
    kwargs: dict[str, Any] = {"code": code, "status": status}
    if code in RATE_LIMIT_CODES:
        return Unavailable(
            _("The platform's rate limit was reached: %(reason)s") % {"reason": reason}, **kwargs
        )
    if code in TOKEN_CODES:
        return TokenError(reason, **kwargs)
    if code in PERMISSION_CODES:
        return MissingPermission(reason, **kwargs)
    if 50000 <= code < 60000:
        return Unavailable(reason, **kwargs)
    return Refused(reason, **kwargs)


def classify(status: int, body: Any, headers: Mapping[str, str]) -> PlatformError:
    """An HTTP answer that is not a 2xx: a 429 or 5xx is a rate limit or a failure whatever the body
    says; otherwise TikTok's own code, when the body carries the envelope."""
    code = code_of(body)
    if status == 429 or status >= 500 or code is None or code == 0:
        return rest.classify_http(status, body, headers, message=message_of(body))
    error = error_for(code, message_of(body), status=status)
    error.retry_after = rest.retry_after(headers)
    return error


class Api:
    """Calls for one token: a pasted access token, or an ``Access`` (connectors.tiktok.auth) that makes
    them from the refresh token, renewed before they expire and once more when TikTok refuses one.
    ``connection`` (when there is one) turns to "needs attention" on an error about itself, once that
    second try failed too (connectors.health, KAU-RESP-DAILY: comments may be going unseen)."""

    def __init__(self, token: str | Access, *, connection: Connection | None = None) -> None:
        if isinstance(token, str) and not token:
            raise TokenError(_("The connection has no access token."))
        self.access = None if isinstance(token, str) else token
        self.connection = connection
        self.client = rest.Client(
            settings.TIKTOK_API_URL,
            classify=classify,
            headers={"Access-Token": token} if isinstance(token, str) else {},
        )  # errors about the connection are told here (_send), after the second try

    def get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The ``data`` of a read (an empty dict when the envelope has none)."""
        return _data(self._send(lambda: self.client.get(path, params)))

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """The whole envelope of a write, once its ``code`` said it was done."""
        return self._send(lambda: self.client.post(path, json_body=dict(body)))

    def _send(self, call: Callable[[], Any]) -> dict[str, Any]:
        try:
            if self.access is None:
                return self._checked(call())
            self.client.headers["Access-Token"] = self.access.token()
            try:
                return self._checked(call())
            except TokenError:
                if not self.access.retry_after_refusal():
                    raise
            # Refused before its time (revoked, or a clock out of step): nothing was done, so the same
            # request goes once more with a new access token.
            self.client.headers["Access-Token"] = self.access.renew()
            return self._checked(call())
        except PlatformError as error:
            if error.cause and self.connection is not None and self.connection.pk:
                from connectors import health  # health reads the models only

                health.mark_attention(
                    self.connection, cause=error.cause, reason=error.reason, now=timezone.now()
                )
            raise

    def _checked(self, body: Any) -> dict[str, Any]:
        code = code_of(body)
        if not isinstance(body, dict) or code is None:
            raise Unavailable(_("The platform answered with something Kanalvakt could not read."))
        if code == 0:
            return body
        raise error_for(code, message_of(body))


def _data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data")
    return data if isinstance(data, dict) else {}

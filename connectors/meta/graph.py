"""Meta's Graph API, the one way Kanalvakt talks to Facebook and Instagram.

Every call goes to ``settings.META_GRAPH_URL`` through ``connectors.http.call`` (so never to an
address taken from an item), with the connection's page token and, when the app secret is set, its
``appsecret_proof`` (HMAC-SHA256 of the token under the app secret, which Meta then requires).

Retries are short and capped: a rate limit (Meta's codes 4, 17, 32, 613), a 5xx or a request that
never left (``NotSent``) is tried again after a short backoff, at most ``ATTEMPTS`` times; nothing in
the platform's answer can make Kanalvakt wait longer. A write whose outcome is unknown (sent, no
answer: ``OutcomeUnknown``) is never retried: the caller records it as unknown and offers a check.

The platform's refusals become typed errors with Meta's message in plain words. Those that are about
the connection itself (the token expired, a permission is missing, the page is unpublished) also turn
the connection to "needs attention" (connectors.health, KAU-RESP-DAILY: items may be going unseen).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import http
from connectors.errors import (
    MissingPermission,
    PageUnreachable,
    PlatformError,
    Refused,
    TokenError,
    Unavailable,
)
from connectors.models import Connection

ATTEMPTS = 3
BACKOFF_CAP = 8.0  # seconds: the longest single wait between two attempts
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
TOKEN_CODES = frozenset({190, 102})
# Outside the messaging window: a refusal of this one message, not a missing permission.
WINDOW_SUBCODES = frozenset({2018278, 2534022})
MAX_PAGES = 200  # a cap on paging, whatever the platform's "next" links say


# Meta's names for the shared vocabulary (connectors.errors): every platform's refusals are one family.
GraphError = PlatformError


def appsecret_proof(token: str, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def _delay(attempt: int) -> float:
    base = float(settings.META_GRAPH_RETRY_DELAY)
    return min(base * (2**attempt), BACKOFF_CAP)


class Graph:
    """Calls for one connection, with its token. ``now`` is taken when a health change is recorded."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.base_url = str(settings.META_GRAPH_URL).rstrip("/")
        self.timeout = float(settings.META_GRAPH_TIMEOUT)

    # --- the calls -----------------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._request("GET", path, params=dict(params or {}), write=False)

    def post(
        self, path: str, form: Mapping[str, Any] | None = None, *, json_body: Any = None
    ) -> dict[str, Any]:
        return self._request("POST", path, form=dict(form or {}), json_body=json_body, write=True)

    def delete(self, path: str) -> dict[str, Any]:
        return self._request("DELETE", path, write=True)

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Each page's ``data`` of a list, following ``paging.next`` only while it points under the
        configured base (never to an address the platform's answer names elsewhere)."""
        answer = self.get(path, params)
        for _page in range(MAX_PAGES):
            data = answer.get("data")
            yield [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []
            following = next_link(self.base_url, answer)
            if following is None:
                return
            answer = self._request("GET", following, write=False, signed_link=True)

    # --- the machinery -------------------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        token = self.connection.token
        if not token:
            raise TokenError(_("The connection has no access token."))
        auth = {"access_token": token}
        secret = str(getattr(settings, "META_APP_SECRET", "") or "")
        if secret:
            auth["appsecret_proof"] = appsecret_proof(token, secret)
        return auth

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        form: dict[str, Any] | None = None,
        json_body: Any = None,
        write: bool,
        signed_link: bool = False,
    ) -> dict[str, Any]:
        auth = self._auth()
        if signed_link:
            # A paging link carries its own query (with the token Meta put there): ours replaces it.
            query = {**_query_of(path), **auth}
            path, params = path.split("?", 1)[0], query
        elif json_body is not None or method == "DELETE" or not write:
            params = {**(params or {}), **auth}
        else:
            form = {**(form or {}), **auth}
        last: GraphError | None = None
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(_delay(attempt - 1))
            try:
                response = http.call(
                    self.base_url,
                    method,
                    path,
                    params=params,
                    form=form if json_body is None and method == "POST" else None,
                    json_body=json_body,
                    timeout=self.timeout,
                )
            except http.NotSent as exc:
                last = Unavailable(exc.reason)
                continue
            except http.OutcomeUnknown:
                if write:
                    raise  # sent, no answer: the platform may have acted; never sent again blindly
                last = Unavailable(_("The platform did not answer in time."))
                continue
            body = response.json()
            if 200 <= response.status < 300 and isinstance(body, dict) and "error" not in body:
                self._succeeded()
                return body
            # Only a read of the page itself says the page is gone (a message's 100 is about its recipient).
            page_id = self.connection.external_id if method == "GET" else ""
            error = classify(response.status, body, path=path, page_id=page_id)
            if isinstance(error, Unavailable):
                last = error
                continue
            if error.cause:
                self._needs_attention(error)
            raise error
        assert last is not None
        raise last

    def _succeeded(self) -> None:
        if self.connection.pk:
            now = timezone.now()
            Connection.objects.filter(pk=self.connection.pk).update(last_success_at=now)

    def _needs_attention(self, error: GraphError) -> None:
        from connectors import health  # health reads the models only; imported late to keep this light

        health.mark_attention(self.connection, cause=error.cause, reason=error.reason, now=timezone.now())


def classify(status: int, body: Any, *, path: str = "", page_id: str = "") -> GraphError:
    """The typed error for an answer that is not a success."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    message = str(error.get("error_user_msg") or error.get("message") or "").strip()[:500]
    if code is not None:
        reason = _("%(message)s (Meta's error %(code)s%(subcode)s)") % {
            "message": message or _("The platform gave no reason."),
            "code": code,
            "subcode": f"/{subcode}" if subcode else "",
        }
    else:
        reason = _("The platform answered with HTTP status %(status)s.") % {"status": status}
    kwargs: dict[str, Any] = {"code": code, "subcode": subcode, "status": status}
    if code in RATE_LIMIT_CODES or status == 429:
        return Unavailable(
            _("The platform's rate limit was reached: %(reason)s") % {"reason": reason}, **kwargs
        )
    if status >= 500:
        return Unavailable(reason, **kwargs)
    if code in TOKEN_CODES:
        return TokenError(reason, **kwargs)
    if subcode in WINDOW_SUBCODES:
        return Refused(
            _("The platform's 24-hour reply window has closed: %(reason)s") % {"reason": reason}, **kwargs
        )
    if code == 10 or (code is not None and 200 <= code <= 299):
        return MissingPermission(reason, **kwargs)
    if code == 100 and page_id and path.strip("/").split("/")[0].split("?")[0] == page_id:
        return PageUnreachable(reason, **kwargs)
    return Refused(reason, **kwargs)


def next_link(base_url: str, answer: Mapping[str, Any]) -> str | None:
    """The path of ``paging.next`` when it lies under the base URL; None at the end or elsewhere."""
    paging = answer.get("paging")
    link = paging.get("next") if isinstance(paging, dict) else None
    if not isinstance(link, str) or not link:
        return None
    return http.under_base(base_url, link)


def _query_of(path: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    query = path.split("?", 1)[1] if "?" in path else ""
    return {
        k: v
        for k, v in parse_qsl(query, keep_blank_values=True)
        if k not in ("access_token", "appsecret_proof")
    }


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_time(value: Any) -> datetime | None:
    """Meta's time (``2026-11-26T09:00:00+0000``), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    return parsed

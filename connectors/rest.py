"""A JSON API client for the polled platforms, on top of connectors.http (the configured base only,
every address checked and pinned).

Retries are short and capped, as for Meta (connectors.meta.graph): a rate limit (429), a 5xx or a
request that never left is tried again after a short backoff, at most ``ATTEMPTS`` times, never
waiting longer than ``BACKOFF_CAP`` whatever the platform's ``Retry-After`` says (the poll's own
backoff, connectors.polling, takes over from there). A write whose outcome is unknown is never
retried. Each platform module gives its own ``classify`` for the error shapes of its API; an error
about the connection itself (a token, a permission) turns the connection to "needs attention".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
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
BACKOFF_CAP = 8.0  # seconds

Classify = Callable[[int, Any, Mapping[str, str]], PlatformError]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The platform's ``Retry-After`` in seconds (a number of seconds only), or None."""
    raw = headers.get("retry-after", "").strip()
    if raw.isdigit() and len(raw) < 7:
        return float(raw)
    return None


def classify_http(status: int, body: Any, headers: Mapping[str, str], *, message: str = "") -> PlatformError:
    """The typed error for an HTTP status, with the platform's own ``message`` when it gave one: the
    common ground of the REST platforms (401 token, 403 permission, 404 gone, 429 limit, 5xx)."""
    reason = (
        f"{message} (HTTP {status})"
        if message
        else _("The platform answered with HTTP status %(status)s.") % {"status": status}
    )
    kwargs: dict[str, Any] = {"status": status, "retry_after": retry_after(headers)}
    if status == 429:
        return Unavailable(
            _("The platform's rate limit was reached: %(reason)s") % {"reason": reason}, **kwargs
        )
    if status >= 500:
        return Unavailable(reason, **kwargs)
    if status == 401:
        return TokenError(reason, **kwargs)
    if status == 403:
        return MissingPermission(reason, **kwargs)
    if status == 410:
        return PageUnreachable(reason, **kwargs)
    return Refused(reason, **kwargs)


def _delay(attempt: int) -> float:
    return min(float(settings.CONNECTOR_RETRY_DELAY) * (2**attempt), BACKOFF_CAP)


class Client:
    """Calls to one platform for one connection. ``headers`` carry the auth (a bearer token, an API
    version); ``classify`` reads the platform's errors; ``connection`` (optional) is told of
    success and of errors about itself."""

    def __init__(
        self,
        base_url: str,
        *,
        classify: Classify,
        headers: Mapping[str, str] | None = None,
        connection: Connection | None = None,
        timeout: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.classify = classify
        self.headers = dict(headers or {})
        self.connection = connection
        self.timeout = float(timeout or settings.CONNECTOR_TIMEOUT)
        # The headers of the last 2xx answer (lower-case names), for a platform that pages by a header
        # (Mastodon's ``Link``) or reports its limits there.
        self.last_headers: Mapping[str, str] = {}

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params, write=False)

    def post(
        self,
        path: str,
        *,
        json_body: Any = None,
        form: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        return self.request("POST", path, params=params, json_body=json_body, form=form, write=True)

    def put(self, path: str, *, json_body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("PUT", path, params=params, json_body=json_body, write=True)

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("DELETE", path, params=params, write=True)

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
        """The JSON body of a 2xx answer ({} when it has none). Raises a connectors.errors type, or
        connectors.http.OutcomeUnknown for a write sent without an answer."""
        last: PlatformError | None = None
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(_delay(attempt - 1))
            try:
                response = http.call(
                    self.base_url,
                    method,
                    path,
                    params=params,
                    json_body=json_body,
                    form=form,
                    headers=self.headers,
                    timeout=self.timeout,
                )
            except http.NotSent as exc:
                last = Unavailable(exc.reason)
                continue
            except http.OutcomeUnknown:
                if write:
                    raise
                last = Unavailable(_("The platform did not answer in time."))
                continue
            if 200 <= response.status < 300:
                body = response.json() if response.body.strip() else {}
                if body is None:
                    last = Unavailable(_("The platform answered with something Kanalvakt could not read."))
                    continue
                self.last_headers = response.headers
                return body
            error = self.classify(response.status, response.json(), response.headers)
            if isinstance(error, Unavailable):
                last = error
                if error.status == 429 or write:
                    break  # a rate limit is not waited out here; a write is not sent twice
                continue
            if error.cause and self.connection is not None and self.connection.pk:
                from connectors import health  # health reads the models only

                health.mark_attention(
                    self.connection, cause=error.cause, reason=error.reason, now=timezone.now()
                )
            raise error
        assert last is not None
        raise last

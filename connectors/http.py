"""The connectors' one way out: HTTP to a platform's configured API base URL, never anywhere else.

Every call goes through ``core.outbound.open_connection`` (resolve, check every address, pin), so even
a misconfigured base URL cannot reach the inside, and through this module, which only ever appends a
path to the base URL it is given (a paging link from the platform is followed only when it points
under the same base). Nothing outbound ever goes to an address taken from an item.

Failures are told apart, because the caller's next step depends on it:

- ``NotSent``: the request never left (refused address, no connection): safe to try again.
- ``OutcomeUnknown``: the request was sent and no answer came in time. A write may have happened on
  the platform: never retried blindly (connectors.outgoing).
- An HTTP answer of any status is a ``Response``; reading the platform's error is the platform
  module's work.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.utils.translation import gettext as _

from core.outbound import OutboundError, open_connection

MAX_BODY = 5 * 1024 * 1024
USER_AGENT = "Kanalvakt"


class CallError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotSent(CallError):
    """Nothing reached the platform: trying again is safe."""


class OutcomeUnknown(CallError):
    """Sent, with no answer in time: the platform may or may not have acted."""


@dataclass
class Response:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = open_connection(self.host, self.port, timeout=self.timeout or 10.0)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = open_connection(self.host, self.port, timeout=self.timeout or 10.0)
        self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)


def _split_base(base_url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(base_url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotSent(_("The platform's API address is not configured correctly."))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, parts.path


def under_base(base_url: str, url: str) -> str | None:
    """The path and query of ``url`` when it lies under ``base_url`` (same scheme, host, port and
    path prefix), else None: a paging link from the platform is followed only then."""
    try:
        scheme, host, port, prefix = _split_base(base_url)
        parts = urlsplit(url)
        other_port = parts.port or (443 if parts.scheme == "https" else 80)
    except (NotSent, ValueError):
        return None
    if (parts.scheme, parts.hostname, other_port) != (scheme, host, port):
        return None
    if not (parts.path == prefix or parts.path.startswith(prefix + "/")):
        return None
    path = parts.path[len(prefix) :] or "/"
    return path + (f"?{parts.query}" if parts.query else "")


def call(
    base_url: str,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    form: Mapping[str, Any] | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """One request to ``base_url`` + ``path`` (a path, never a full address), with ``params`` in the
    query and ``form`` or ``json_body`` as the body. Raises NotSent or OutcomeUnknown."""
    if (
        not path.startswith("/")
        or path.startswith("//")
        or "://" in path
        or "\\" in path
        or any(c in path for c in "\r\n ")
    ):
        raise NotSent(_("Refused a request path that is not a plain path."))
    scheme, host, port, prefix = _split_base(base_url)
    target = prefix + path
    if params:
        target += ("&" if "?" in target else "?") + urlencode({k: _text(v) for k, v in params.items()})
    body: bytes | None = None
    sent_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if form is not None:
        body = urlencode({k: _text(v) for k, v in form.items()}).encode("ascii")
        sent_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        sent_headers["Content-Type"] = "application/json"
    sent_headers.update(headers or {})
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = connection_class(host, port, timeout=timeout)
    try:
        try:
            conn.connect()
        except OutboundError as exc:
            raise NotSent(exc.reason) from exc
        except OSError as exc:
            raise NotSent(_("%(host)s did not answer.") % {"host": host}) from exc
        try:
            conn.request(method, target, body=body, headers=sent_headers)
            answer = conn.getresponse()
            data = answer.read(MAX_BODY + 1)
        except TimeoutError as exc:
            raise OutcomeUnknown(
                _("%(host)s did not answer within %(seconds)s seconds.") % {"host": host, "seconds": timeout}
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise OutcomeUnknown(_("The connection to %(host)s broke off.") % {"host": host}) from exc
        if len(data) > MAX_BODY:
            raise OutcomeUnknown(_("%(host)s answered with more than 5 MB.") % {"host": host})
        return Response(
            status=answer.status, body=data, headers={k.lower(): v for k, v in answer.getheaders()}
        )
    finally:
        conn.close()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)

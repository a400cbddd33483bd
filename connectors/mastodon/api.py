"""Calls to one Mastodon server: its address, its errors, and its paging by the ``Link`` header.

- The server is the one the connection page was given, normalised to ``https://host[:port]``; every
  call goes through connectors.rest / connectors.http, which checks (and pins) every address it
  resolves to, so a server name that resolves to an inside address is refused.
- Errors (docs: methods, "401: Unauthorized" etc.) are ``{"error": "…"}``; a rate limit is 429 with
  ``X-RateLimit-Reset``, the time the limit resets (docs: api/rate-limits; 300 calls per 5 minutes per
  account), which becomes the poll's backoff.
- Lists page by the ``Link`` header (docs: api/guidelines#pagination): ``rel="next"`` (``max_id``, older)
  is sent only when a page is full, ``rel="prev"`` (``min_id``, newer) whenever a page has rows. A link
  is followed only when it points at the same server and the same path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import http, rest
from connectors.errors import PlatformError, Unavailable
from connectors.mastodon.parse import Bad, parse_time, row_time

MAX_PAGES = 10  # pages read in one poll per list; the rest waits for the next poll
_LINK = re.compile(r"<([^<>\s]{1,2000})>\s*;\s*rel=\"?([A-Za-z]{1,20})\"?")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")


def normalise_server(value: str) -> str:
    """The server's address as Kanalvakt keeps and calls it: ``https://host`` (lower case, punycode,
    a port only when not 443). An address with a path, a query or a user is refused; plain http only
    where the outbound check lets tests reach 127.0.0.1 (the connect form says the same)."""
    refuse = ValidationError(
        {"server_url": _("Give the address of the account's server, e.g. https://mastodon.social.")}
    )
    value = (value or "").strip().rstrip("/")
    try:
        parts = urlsplit(value)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
    except (ValueError, UnicodeError) as exc:
        raise refuse from exc
    allowed = ("https", "http") if settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS else ("https",)
    if (
        parts.scheme not in allowed
        or not host
        or len(host) > 253
        or not (_HOST.fullmatch(host) or re.fullmatch(r"[0-9.]{7,15}", host))
        or parts.username
        or parts.password
        or parts.path
        or parts.query
        or parts.fragment
    ):
        raise refuse
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def host_of(server_url: str) -> str:
    return urlsplit(server_url).hostname or ""


def reset_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` (an RFC 3339 time), at least one, at most an hour; None
    when the header is missing or unreadable."""
    raw = headers.get("x-ratelimit-reset", "").strip()
    if not raw:
        return None
    now = now or timezone.now()
    try:
        reset = parse_time(raw, now=now + timedelta(hours=2))  # a time to come: bounded all the same
    except Bad:
        return None
    return min(max((reset - now).total_seconds(), 1.0), 3600.0)


def classify(status: int, body: Any, headers: Mapping[str, str]) -> PlatformError:
    """A Mastodon error: ``{"error": "…", "error_description"?: "…"}``, by its HTTP status (401 the
    token, 403 a scope, 404 gone, 422 refused, 429 the rate limit, 5xx the server)."""
    message = ""
    if isinstance(body, dict):
        for key in ("error_description", "error"):
            if isinstance(body.get(key), str) and body[key].strip():
                message = " ".join(body[key].split())[:300]
                break
    error = rest.classify_http(status, body, headers, message=message)
    if isinstance(error, Unavailable) and error.retry_after is None:
        error.retry_after = reset_after(headers)
    return error


def client(server_url: str, token: str, *, connection: Any = None, **headers: str) -> rest.Client:
    """A client of the server with the account's token (and any extra headers, e.g. Idempotency-Key)."""
    return rest.Client(
        server_url,
        classify=classify,
        headers={"Authorization": f"Bearer {token}", **headers},
        connection=connection,
    )


def links(headers: Mapping[str, str]) -> dict[str, str]:
    """The ``Link`` header's targets by relation."""
    found: dict[str, str] = {}
    for url, rel in _LINK.findall(headers.get("link", "")[:8000]):
        found.setdefault(rel.lower(), url)
    return found


def _follow(api: rest.Client, path: str, rel: str) -> str | None:
    """The path and query of the last answer's ``rel`` link, when it points at the same server and
    path (never anywhere else); None otherwise."""
    url = links(api.last_headers).get(rel)
    target = http.under_base(api.base_url, url) if url else None
    if target is None or urlsplit(target).path != path:
        return None
    return target


def _rows(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise Unavailable(_("Mastodon answered with something Kanalvakt could not read."))
    return body


def newer(api: rest.Client, path: str, params: Mapping[str, Any], *, after: str) -> Iterator[list[Any]]:
    """The rows newer than the id ``after``, page by page from the oldest (``min_id``, each page newest
    first), while the server says a page was full (``rel="next"``), at most MAX_PAGES pages. With
    nothing new: one call and one empty page."""
    target, query = path, {**params, "min_id": after}
    for _page in range(MAX_PAGES):
        page = _rows(api.get(target, query))
        yield page
        if not page or "next" not in links(api.last_headers):
            return
        forward = _follow(api, path, "prev")
        if forward is None:
            return
        target, query = forward, {}


def back_to(
    api: rest.Client, path: str, params: Mapping[str, Any], *, since: datetime, now: datetime
) -> Iterator[list[Any]]:
    """The newest rows, page by page back (``rel="next"``, ``max_id``) until a row older than
    ``since``, the last page, or MAX_PAGES pages (the first poll's backfill)."""
    target, query = path, dict(params)
    for _page in range(MAX_PAGES):
        page = _rows(api.get(target, query))
        yield page
        oldest = row_time(page[-1], now=now) if page else None
        if not page or (oldest is not None and oldest < since):
            return
        back = _follow(api, path, "next")
        if back is None:
            return
        target, query = back, {}

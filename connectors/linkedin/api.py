"""LinkedIn's versioned REST API for one connection: the headers every call carries, LinkedIn's errors
in Kanalvakt's words, URNs as Rest.li 2.0 wants them in a path, paging, and the one write that needs
the answer's headers (a new comment's id).

From LinkedIn's documentation (Microsoft Learn, "LinkedIn Marketing API", Community Management):

- Versioning (linkedin/marketing/versioning): every call to ``https://api.linkedin.com/rest`` carries
  ``LinkedIn-Version: YYYYMM`` and ``X-Restli-Protocol-Version: 2.0.0``, with the member's token as
  ``Authorization: Bearer …``. A URN in a path or a query is URL-encoded (``urn%3Ali%3Ashare%3A123``).
- Collections answer ``{"elements": [...], "paging": {"start", "count", "links": [{"rel": "next",
  "href"}], "total"}}`` and are paged with ``start`` and ``count``.
- Errors answer ``{"status", "serviceErrorCode", "code", "message"}``: 401 for a token that expired or
  was revoked (``EXPIRED_ACCESS_TOKEN``, ``REVOKED_ACCESS_TOKEN``, ``INVALID_ACCESS_TOKEN``), 403
  ``ACCESS_DENIED`` for a missing scope or page role, 404 for what is not there, 429 for a throttle,
  5xx for LinkedIn's own failures.
- A created entity answers 201 with its id in the ``x-restli-id`` header; the Comments API also returns
  the created comment (``id``, ``commentUrn``) in the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import http, rest
from connectors.errors import PlatformError, TokenError, Unavailable
from connectors.models import Connection
from core import bounds

RESTLI_PROTOCOL = "2.0.0"
TOKEN_CODES = frozenset({"EXPIRED_ACCESS_TOKEN", "REVOKED_ACCESS_TOKEN", "INVALID_ACCESS_TOKEN"})
MAX_TEXT = 20_000
MAX_REASON = 300

# The shapes of LinkedIn's URNs that Kanalvakt reads, writes into a path, or keeps.
ORGANIZATION_ID = re.compile(r"[1-9][0-9]{0,19}")
ORGANIZATION_URN = re.compile(r"urn:li:organization:([1-9][0-9]{0,19})")
POST_URN = re.compile(r"urn:li:(?:share|ugcPost):[0-9]{1,30}")
THREAD_URN = re.compile(r"urn:li:(?:activity|share|ugcPost):[0-9]{1,30}")
COMMENT_URN = re.compile(r"urn:li:comment:\((urn:li:(?:activity|share|ugcPost):[0-9]{1,30}),([0-9]{1,30})\)")
COMMENT_ID = re.compile(r"[0-9]{1,30}")
ACTOR_URN = re.compile(r"urn:li:(?:person|organization|organizationBrand):[A-Za-z0-9_-]{1,100}")


def organization_urn(organization_id: str) -> str:
    return f"urn:li:organization:{organization_id}"


def encoded(urn: str) -> str:
    """A URN as a Rest.li 2.0 path key: every reserved character percent-encoded."""
    return quote(urn, safe="")


def feed_url(urn: str) -> str:
    """The public link of a post (or the thread of a comment): only for a URN of the strict shape."""
    return f"https://www.linkedin.com/feed/update/{urn}" if THREAD_URN.fullmatch(urn) else ""


def text(value: Any) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def epoch_ms(value: Any, *, now: datetime) -> datetime | None:
    """A time LinkedIn gives in milliseconds since 1970, within Kanalvakt's bounds (core.bounds);
    None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**14:
        return None
    at = datetime.fromtimestamp(value / 1000, tz=UTC)
    return at if bounds.within_time_bounds(at, now=now) else None


def as_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def classify(status: int, body: Any, headers: Mapping[str, str]) -> PlatformError:
    """LinkedIn's error body in Kanalvakt's words (connectors.errors): a token LinkedIn says expired or
    was revoked is a token error whatever the status; the rest follows the status (rest.classify_http):
    401 token, 403 permission (ACCESS_DENIED: a scope or the page role), 404 not there, 429 rate limit
    (with Retry-After when sent), 5xx unavailable."""
    fields = body if isinstance(body, dict) else {}
    code = fields.get("code")
    code = code if isinstance(code, str) and len(code) <= 60 else None
    message = fields.get("message")
    message = message[:MAX_REASON] if isinstance(message, str) else ""
    if code in TOKEN_CODES:
        return TokenError(
            f"{message or code} (HTTP {status})",
            code=code,
            status=status,
            retry_after=rest.retry_after(headers),
        )
    error = rest.classify_http(status, body, headers, message=message)
    service_code = fields.get("serviceErrorCode")
    error.code = code or (service_code if isinstance(service_code, int) else None)
    return error


def client(connection: Connection | None, *, token: str | None = None) -> rest.Client:
    """Calls with the connection's token (or ``token``, when checking one before it is stored)."""
    secret = token if token is not None else (connection.token if connection else "")
    return rest.Client(
        settings.LINKEDIN_API_URL,
        classify=classify,
        headers={
            "Authorization": f"Bearer {secret}",
            "LinkedIn-Version": settings.LINKEDIN_API_VERSION,
            "X-Restli-Protocol-Version": RESTLI_PROTOCOL,
        },
        connection=connection,
    )


def pages(
    api: rest.Client, path: str, params: Mapping[str, Any], *, count: int, max_pages: int
) -> Iterator[tuple[list[Any] | None, Any]]:
    """A collection page by page (``start``/``count``): each page's elements (None when the answer has
    no list of them) and the raw answer. Stops at the last page, an empty one, or ``max_pages``; the
    next page is the one LinkedIn names (a ``next`` link or a ``total`` beyond this page), or, when it
    says neither, the one after a full page. Links are never followed as addresses: only ``start``
    moves, under the configured base."""
    start = 0
    for _page in range(max_pages):
        body = api.get(path, {**params, "start": start, "count": count})
        elements = body.get("elements") if isinstance(body, dict) else None
        if not isinstance(elements, list):
            yield None, body
            return
        yield elements, body
        if not elements or not _has_next(body.get("paging"), start=start, seen=len(elements), count=count):
            return
        start += len(elements)


def _has_next(paging: Any, *, start: int, seen: int, count: int) -> bool:
    if not isinstance(paging, dict):
        return seen >= count
    links = paging.get("links")
    if isinstance(links, list) and any(
        isinstance(link, dict) and link.get("rel") == "next" for link in links
    ):
        return True
    total = paging.get("total")
    if isinstance(total, int) and not isinstance(total, bool):
        return start + seen < total
    return seen >= count


def create(api: rest.Client, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """POST a new entity once (a write is never sent twice): its body as LinkedIn returned it and the
    ``x-restli-id`` header. Raises a connectors.errors type, or http.OutcomeUnknown when the request
    left and no answer came. An error about the connection turns it to needs attention, as in
    rest.Client."""
    try:
        response = http.call(
            api.base_url, "POST", path, json_body=body, headers=api.headers, timeout=api.timeout
        )
    except http.NotSent as exc:
        raise Unavailable(exc.reason) from exc
    if 200 <= response.status < 300:
        answer = response.json() if response.body.strip() else {}
        restli_id = response.headers.get("x-restli-id", "").strip()
        return (answer if isinstance(answer, dict) else {}), restli_id[:200]
    error = classify(response.status, response.json(), response.headers)
    connection = api.connection
    if error.cause and connection is not None and connection.pk:
        from connectors import health  # health reads the models only

        health.mark_attention(connection, cause=error.cause, reason=error.reason, now=timezone.now())
    raise error


def unreadable() -> str:
    return _("LinkedIn answered with something Kanalvakt could not read.")

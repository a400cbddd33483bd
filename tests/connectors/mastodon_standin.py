"""A Mastodon server stand-in: tests/connectors/standin.py speaking Mastodon's documented shapes
(docs.joinmastodon.org), with the headers Mastodon sends.

- ``GET /api/v1/accounts/verify_credentials`` → the CredentialAccount (``id``, ``username``, ``acct``,
  ``followers_count``, ``statuses_count``, …), for the account's token only (401 ``{"error"}`` else);
- ``GET /api/v1/notifications`` (``types[]``, ``max_id``, ``since_id``, ``min_id``, ``limit``) and
  ``GET /api/v1/accounts/:id/statuses`` (``exclude_reblogs`` too): newest first, with the ``Link``
  header as Mastodon builds it (``rel="next"`` with ``max_id`` only when the page is full, ``rel="prev"``
  with ``min_id`` when it has rows); the server's own limit (``limit_cap``) pages a small list;
- ``POST /api/v1/statuses`` (form: ``status``, ``in_reply_to_id``, ``visibility``; header
  ``Idempotency-Key``: the same key again returns the same status) → the Status;
- ``GET /api/v1/statuses/:id`` and ``GET /api/v1/statuses/:id/context`` (``ancestors``, ``descendants``).

An answer may be ``(status, body, headers)``: the headers are sent with it (``Link``,
``X-RateLimit-Reset``). A route added by a test wins over these.
"""

from __future__ import annotations

import html
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

from tests.connectors.standin import Answer, Delay, Request, StandIn, _handler_for

TOKEN = "mastodon-user-token-0123456789"
ACCOUNT_ID = "109000000000000001"
VISITOR = {
    "id": "109000000000000042",
    "username": "anna",
    "acct": "anna@example.org",
    "display_name": "Anna <Besökare>",
    "url": "https://example.org/@anna",
}
_notification_ids = itertools.count(34_975_000)
_status_ids = itertools.count(113_000_000_000_000_000)


def iso(at: datetime) -> str:
    """A Mastodon datetime: ``2019-11-23T07:49:02.064Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class HeaderStandIn(StandIn):
    """A StandIn whose answers may carry headers: ``(status, body, headers)``."""

    def __init__(self) -> None:
        super().__init__()
        self.answer_headers = threading.local()

    def _handle(self, request: Request) -> Answer:
        answer: Any = super()._handle(request)
        headers: dict[str, str] = {}
        if isinstance(answer, tuple) and len(answer) == 3:
            status, body, headers = answer
            answer = (status, body)
        self.answer_headers.value = headers  # each request has its own thread (ThreadingHTTPServer)
        return answer


def _handler(state: HeaderStandIn) -> type[BaseHTTPRequestHandler]:
    base: Any = _handler_for(state)

    class Handler(base):
        def end_headers(self) -> None:
            for name, value in getattr(state.answer_headers, "value", {}).items():
                self.send_header(name, value)
            state.answer_headers.value = {}
            super().end_headers()

    return Handler


@dataclass
class Server:
    """The account, its notifications and statuses, and what was posted, as a Mastodon server keeps
    them (lists kept oldest first, ids as strings of growing integers)."""

    http: HeaderStandIn
    account: dict[str, Any] = field(
        default_factory=lambda: {
            "id": ACCOUNT_ID,
            "username": "kau",
            "acct": "kau",
            "display_name": "Karlstads universitet",
            "url": "https://mastodon.example/@kau",
            "followers_count": 1234,
            "following_count": 56,
            "statuses_count": 789,
        }
    )
    token: str = TOKEN
    notifications: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    limit_cap: int = 80  # the server's own page limit (80 for notifications, 40 for statuses)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    now: datetime | None = None  # the time of a status posted here (the real clock when None)

    @property
    def base_url(self) -> str:
        return self.http.base_url

    # --- building the server's content --------------------------------------------------------------

    def status(
        self,
        content: str,
        *,
        at: datetime,
        author: dict[str, Any] | None = None,
        visibility: str = "public",
        in_reply_to_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A Status by ``author`` (a visitor by default), kept on the server."""
        author = author or VISITOR
        status_id = str(next(_status_ids))
        status = {
            "id": status_id,
            "created_at": iso(at),
            "in_reply_to_id": in_reply_to_id,
            "in_reply_to_account_id": ACCOUNT_ID if in_reply_to_id else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": visibility,
            "language": "sv",
            "uri": f"https://example.org/users/{author['username']}/statuses/{status_id}",
            "url": f"https://example.org/@{author['username']}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "content": content,
            "reblog": None,
            "account": author,
            "media_attachments": [],
            "mentions": [{"id": ACCOUNT_ID, "username": "kau", "acct": "kau", "url": self.account["url"]}],
            "tags": [],
            "emojis": [],
            **extra,
        }
        self.statuses.append(status)
        return status

    def mention(self, content: str, *, at: datetime, **extra: Any) -> dict[str, Any]:
        """A visitor's status mentioning the account, and its ``mention`` notification."""
        status = self.status(content, at=at, **extra)
        return self.notify(status, at=at)

    def notify(self, status: dict[str, Any] | None, *, at: datetime, kind: str = "mention") -> dict[str, Any]:
        notification = {
            "id": str(next(_notification_ids)),
            "type": kind,
            "group_key": "ungrouped-0",
            "created_at": iso(at),
            "account": (status or {}).get("account", VISITOR),
            "status": status,
        }
        self.notifications.append(notification)
        return notification

    def own(self, content: str, *, at: datetime, **extra: Any) -> dict[str, Any]:
        """One of the account's own statuses."""
        return self.status(content, at=at, author=self.account, **extra)

    # --- answering ------------------------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def page(self, request: Request, rows: list[dict[str, Any]], *, cap: int) -> Any:
        """One page of ``rows`` as Mastodon pages (``paginate_by_id``), with its ``Link`` header."""
        if not self._authorised(request):
            return 401, {"error": "The access token is invalid"}
        query = request.query
        limit = min(int(query.get("limit") or 20), cap, self.limit_cap)
        chosen = sorted(rows, key=lambda row: int(row["id"]))
        for name, keep in (
            ("max_id", lambda row, bound: int(row["id"]) < bound),
            ("since_id", lambda row, bound: int(row["id"]) > bound),
            ("min_id", lambda row, bound: int(row["id"]) > bound),
        ):
            if query.get(name):
                chosen = [row for row in chosen if keep(row, int(query[name]))]
        chosen = chosen[:limit] if query.get("min_id") else chosen[-limit:]
        chosen.reverse()
        kept = {k: v for k, v in query.items() if k in ("limit", "types[]", "exclude_reblogs")}
        here = f"{self.base_url}{request.path}"
        links = []
        if chosen and len(chosen) == limit:
            links.append(f'<{here}?{urlencode({**kept, "max_id": chosen[-1]["id"]})}>; rel="next"')
        if chosen:
            links.append(f'<{here}?{urlencode({**kept, "min_id": chosen[0]["id"]})}>; rel="prev"')
        return 200, chosen, ({"Link": ", ".join(links)} if links else {})

    def _notifications(self, request: Request) -> Any:
        wanted = request.query.get("types[]")
        rows = [n for n in self.notifications if not wanted or n["type"] == wanted]
        return self.page(request, rows, cap=80)

    def _statuses(self, request: Request) -> Any:
        assert request.match is not None
        rows = [s for s in self.statuses if s["account"]["id"] == request.match["id"]]
        if request.query.get("exclude_reblogs") == "true":
            rows = [s for s in rows if s.get("reblog") is None]
        return self.page(request, rows, cap=40)

    def _me(self, request: Request) -> Any:
        if not self._authorised(request):
            return 401, {"error": "The access token is invalid"}
        return 200, {**self.account, "source": {"privacy": "public", "note": ""}}

    def find(self, status_id: str) -> dict[str, Any] | None:
        return next((s for s in self.statuses if s["id"] == status_id), None)

    def _post(self, request: Request) -> Any:
        if not self._authorised(request):
            return 401, {"error": "The access token is invalid"}
        key = request.headers.get("idempotency-key", "")
        if key and key in self.keys:
            return 200, self.keys[key]
        text = request.form.get("status", "")
        if not text.strip():
            return 422, {"error": "Validation failed: Text can't be blank"}
        content = "".join(
            f"<p>{html.escape(part).replace(chr(10), '<br />')}</p>" for part in text.split("\n\n")
        )
        status = self.own(
            content,
            at=self.now or datetime.now(tz=UTC),
            in_reply_to_id=request.form.get("in_reply_to_id") or None,
            visibility=request.form.get("visibility") or "public",
        )
        status["url"] = f"https://mastodon.example/@kau/{status['id']}"
        if key:
            self.keys[key] = status
        return 200, status

    def _one(self, request: Request) -> Any:
        assert request.match is not None
        status = self.find(request.match["id"])
        return (200, status) if status else (404, {"error": "Record not found"})

    def _context(self, request: Request) -> Any:
        assert request.match is not None
        if self.find(request.match["id"]) is None:
            return 404, {"error": "Record not found"}
        below = [s for s in self.statuses if s["in_reply_to_id"] == request.match["id"]]
        return 200, {"ancestors": [], "descendants": below}

    def install(self) -> None:
        for method in ("GET", "POST", "DELETE"):
            self.http.route(method, r"/.*", (404, {"error": "Record not found"}))
        self.http.route("GET", r"/api/v1/accounts/verify_credentials", self._me)
        self.http.route("GET", r"/api/v1/notifications", self._notifications)
        self.http.route("GET", r"/api/v1/accounts/(?P<id>[0-9]+)/statuses", self._statuses)
        self.http.route("POST", r"/api/v1/statuses", self._post)
        self.http.route("GET", r"/api/v1/statuses/(?P<id>[0-9]+)", self._one)
        self.http.route("GET", r"/api/v1/statuses/(?P<id>[0-9]+)/context", self._context)

    # --- what a test asks --------------------------------------------------------------------------------

    def on(self, method: str, path: str, answer: Any) -> None:
        """A test's own answer on ``path`` (a regex), winning over the server's."""
        self.http.route(method, path, answer)

    def sent(self, method: str | None = None, path: str = ".*") -> list[Request]:
        return self.http.sent(method, path)


@contextmanager
def mastodon_server(settings: Any | None = None) -> Iterator[Server]:
    """The stand-in served on 127.0.0.1; with ``settings`` (the pytest fixture), the outbound check
    lets Kanalvakt reach it and retries do not wait."""
    state = HeaderStandIn()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    server = Server(http=state)
    server.install()
    if settings is not None:
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
        settings.CONNECTOR_RETRY_DELAY = 0
        settings.CONNECTOR_TIMEOUT = 2
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


__all__ = ["ACCOUNT_ID", "TOKEN", "VISITOR", "Delay", "Server", "iso", "mastodon_server"]

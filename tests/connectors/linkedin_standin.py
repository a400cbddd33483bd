"""A LinkedIn stand-in: tests/connectors/standin.py's routes and recorded requests, speaking the
documented shapes of LinkedIn's versioned REST API (Community Management API) for one organisation.

``linkedin_api(settings)`` starts the server, points ``LINKEDIN_API_URL`` at it and lets the outbound
check reach 127.0.0.1. It keeps LinkedIn's state, so a test adds posts and comments and sees what
Kanalvakt wrote:

- ``GET /rest/organizations/{id}`` → ``{"id", "localizedName", "vanityName"}`` (404 for another id);
- ``GET /rest/organizationAcls?q=roleAssignee&state=APPROVED`` → the token's member's roles,
  ``{"elements": [{"roleAssignee", "role", "state", "organization"}], "paging": …}``;
- ``GET /rest/posts?author={urn}&q=author&sortBy=LAST_MODIFIED&start&count`` → the organisation's posts,
  newest change first, paged with ``paging.start/count`` and a ``next`` link while there are more;
- ``GET /rest/socialActions/{encoded post or comment URN}/comments`` → the first-level comments under
  it, each with ``commentsSummary`` counting its replies, paged with ``paging.start/count/total/links``;
- ``POST`` the same → 201 with the new comment in the body and its id in ``x-restli-id``;
- ``GET``/``DELETE /rest/socialActions/{encoded URN}/comments/{id}?actor=…`` → the comment / 204;
- ``GET /rest/networkSizes/{encoded organization URN}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`` →
  ``{"firstDegreeSize"}``;
- errors as ``{"status", "serviceErrorCode", "code", "message"}``.

Every request must carry the bearer token, ``LinkedIn-Version`` and ``X-Restli-Protocol-Version:
2.0.0``, and URNs in a path must be URL-encoded (Rest.li 2.0): otherwise the stand-in refuses it as
LinkedIn does, and the tests assert what was sent.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.connectors.standin import Delay, Request, StandIn

ORG_ID = "2414183"
ORG = f"urn:li:organization:{ORG_ID}"
TOKEN = "AQXlinkedin-member-token-1"
MEMBER = "urn:li:person:Adm1nX"
VERSION = "202511"
PREFIX = "/rest"

Answer = tuple[int, Any] | tuple[int, Any, dict[str, str]] | Delay


def error(status: int, code: str, message: str, service_code: int = 100) -> tuple[int, Any]:
    return status, {"status": status, "serviceErrorCode": service_code, "code": code, "message": message}


EXPIRED = error(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65601)
REVOKED = error(
    401, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user", 65602
)
INVALID = error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
DENIED = error(
    403, "ACCESS_DENIED", "Not enough permissions to access: partnerApiSocialActions.GET_ALL.20251101"
)
THROTTLED = (
    429,
    {
        "status": 429,
        "serviceErrorCode": 101,
        "code": "TOO_MANY_REQUESTS",
        "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
    },
    {"Retry-After": "120"},
)
SERVER_ERROR = error(500, "INTERNAL_SERVER_ERROR", "Internal Server Error", 0)
UNAVAILABLE = error(503, "SERVICE_UNAVAILABLE", "Service Unavailable", 0)

_ids = itertools.count(7_100_000_000_000_000_001)
_activities = itertools.count(7_300_000_000_000_000_001)


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class LinkedInStandIn:
    """The server and one organisation's state on LinkedIn."""

    def __init__(self, server: StandIn) -> None:
        self.server = server
        self.base_url = server.base_url
        self.token = TOKEN
        self.name = "Karlstads universitet"
        self.followers = 48_213
        self.acls: list[dict[str, Any]] = [
            {"roleAssignee": MEMBER, "role": "ADMINISTRATOR", "state": "APPROVED", "organization": ORG}
        ]
        self.posts: list[dict[str, Any]] = []
        self.activity: dict[str, str] = {}  # post URN → its activity (the thread of its comments)
        self.comments: dict[str, list[dict[str, Any]]] = {}  # container URN → its first-level comments
        self.deleted: list[str] = []
        self.restli_id_in_body = True
        self.clock: datetime | None = None  # when a comment Kanalvakt writes is made (None: now)
        self._routes()

    # --- LinkedIn's state --------------------------------------------------------------------------

    def post(self, number: int, *, at: datetime, text: str = "", modified: datetime | None = None) -> str:
        urn = f"urn:li:share:{number}"
        self.activity[urn] = f"urn:li:activity:{next(_activities)}"
        self.posts.append(
            {
                "id": urn,
                "author": ORG,
                "commentary": text,
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "createdAt": ms(at),
                "publishedAt": ms(at),
                "lastModifiedAt": ms(modified or at),
                "distribution": {"feedDistribution": "MAIN_FEED"},
                "isReshareDisabledByAuthor": False,
            }
        )
        self.comments.setdefault(urn, [])
        return urn

    def comment(
        self,
        under: str,
        *,
        at: datetime,
        text: str,
        actor: str = "urn:li:person:Vis1t0r",
        modified: datetime | None = None,
        comment_id: str | None = None,
    ) -> str:
        """A comment under a post, or a reply under a comment (``under`` is its URN); its URN."""
        parent = under if under.startswith("urn:li:comment:") else None
        thread = self.thread_of(under)
        number = comment_id or str(next(_ids))
        row: dict[str, Any] = {
            "id": number,
            "commentUrn": f"urn:li:comment:({thread},{number})",
            "actor": actor,
            "agent": MEMBER if actor == ORG else actor,
            "created": {"actor": actor, "time": ms(at)},
            "lastModified": {"actor": actor, "time": ms(modified or at)},
            "message": {"attributes": [], "text": text},
            "object": thread,
            "likesSummary": {"selectedLikes": [], "aggregatedTotalLikes": 0, "totalLikes": 0},
        }
        if parent:
            row["parentComment"] = parent
        self.comments.setdefault(under, []).append(row)
        return str(row["commentUrn"])

    def thread_of(self, urn: str) -> str:
        match = re.fullmatch(r"urn:li:comment:\(([^,]+),\d+\)", urn)
        if match:
            return match.group(1)
        return urn if urn in self.activity.values() else self.activity[urn]

    def find(self, urn: str) -> dict[str, Any] | None:
        for rows in self.comments.values():
            for row in rows:
                if row["commentUrn"] == urn:
                    return row
        return None

    def with_summary(self, row: dict[str, Any]) -> dict[str, Any]:
        replies = len(self.comments.get(row["commentUrn"], []))
        return {
            **row,
            "commentsSummary": {
                "selectedComments": [],
                "totalFirstLevelComments": replies,
                "aggregatedTotalComments": replies,
            },
        }

    # --- the routes --------------------------------------------------------------------------------

    def on(self, method: str, tail: str, answer: Any) -> None:
        """Answer ``method`` on ``/rest/<tail>`` (a regex) with ``answer``, before LinkedIn's state."""
        self.server.route(method, f"{re.escape(PREFIX)}/{tail}", answer)

    def sequence(self, method: str, tail: str, *answers: Answer) -> None:
        """Answer in turn; after the last, LinkedIn's state answers again."""
        queue = list(answers)
        normal = self._handler(method, tail)

        def answer(request: Request) -> Any:
            return queue.pop(0) if queue else normal(request)

        self.on(method, tail, answer)

    def sent(self, method: str | None = None, tail: str = ".*") -> list[Request]:
        return self.server.sent(method, f"{re.escape(PREFIX)}/{tail}")

    def _handler(self, method: str, tail: str) -> Any:
        for m, pattern, handler in self.server.routes:
            if m == method and pattern.pattern == f"{re.escape(PREFIX)}/{tail}":
                return handler
        raise KeyError(tail)

    def _routes(self) -> None:
        self.on("GET", r"organizations/(?P<id>[^/]+)", self._organization)
        self.on("GET", "organizationAcls", self._acls)
        self.on("GET", "posts", self._posts)
        self.on("GET", r"socialActions/(?P<urn>[^/]+)/comments", self._list)
        self.on("POST", r"socialActions/(?P<urn>[^/]+)/comments", self._create)
        self.on("GET", r"socialActions/(?P<urn>[^/]+)/comments/(?P<id>\d+)", self._get)
        self.on("DELETE", r"socialActions/(?P<urn>[^/]+)/comments/(?P<id>\d+)", self._delete)
        self.on("GET", r"networkSizes/(?P<urn>[^/]+)", self._network_size)

    def _refused(self, request: Request) -> Answer | None:
        """What LinkedIn says to a request without the token or the headers it requires."""
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return INVALID
        if request.headers.get("linkedin-version") != VERSION:
            return error(400, "VERSION_MISSING", "A version must be present. Please specify a version.")
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return error(400, "ILLEGAL_ARGUMENT", "Rest.li protocol 2.0.0 is required.")
        raw = request.match.groupdict().get("urn") if request.match else None
        if raw is not None and ":" in raw:
            return error(400, "ILLEGAL_ARGUMENT", "Syntax exception in path variables")
        return None

    def _organization(self, request: Request) -> Answer:
        if refused := self._refused(request):
            return refused
        assert request.match is not None
        if request.match["id"] != ORG_ID:
            return error(404, "NOT_FOUND", f"Organization {request.match['id']} not found", 0)
        return 200, {"id": int(ORG_ID), "localizedName": self.name, "vanityName": "karlstads-universitet"}

    def _acls(self, request: Request) -> Answer:
        if refused := self._refused(request):
            return refused
        if request.query.get("q") != "roleAssignee":
            return error(400, "ILLEGAL_ARGUMENT", "q must be roleAssignee")
        rows = [a for a in self.acls if a["state"] == request.query.get("state", a["state"])]
        return 200, self._page(request, rows, total=True)

    def _posts(self, request: Request) -> Answer:
        if refused := self._refused(request):
            return refused
        if request.query.get("q") != "author" or request.query.get("author") != ORG:
            return error(400, "ILLEGAL_ARGUMENT", "author and q=author are required")
        rows = sorted(self.posts, key=lambda p: p["lastModifiedAt"], reverse=True)
        return 200, self._page(request, rows, total=False)

    def _list(self, request: Request) -> Answer:
        if refused := self._refused(request):
            return refused
        assert request.match is not None
        urn = unquote(request.match["urn"])
        if urn not in self.comments and self.find(urn) is None:
            return error(404, "NOT_FOUND", f"Unable to obtain activity {urn}", 0)
        rows = [self.with_summary(r) for r in self.comments.get(urn, [])]
        return 200, self._page(request, rows, total=True)

    def _create(self, request: Request) -> Answer:
        if refused := self._refused(request):
            return refused
        assert request.match is not None
        urn = unquote(request.match["urn"])
        body = request.json if isinstance(request.json, dict) else {}
        text = body.get("message", {}).get("text") if isinstance(body.get("message"), dict) else None
        if not isinstance(text, str) or body.get("actor") != ORG:
            return error(422, "UNPROCESSABLE_ENTITY", "actor and message.text are required")
        if urn.startswith("urn:li:comment:") and body.get("parentComment") != urn:
            return error(422, "UNPROCESSABLE_ENTITY", "parentComment must name the comment in the path")
        if body.get("object") != self.thread_of(urn):
            return error(422, "UNPROCESSABLE_ENTITY", "object must be the thread of the comment")
        made = self.comment(urn, at=self.clock or datetime.now(UTC), text=text, actor=ORG)
        row = dict(self.find(made) or {})
        if not self.restli_id_in_body:
            row.pop("commentUrn", None)
            row.pop("id", None)
        return 201, row, {"x-restli-id": made.rsplit(",", 1)[1].rstrip(")")}

    def _get(self, request: Request) -> Answer:
        if refused := self._refused(request):
            return refused
        assert request.match is not None
        thread = self.thread_of(unquote(request.match["urn"]))
        found = self.find(f"urn:li:comment:({thread},{request.match['id']})")
        return (200, found) if found else error(404, "NOT_FOUND", "Comment not found", 0)

    def _delete(self, request: Request) -> Answer:
        if refused := self._refused(request):
            return refused
        assert request.match is not None
        if request.query.get("actor") != ORG:
            return DENIED
        container = unquote(request.match["urn"])
        thread = self.thread_of(container)
        urn = f"urn:li:comment:({thread},{request.match['id']})"
        for rows in self.comments.values():
            for row in list(rows):
                if row["commentUrn"] == urn:
                    rows.remove(row)
                    self.deleted.append(urn)
                    return 204, None
        return error(404, "NOT_FOUND", "Comment not found", 0)

    def _network_size(self, request: Request) -> Answer:
        if refused := self._refused(request):
            return refused
        assert request.match is not None
        if (
            unquote(request.match["urn"]) != ORG
            or request.query.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER"
        ):
            return error(400, "ILLEGAL_ARGUMENT", "edgeType must be COMPANY_FOLLOWED_BY_MEMBER")
        return 200, {"firstDegreeSize": self.followers}

    def _page(self, request: Request, rows: list[dict[str, Any]], *, total: bool) -> dict[str, Any]:
        start = int(request.query.get("start", "0") or 0)
        count = int(request.query.get("count", "10") or 10)
        chunk = rows[start : start + count]
        paging: dict[str, Any] = {"start": start, "count": count, "links": []}
        if total:
            paging["total"] = len(rows)
        if start + count < len(rows):
            query = "&".join(f"{k}={v}" for k, v in {**request.query, "start": start + count}.items())
            paging["links"].append(
                {"type": "application/json", "rel": "next", "href": f"{request.path}?{query}"}
            )
        return {"paging": paging, "elements": chunk}


def _handler_for(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    """standin.py's handler, with answers that may carry headers, and 204 without a body."""

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=parts.path,
                query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                form={},
                json=json.loads(raw) if raw and "json" in self.headers.get("Content-Type", "") else None,
                headers={k.lower(): v for k, v in self.headers.items()},
            )
            answer: Any = stand_in._handle(request)
            if isinstance(answer, Delay):
                time.sleep(answer.seconds)
                answer = (answer.status, answer.body)
            status, body, headers = (*answer, {}) if len(answer) == 2 else answer
            data = b"" if body is None else json.dumps(body).encode("utf-8")
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting

        do_GET = do_POST = do_DELETE = _serve  # noqa: N815 (the names http.server calls)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def linkedin_api(settings: Any, *, timeout: float = 2.0) -> Iterator[LinkedInStandIn]:
    """The stand-in, with Kanalvakt's settings pointed at it (the pytest ``settings`` fixture)."""
    state = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    settings.LINKEDIN_API_URL = state.base_url
    settings.LINKEDIN_API_VERSION = VERSION
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.CONNECTOR_RETRY_DELAY = 0.0
    settings.CONNECTOR_TIMEOUT = timeout
    try:
        yield LinkedInStandIn(state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

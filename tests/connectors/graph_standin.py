"""A Graph API stand-in: tests/connectors/standin.py speaking Meta's documented shapes.

``graph_api(settings)`` starts the server, points ``META_GRAPH_URL`` at it and lets the outbound
check reach 127.0.0.1. Routes answer as Graph does:

- ``POST /{comment-id}/comments`` message=… → ``{"id": "…"}`` (a Facebook reply; also on a post),
- ``POST /{ig-comment-id}/replies`` message=… → ``{"id": "…"}`` (an Instagram reply),
- ``POST /{page-id}/messages`` JSON recipient/messaging_type/message → ``{"recipient_id", "message_id"}``,
- ``POST /{comment-id}`` is_hidden=true (Facebook) or hide=true (Instagram) → ``{"success": true}``,
- ``DELETE /{object-id}`` → ``{"success": true}``,
- lists as ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next": "…"}}``,
- errors as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.connectors.standin import Answer, Delay, Request, StandIn, stand_in

VERSION = "/v24.0"
_ids = itertools.count(900_000_001)


def error(
    code: int, message: str, *, subcode: int | None = None, status: int = 400, kind: str = "OAuthException"
) -> tuple[int, Any]:
    body: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode is not None:
        body["error_subcode"] = subcode
    return status, {"error": body}


TOKEN_EXPIRED = error(
    190,
    "Error validating access token: Session has expired on Thursday, 26-Nov-26 09:00:00 PST.",
    subcode=463,
)
RATE_LIMITED = {
    code: error(code, "Application request limit reached", kind="OAuthException") for code in (4, 17, 32, 613)
}
OUTSIDE_WINDOW = error(
    10, "(#10) This message is sent outside of allowed window.", subcode=2018278, kind="OAuthException"
)
SERVER_ERROR = (
    500,
    {
        "error": {
            "message": "An unexpected error has occurred. Please retry your request later.",
            "type": "OAuthException",
            "code": 2,
            "fbtrace_id": "X1",
        }
    },
)


class GraphStandIn:
    """The server and the routes a test adds, in Graph's words."""

    def __init__(self, server: StandIn) -> None:
        self.server = server
        self.base_url = server.base_url

    def path(self, tail: str) -> str:
        return f"{re.escape(VERSION)}/{tail}"

    def on(self, method: str, tail: str, answer: Any) -> None:
        """Answer ``method`` on ``/v24.0/<tail>`` (a regex) with ``answer`` (fixed, callable, Delay)."""
        self.server.route(method, self.path(tail), answer)

    def sequence(self, method: str, tail: str, *answers: Answer) -> None:
        """Answer in turn (the last one again and again): a rate limit, then a success."""
        queue = list(answers)

        def answer(_request: Request) -> Answer:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.on(method, tail, answer)

    def replies_ok(self, object_id: str, *, edge: str = "comments", new_id: str | None = None) -> str:
        made = new_id or f"{object_id}_{next(_ids)}"
        self.on("POST", f"{re.escape(object_id)}/{edge}", (200, {"id": made}))
        return made

    def permalink(self, object_id: str, url: str) -> None:
        self.on("GET", re.escape(object_id), (200, {"id": object_id, "permalink_url": url}))

    def message_ok(self, page_id: str, *, message_id: str = "m_ABC123") -> str:
        def answer(request: Request) -> Answer:
            return 200, {"recipient_id": request.json["recipient"]["id"], "message_id": message_id}

        self.on("POST", f"{re.escape(page_id)}/messages", answer)
        return message_id

    def success(self, method: str, object_id: str) -> None:
        self.on(method, re.escape(object_id), (200, {"success": True}))

    def paged(self, tail: str, pages: list[list[dict[str, Any]]], *, next_base: str | None = None) -> None:
        """A list in pages with cursors; ``next`` points under the base (or at ``next_base``)."""

        def answer(request: Request) -> Answer:
            index = int(request.query.get("after", "0") or 0)
            body: dict[str, Any] = {
                "data": pages[index] if index < len(pages) else [],
                "paging": {"cursors": {"before": str(index), "after": str(index + 1)}},
            }
            if index + 1 < len(pages):
                base = next_base or self.base_url
                body["paging"]["next"] = (
                    f"{base}{request.path[len(VERSION) :]}?access_token=from-meta&limit=25&after={index + 1}"
                )
            return 200, body

        self.on("GET", tail, answer)

    def sent(self, method: str | None = None, tail: str = ".*") -> list[Request]:
        return self.server.sent(method, self.path(tail))


@contextmanager
def graph_api(settings: Any, *, retry_delay: float = 0.01, timeout: float = 2.0) -> Iterator[GraphStandIn]:
    """The stand-in, with Kanalvakt's settings pointed at it (the pytest ``settings`` fixture)."""
    with stand_in(VERSION) as server:
        settings.META_GRAPH_URL = server.base_url
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
        settings.META_GRAPH_RETRY_DELAY = retry_delay
        settings.META_GRAPH_TIMEOUT = timeout
        yield GraphStandIn(server)


__all__ = [
    "OUTSIDE_WINDOW",
    "RATE_LIMITED",
    "SERVER_ERROR",
    "TOKEN_EXPIRED",
    "Delay",
    "GraphStandIn",
    "connect",
    "error",
    "graph_api",
]


def connect(
    account: Any,
    *,
    platform: str = "facebook",
    external_id: str = "1122334455",
    token: str = "EAAtoken-1",  # noqa: S107 (a test token)
) -> Any:
    """A live connection with a token, made directly, without the Graph API check of connectors.services."""
    from datetime import UTC, datetime

    from connectors.models import Connection

    connection = Connection(
        account=account,
        platform=platform,
        external_id=external_id,
        connected_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    connection.token = token
    connection.save()
    return connection

"""A stand-in for a Bluesky server, for what the reference network cannot show here: rate limits
(HTTP 429 with the ``ratelimit-*`` headers), 5xx answers, time-outs and Bluesky's chat service
(direct messages), which the reference network does not run. It speaks the documented shapes:
XRPC errors are ``{"error", "message"}`` (https://atproto.com/specs/xrpc), rate limits
https://docs.bsky.app/docs/advanced-guides/rate-limits, chat https://docs.bsky.app/docs/api/chat-bsky-convo-list-convos.

Routes are (method, NSID) → a function of the request returning (status, body) or (status, body,
headers), or a ``Delay``; every request is recorded.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OWN_DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
VISITOR_DID = "did:plc:z72i7hdynmk6r22z27h6tvur"


@dataclass
class Request:
    method: str
    nsid: str
    query: dict[str, list[str]]
    json: Any
    headers: dict[str, str]


@dataclass
class Delay:
    seconds: float
    status: int = 200
    body: Any = field(default_factory=dict)


Answer = tuple[int, Any] | tuple[int, Any, dict[str, str]] | Delay


def jwt(claims: dict[str, Any]) -> str:
    """A token shaped like the PDS's (the stand-in does not check signatures)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'typ': 'at+jwt', 'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJl"


def session(
    scope: str = "com.atproto.appPassPrivileged", *, did: str = OWN_DID, ttl: int = 3600
) -> dict[str, str]:
    exp = int(time.time()) + ttl
    return {
        "accessJwt": jwt({"scope": scope, "sub": did, "exp": exp}),
        "refreshJwt": jwt({"scope": "com.atproto.refresh", "sub": did, "exp": exp + 86400, "jti": str(exp)}),
        "did": did,
        "handle": "kau.se",
    }


def error(status: int, name: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    return (status, {"error": name, "message": message}, headers or {})


class Server:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable[[Request], Answer]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.base_url = ""

    def route(self, method: str, nsid: str, answer: Callable[[Request], Answer] | Answer) -> None:
        if callable(answer):
            self.routes[(method, nsid)] = answer
        else:
            fixed: Answer = answer
            self.routes[(method, nsid)] = lambda _request: fixed

    def sent(self, nsid: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.nsid == nsid]


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                nsid=parts.path.removeprefix("/xrpc/"),
                query=parse_qs(parts.query),
                json=json.loads(raw) if raw else None,
                headers={k.lower(): v for k, v in self.headers.items()},
            )
            with server.lock:
                server.requests.append(request)
            route = server.routes.get((request.method, request.nsid))
            answer: Answer = (
                route(request) if route else error(501, "MethodNotImplemented", "Method Not Implemented")
            )
            headers: dict[str, str] = {}
            if isinstance(answer, Delay):
                time.sleep(answer.seconds)
                status, body = answer.status, answer.body
            elif len(answer) == 3:
                status, body, headers = answer
            else:
                status, body = answer
            data = json.dumps(body).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass

        do_GET = do_POST = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def bluesky_server() -> Iterator[Server]:
    state = Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)

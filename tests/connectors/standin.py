"""A stand-in for a platform's HTTP API, started by a test: the platforms cannot be reached from here,
so the tests speak their documented request and response shapes to this server instead.

Routes are (method, path pattern) → a function of the request returning (status, JSON body), or a
``Delay`` to hold the answer back (a time-out). Every request is recorded, so that a test asserts
what was sent (the reply's text, the token, the hide flag).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    json: Any
    headers: dict[str, str]
    match: re.Match[str] | None = None

    @property
    def params(self) -> dict[str, str]:
        """Query and form together, as Graph reads them."""
        return {**self.query, **self.form}


@dataclass
class Delay:
    """Hold the answer back this many seconds, then answer (or not, when the client gave up)."""

    seconds: float
    status: int = 200
    body: Any = field(default_factory=dict)


Answer = tuple[int, Any] | Delay
Route = Callable[[Request], Answer]


class StandIn:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.base_url = ""

    def route(self, method: str, pattern: str, answer: Route | Answer) -> None:
        """Answer ``method`` on paths matching ``pattern`` (a full match); later routes win."""
        if callable(answer):
            handler: Route = answer
        else:
            fixed: Answer = answer

            def handler(_request: Request) -> Answer:
                return fixed

        self.routes.insert(0, (method, re.compile(pattern), handler))

    def sent(self, method: str | None = None, pattern: str = ".*") -> list[Request]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and re.fullmatch(pattern, r.path)
            ]

    def _handle(self, request: Request) -> Answer:
        with self.lock:
            self.requests.append(request)
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                request.match = match
                return handler(request)
        return 404, {"error": {"message": "Unknown path", "type": "GraphMethodException", "code": 100}}


def _handler_for(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            form: dict[str, str] = {}
            body_json: Any = None
            content_type = self.headers.get("Content-Type", "")
            if "json" in content_type and raw:
                body_json = json.loads(raw)
            elif raw:
                form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
            request = Request(
                method=self.command,
                path=parts.path,
                query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                form=form,
                json=body_json,
                headers={k.lower(): v for k, v in self.headers.items()},
            )
            answer = stand_in._handle(request)
            if isinstance(answer, Delay):
                time.sleep(answer.seconds)
                status, body = answer.status, answer.body
            else:
                status, body = answer
            data = b"" if status == 204 else json.dumps(body).encode("utf-8")  # No Content: no body
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
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
def stand_in(prefix: str = "") -> Iterator[StandIn]:
    """A StandIn served on 127.0.0.1 in a thread; ``base_url`` ends with ``prefix`` (e.g. "/v24.0")."""
    server_state = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(server_state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server_state.base_url = f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

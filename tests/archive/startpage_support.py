"""Fixtures shared by the start-page tests (KAU-STARTPAGE): a media root per test, a picture to
upload, a fixed "now", and a page served on 127.0.0.1 for Chromium to capture."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from moderation.deadlines import STOCKHOLM
from tests import support

# A fixed "now": Thursday 26 November 2026, 10:00 in Stockholm. No test depends on today's date.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM)

START_PAGE = (
    "<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>Konto</title></head>"
    "<body style='background:#fff'><h1>Institutionens Instagram</h1><p>Välkommen till vår startsida.</p>"
    "</body></html>"
).encode()


@pytest.fixture(autouse=True, name="media_root")
def media_root_fixture(media_root: Path) -> Path:
    """The media folder of tests/conftest.py, for every test that imports this."""
    return media_root


def png(size: tuple[int, int] = (160, 120), colour: tuple[int, int, int] = (30, 60, 200)) -> bytes:
    return support.png(size, colour)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/missing"):
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"<!doctype html><title>Saknas</title><p>Finns inte.</p>")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(START_PAGE)))
        self.end_headers()
        self.wfile.write(START_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(name="start_page_server")
def start_page_server_fixture(settings: Any) -> Iterator[str]:
    """An account's public start page, served on 127.0.0.1 in a thread: its base URL."""
    # The page is on 127.0.0.1, which a capture reaches only because the test setting allows it.
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

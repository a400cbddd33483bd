"""Fixtures shared by the start-page tests (KAU-STARTPAGE): a media root per test, a picture to
upload, a fixed "now", and a page served on 127.0.0.1 for Chromium to capture."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.calendar import STOCKHOLM
from tests import support
from tests.support import QuietHandler, serve

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


class _Handler(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        if self.path.startswith("/missing"):
            self.send_html(404, b"<!doctype html><title>Saknas</title><p>Finns inte.</p>")
        else:
            self.send_html(200, START_PAGE)


@pytest.fixture(name="start_page_server")
def start_page_server_fixture(settings: Any) -> Iterator[str]:
    """An account's public start page, served on 127.0.0.1 in a thread: its base URL."""
    # The page is on 127.0.0.1, which a capture reaches only because the test setting allows it.
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    with serve(_Handler) as url:
        yield url

"""A capture never reaches an inside address (KAU-STARTPAGE, KAU-DIARY-ACTION captures), with the
real Chromium and the real service ``archive.services.capture_screenshot``.

The "inside" of the server is played by loopback: Linux answers on all of 127.0.0.0/8, so a page is
served on 127.0.0.1 (which only the test setting KANALVAKT_OUTBOUND_ALLOW_NETWORKS lets through) and
the inside targets listen on 127.0.0.2 and on ::1, recording every connection and every UDP datagram
that reaches them. A refused capture is a failed attempt with a plain reason, told to the account
owner, and keeps nothing: no screenshot row, no file, no ledger entry.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation

from archive import services
from archive.models import CaptureAttempt
from core.models import Notification
from tests.archive.screenshot_support import NOW, account, make_item, media_root, nothing_stored
from tests.conftest import Cast
from tests.support import QuietHandler

__all__ = ["account", "make_item", "media_root"]

PAGE = """<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Kontot</title></head>
<body><h1>Välkommen till kontot</h1></body></html>"""

# Every way a page can make the browser reach another address without navigating the main frame.
# {i} is the inside HTTP target on 127.0.0.2, {d} the same address in decimal, {v6} the target on ::1,
# {u} the UDP port on 127.0.0.2; the slow image on the page's own origin holds the load event long
# enough for the asynchronous ones (fetch, WebSocket, WebRTC) to have been tried.
SUBRESOURCES = """<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Kontot</title>
<link rel="stylesheet" href="http://127.0.0.2:{i}/style.css">
<link rel="prefetch" href="http://127.0.0.2:{i}/prefetch">
<link rel="preconnect" href="http://127.0.0.2:{i}">
<script src="http://127.0.0.2:{i}/script.js"></script>
<script>
  fetch("http://127.0.0.2:{i}/fetch", {{mode: "no-cors"}}).catch(() => {{}});
  fetch("http://{d}:{i}/decimal", {{mode: "no-cors"}}).catch(() => {{}});
  fetch("http://[::1]:{v6}/ipv6", {{mode: "no-cors"}}).catch(() => {{}});
  try {{ new WebSocket("ws://127.0.0.2:{i}/socket"); }} catch (e) {{}}
  try {{ new EventSource("http://127.0.0.2:{i}/events"); }} catch (e) {{}}
  navigator.sendBeacon("http://127.0.0.2:{i}/beacon", "x");
  try {{
    const pc = new RTCPeerConnection({{iceServers: [
      {{urls: "stun:127.0.0.2:{u}"}}, {{urls: "turn:127.0.0.2:{u}", username: "u", credential: "p"}}]}});
    pc.createDataChannel("x");
    pc.createOffer().then(offer => pc.setLocalDescription(offer));
  }} catch (e) {{}}
</script></head>
<body><h1>Välkommen till kontot</h1>
<img src="http://127.0.0.2:{i}/image.png" alt="">
<img src="http://[::1]:{v6}/image.png" alt="">
<iframe src="http://127.0.0.2:{i}/frame" title="inbäddat"></iframe>
<video src="http://127.0.0.2:{i}/video.mp4"></video>
<img src="/slow.png" alt="">
</body></html>"""


class Server:
    """An HTTP server in a thread that records every connection made to it and what was asked."""

    def __init__(self, host: str) -> None:
        self.connections = 0
        self.requests: list[str] = []
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                server.requests.append(self.path)
                parts = urlsplit(self.path)
                if parts.path == "/konto":
                    self.send_html(200, PAGE.encode())
                elif parts.path == "/vidare":  # a redirect of the page itself, to ?till=<address>
                    self.send_response(302)
                    self.send_header("Location", parse_qs(parts.query)["till"][0])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif parts.path == "/inbaddat":
                    self.send_html(200, server.subresources.encode())
                elif parts.path == "/slow.png":
                    time.sleep(1.5)
                    self.send_html(404, b"")
                else:
                    self.send_html(200, b"inside")

            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                self.do_GET()

        class Recording(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
            daemon_threads = True

            def verify_request(self, request: Any, client_address: Any) -> bool:
                server.connections += 1
                return True

        self.subresources = ""
        self.httpd = Recording((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.host = host
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    @property
    def reached(self) -> bool:
        return bool(self.connections or self.requests)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Udp:
    """A UDP socket on 127.0.0.2 that counts the datagrams it receives (STUN, TURN)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.2", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.datagrams = 0
        self.running = True
        self.thread = threading.Thread(target=self._count, daemon=True)
        self.thread.start()

    def _count(self) -> None:
        while self.running:
            try:
                self.sock.recv(2048)
            except OSError:
                continue
            self.datagrams += 1

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def site() -> Iterator[Server]:
    """The page to capture, on 127.0.0.1."""
    running = Server("127.0.0.1")
    yield running
    running.close()


@pytest.fixture
def inside() -> Iterator[dict[str, Any]]:
    """What must never be reached: HTTP on 127.0.0.2 and ::1, UDP on 127.0.0.2."""
    targets: dict[str, Any] = {"v4": Server("127.0.0.2"), "v6": Server("::1"), "udp": Udp()}
    yield targets
    for target in targets.values():
        target.close()


def never_reached(inside: dict[str, Any]) -> bool:
    return not inside["v4"].reached and not inside["v6"].reached and inside["udp"].datagrams == 0


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def allow_nothing(settings: Any) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []


def capture(account: Any, cast: Cast, url: str, **options: Any) -> CaptureAttempt:
    options.setdefault("timeout_ms", 4000)
    with translation.override("en"):
        return services.capture_screenshot(
            account, url=url, purpose="startpage", by=cast["deputy"], now=NOW, **options
        )


def told_to_owner(cast: Cast, attempt: CaptureAttempt) -> bool:
    return Notification.objects.filter(
        kind="capture_failed", recipient=cast["communicator"], key__startswith=f"capture:{attempt.pk}:failed"
    ).exists()


def assert_refused(attempt: CaptureAttempt, cast: Cast, media_root: Path, *words: str) -> None:
    attempt.refresh_from_db()
    assert attempt.outcome == CaptureAttempt.Outcome.FAILED
    assert attempt.error.startswith("The capture was refused:"), attempt.error
    for word in words:
        assert word in attempt.error, attempt.error
    assert attempt.screenshot is None
    assert attempt.finished_at is not None
    assert nothing_stored(media_root)
    assert told_to_owner(cast, attempt)


# --- The test setting ------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_page_on_loopback_is_refused_unless_the_test_setting_allows_it(
    account: Any, cast: Cast, site: Server, media_root: Path, settings: Any
) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []
    attempt = capture(account, cast, site.url("/konto"))
    assert_refused(attempt, cast, media_root, "127.0.0.1 is not a public address (loopback)")
    assert not site.reached

    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    attempt = capture(account, cast, site.url("/konto"))
    assert attempt.outcome == CaptureAttempt.Outcome.CAPTURED, attempt.error
    assert "/konto" in site.requests


# --- Each refused kind, asked for directly --------------------------------------------------------------

# (url, words in the reason); {s} is the page's port on 127.0.0.1, {i} the inside port on 127.0.0.2,
# {v6} the inside port on ::1.
ASKED_FOR = [
    ("http://127.0.0.1:{s}/konto", "(loopback)"),
    ("http://127.1:{s}/konto", "127.0.0.1 is not a public address"),
    ("http://2130706433:{s}/konto", "127.0.0.1 is not a public address"),
    ("http://0x7f000001:{s}/konto", "127.0.0.1 is not a public address"),
    ("http://0x7f.1:{s}/konto", "127.0.0.1 is not a public address"),
    ("http://0177.0.0.1:{s}/konto", "127.0.0.1 is not a public address"),
    ("http://localhost:{s}/konto", "(loopback)"),
    ("http://127.0.0.2:{i}/konto", "(loopback)"),
    ("http://[::1]:{v6}/konto", "(loopback)"),
    ("http://[::ffff:127.0.0.2]:{i}/konto", "(loopback)"),
    ("http://0.0.0.0:{s}/konto", "(unspecified)"),
    ("http://[::]:{v6}/konto", "(unspecified)"),
    ("http://10.0.0.1/", "(private network)"),
    ("http://172.16.0.1/", "(private network)"),
    ("http://192.168.1.1/", "(private network)"),
    ("http://100.64.0.1/", "(shared address space)"),
    ("http://169.254.169.254/latest/meta-data/", "(link-local)"),
    ("http://[fe80::1]/", "(link-local)"),
    ("http://[fd00::1]/", "(unique local)"),
    ("http://224.0.0.1/", "(multicast)"),
    ("http://[ff02::1]/", "(multicast)"),
    ("http://240.0.0.1/", "(reserved)"),
    ("http://255.255.255.255/", "(reserved)"),
    ("http://[64:ff9b::7f00:1]/", "(loopback)"),
    ("http://[2002:a9fe:a9fe::]/", "(link-local)"),
    ("http://8.8.8.8:8080/", "ports 80 and 443"),
    ("http://www.kau.se@127.0.0.1:{s}/konto", "user name or password"),
    ("file:///etc/passwd", "only http and https"),
    ("ftp://127.0.0.1:{s}/", "only http and https"),
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("url", "words"), ASKED_FOR)
def test_each_refused_kind_is_a_failed_attempt_that_keeps_nothing(
    account: Any,
    cast: Cast,
    site: Server,
    inside: dict[str, Any],
    media_root: Path,
    allow_nothing: None,
    url: str,
    words: str,
) -> None:
    target = url.format(s=site.port, i=inside["v4"].port, v6=inside["v6"].port)
    attempt = capture(account, cast, target)
    assert_refused(attempt, cast, media_root, words)
    assert not site.reached
    assert never_reached(inside)


# --- Redirects and everything the page loads pass the browser's proxy -------------------------------------

REDIRECTED_TO = [
    ("http://127.0.0.2:{i}/konto", "127.0.0.2 is not a public address (loopback)"),
    ("http://2130706434:{i}/konto", "127.0.0.2 is not a public address (loopback)"),
    ("http://0x7f000002:{i}/konto", "127.0.0.2 is not a public address (loopback)"),
    ("http://127.0.0.2.:{i}/konto", "(loopback)"),
    ("http://[::1]:{v6}/konto", "::1 is not a public address (loopback)"),
    ("http://[::ffff:127.0.0.2]:{i}/konto", "(loopback)"),
    ("http://10.0.0.1/", "10.0.0.1 is not a public address (private network)"),
    ("http://100.64.0.1/", "(shared address space)"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is not a public address (link-local)"),
    ("http://[fd00::1]/", "(unique local)"),
    ("http://[fe80::1]/", "(link-local)"),
    ("http://240.0.0.1/", "(reserved)"),
    ("http://8.8.8.8:8080/", "ports 80 and 443"),
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("to", "words"), REDIRECTED_TO)
def test_a_redirect_to_an_inside_address_is_refused(
    account: Any,
    cast: Cast,
    site: Server,
    inside: dict[str, Any],
    media_root: Path,
    allow_loopback: None,
    to: str,
    words: str,
) -> None:
    target = to.format(i=inside["v4"].port, v6=inside["v6"].port)
    attempt = capture(account, cast, site.url(f"/vidare?till={target}"))
    assert_refused(attempt, cast, media_root, words)
    assert site.requests[0].startswith("/vidare")
    assert never_reached(inside)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("block_other_origins", [False, True])
def test_nothing_the_page_loads_reaches_an_inside_address(
    account: Any,
    cast: Cast,
    site: Server,
    inside: dict[str, Any],
    allow_loopback: None,
    block_other_origins: bool,
) -> None:
    """Images, scripts, styles, frames, fetch, beacons, WebSocket, EventSource and WebRTC to 127.0.0.2
    and ::1: the page itself is captured, and none of them reaches the inside."""
    site.subresources = SUBRESOURCES.format(
        i=inside["v4"].port, d=2130706434, v6=inside["v6"].port, u=inside["udp"].port
    )
    attempt = capture(
        account, cast, site.url("/inbaddat"), block_other_origins=block_other_origins, timeout_ms=8000
    )
    assert attempt.outcome == CaptureAttempt.Outcome.CAPTURED, attempt.error
    assert "/slow.png" in site.requests
    time.sleep(0.5)  # a datagram or connection still on its way would be counted now
    assert never_reached(inside), (inside["v4"].requests, inside["v6"].requests, inside["udp"].datagrams)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_capture_of_the_item_refused_at_its_address_is_told_on_the_item_page(
    client: Any, cast: Cast, make_item: Any, site: Server, allow_nothing: None, media_root: Path
) -> None:
    from django.conf import settings as django_settings
    from django.contrib.messages import get_messages
    from django.urls import reverse

    item = make_item(url=site.url("/konto"))
    client.force_login(cast["deputy"])
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("archive:item_capture", args=[item.pk]))
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "not a public address" in message
    assert CaptureAttempt.objects.get().outcome == CaptureAttempt.Outcome.FAILED
    assert nothing_stored(media_root)
    assert not site.reached

"""Capture with the real system Chromium of pages served on 127.0.0.1 (KAU-STARTPAGE, KAU-DIARY-ACTION):
a captured page becomes a stamped, hashed screenshot in the ledger; a failure (time-out, login wall,
an answer other than 200) is recorded on the attempt and told to the account owner once, never silent."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from archive import services
from archive.capture import CaptureFailed, capture_page, looks_like_login
from archive.ledger import verify
from archive.models import CaptureAttempt, LedgerEntry, Screenshot
from core.models import Notification
from tests.archive.screenshot_support import NOW, account, make_item, media_root, nothing_stored
from tests.conftest import Cast
from tests.support import QuietHandler

__all__ = ["account", "make_item", "media_root"]

WELCOME = """<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Kontot</title></head>
<body><h1>Välkommen till kontot</h1><p>Inlägg och svar.</p>
<img src="http://localhost:{port}/tracker.png" alt=""></body></html>"""
LOGIN = """<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Kontot</title></head>
<body><form><label>Lösenord <input type="password" name="pw"></label></form></body></html>"""


class Site:
    """A tiny web site on 127.0.0.1 in a thread: what the browser asked for, and by which host."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.release = threading.Event()
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                site.requests.append((self.headers.get("Host", ""), self.path))
                if self.path == "/konto":
                    self.send_html(200, WELCOME.format(port=site.port).encode())
                elif self.path == "/inloggning-kravs":
                    self.send_html(200, LOGIN.encode())
                elif self.path == "/logga-in":
                    self.send_html(200, b"<!doctype html><title>Logga in</title><p>Hej</p>")
                elif self.path == "/flyttad":
                    self.send_response(302)
                    self.send_header("Location", "/logga-in")
                    self.end_headers()
                elif self.path == "/langsam":
                    site.release.wait(timeout=30)  # never answers within the capture's time
                    self.send_html(200, b"<p>sent</p>")
                else:
                    self.send_html(404, b"<!doctype html><title>Saknas</title><p>Finns inte</p>")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def site(settings: Any) -> Iterator[Site]:
    # The page is on 127.0.0.1, which a capture reaches only because the test setting allows it.
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    running = Site()
    running.thread.start()
    yield running
    running.release.set()
    running.server.shutdown()
    running.server.server_close()


def capture(account: Any, cast: Cast, url: str, **options: Any) -> CaptureAttempt:
    with translation.override("en"):
        return services.capture_screenshot(
            account, url=url, purpose="startpage", by=cast["deputy"], now=NOW, **options
        )


def owner_notifications(cast: Cast) -> list[Notification]:
    return list(Notification.objects.filter(kind="capture_failed", recipient=cast["communicator"]))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_captured_page_is_kept_stamped_hashed_and_ledgered(
    account: Any, cast: Cast, site: Site, media_root: Path
) -> None:
    attempt = capture(account, cast, site.url("/konto"))
    assert attempt.outcome == CaptureAttempt.Outcome.CAPTURED, attempt.error
    assert attempt.http_status == 200
    assert attempt.finished_at is not None
    assert attempt.finished_at >= NOW
    shot = Screenshot.objects.get()
    assert attempt.screenshot == shot
    assert shot.source == Screenshot.Source.CAPTURE
    assert shot.source_url == site.url("/konto")
    assert shot.purpose == "startpage"
    assert shot.taken_by == cast["deputy"]
    assert shot.content_type == "image/png"
    assert hashlib.sha256((media_root / shot.image.name).read_bytes()).hexdigest() == shot.sha256
    assert hashlib.sha256((media_root / shot.stamped.name).read_bytes()).hexdigest() == shot.stamped_sha256
    assert shot.width >= 1280
    assert list(LedgerEntry.objects.values_list("kind", "path")) == [
        ("original", shot.image.name),
        ("stamped", shot.stamped.name),
    ]
    assert verify() == []
    assert owner_notifications(cast) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_other_origins_are_blocked_unless_allowed(account: Any, cast: Cast, site: Site) -> None:
    """localhost is another origin than 127.0.0.1: the tracker image is never fetched."""
    capture(account, cast, site.url("/konto"))
    assert ("127.0.0.1", "/konto") in {(host.split(":")[0], path) for host, path in site.requests}
    assert not [path for host, path in site.requests if host.startswith("localhost")]
    capture(account, cast, site.url("/konto"), block_other_origins=False)
    assert [path for host, path in site.requests if host.startswith("localhost")] == ["/tracker.png"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/saknas", 404, "HTTP status 404"),
        ("/inloggning-kravs", 200, "asks for a login"),  # a password field
        ("/flyttad", 200, "asks for a login"),  # redirected to a login address
        ("/langsam", None, "did not load within"),
    ],
)
def test_a_failed_capture_is_recorded_and_told_to_the_owner_once(
    account: Any, cast: Cast, site: Site, media_root: Path, path: str, status: int | None, reason: str
) -> None:
    attempt = capture(account, cast, site.url(path), timeout_ms=1500)
    attempt.refresh_from_db()
    assert attempt.outcome == CaptureAttempt.Outcome.FAILED
    assert reason in attempt.error
    assert attempt.http_status == status
    assert attempt.finished_at is not None
    assert attempt.screenshot is None
    assert nothing_stored(media_root)
    [notification] = owner_notifications(cast)
    assert notification.url == reverse("accounts:detail", args=[account.pk])
    assert site.url(path) in notification.body
    assert attempt.error in notification.body
    # Reporting the same attempt again tells nobody twice.
    services._capture_failed(attempt, reason=attempt.error, status=status, now=NOW)
    assert len(owner_notifications(cast)) == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_failed_attempt_is_told(account: Any, cast: Cast, site: Site) -> None:
    capture(account, cast, site.url("/saknas"))
    capture(account, cast, site.url("/saknas"))
    assert CaptureAttempt.objects.filter(outcome="failed").count() == 2
    assert len(owner_notifications(cast)) == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_unreachable_address_is_a_network_failure(account: Any, cast: Cast, site: Site) -> None:
    closed = Site()  # bound, never serving, then closed: nothing listens on its port
    closed.server.server_close()
    attempt = capture(account, cast, closed.url("/konto"))
    assert attempt.outcome == CaptureAttempt.Outcome.FAILED
    assert "could not be reached" in attempt.error
    assert len(owner_notifications(cast)) == 1


@pytest.mark.browser
def test_capture_page_works_where_an_asyncio_loop_is_running(site: Site) -> None:
    """Playwright's sync API refuses a running loop; the capture then runs in a worker thread."""

    async def inside_a_loop() -> bytes:
        asyncio.get_running_loop()  # a loop runs here, as in an async view
        with translation.override("en"), pytest.raises(CaptureFailed, match="HTTP status 404"):
            capture_page(site.url("/saknas"))  # the worker thread speaks the caller's language
        return capture_page(site.url("/konto")).png

    results: list[bytes] = []
    # A thread of its own: this test's thread may already run a browser test's loop.
    worker = threading.Thread(target=lambda: results.append(asyncio.run(inside_a_loop())))
    worker.start()
    worker.join(timeout=60)
    assert results
    assert results[0].startswith(b"\x89PNG")


@pytest.mark.browser
def test_capture_page_raises_with_a_code(site: Site) -> None:
    with pytest.raises(CaptureFailed) as failure:
        capture_page(site.url("/saknas"))
    assert (failure.value.code, failure.value.status) == ("status", 404)


@pytest.mark.django_db(transaction=True)
def test_capture_refuses_to_run_inside_a_transaction(account: Any, cast: Cast) -> None:
    """Chromium takes seconds; no transaction (and none of its locks) may stay open meanwhile."""
    with pytest.raises(RuntimeError), transaction.atomic():
        services.capture_screenshot(account, url="http://127.0.0.1:9/", purpose="startpage", by=None, now=NOW)
    assert not CaptureAttempt.objects.exists()


def test_only_http_addresses_are_captured() -> None:
    with pytest.raises(CaptureFailed) as failure:
        capture_page("file:///etc/passwd")
    assert failure.value.code == "refused"


@pytest.mark.parametrize(
    ("url", "title", "password", "expected"),
    [
        ("https://www.instagram.com/accounts/login/?next=/kau/", "Instagram", False, True),
        ("https://www.facebook.com/login.php", "Facebook", False, True),
        ("https://x.com/i/flow/login", "X", False, True),
        ("https://www.linkedin.com/authwall?trk=1", "LinkedIn", False, True),
        ("https://www.linkedin.com/checkpoint/lg/login", "LinkedIn", False, True),
        ("https://example.se/konto", "Logga in – Exempel", False, True),
        ("https://example.se/konto", "Sign in", False, True),
        ("https://example.se/konto", "Kontot", True, True),
        ("https://example.se/author/anna", "Anna", False, False),
        ("https://www.kau.se/", "Karlstads universitet", False, False),
    ],
)
def test_the_login_wall_heuristic(url: str, title: str, password: bool, expected: bool) -> None:
    assert looks_like_login(url=url, title=title, has_password_field=password) is expected

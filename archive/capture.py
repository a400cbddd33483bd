"""Capturing a public page with headless Chromium (KAU-STARTPAGE, KAU-DIARY-ACTION). No ORM.

``capture_page`` opens the address in the system Chromium (Playwright's sync API, never a downloaded
browser), waits for the page to load and takes a full-page PNG; or it raises ``CaptureFailed`` with a
reason a person can act on: the page did not load in time, it answered with another status than 200,
it is behind a login (platforms often are), or the network failed. A failure is never turned into an
empty or partial screenshot.

A browser is launched per call, with a profile of its own: a capture is rare (a person's button, or
the daily start-page job) and takes seconds anyway, and a fresh browser and profile carry no cookies,
cache or crash from one capture to the next.

With ``block_other_origins`` only the page's own origin is loaded: trackers, embeds and ads from
elsewhere are refused, so the capture does not hand the visit to third parties and is not held up by
them. The main frame may still be redirected (http to https, a www host), and the origin it lands on
is the one allowed.

Whatever the page asks for, the browser reaches only public addresses on ports 80 and 443
(core.outbound): the address is checked before the browser starts, and the browser's every connection
(the page, each redirect, everything the page loads, WebSockets) goes through a proxy of its own that
resolves, checks and pins each one (core.outbound_proxy). A page or a redirect that leads inside fails
with the code "refused" and a reason that names the address; anything else the page wanted from inside
is simply not loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.utils import translation
from django.utils.translation import gettext as _

from core import outbound
from core.outbound_proxy import OutboundProxy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps calling home, which a closed network answers with time-outs.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1280, 900

# What a login wall looks like: an address or a title about signing in, or a password field.
LOGIN_URL = re.compile(
    r"(^|[/._?=&-])(login|log-in|signin|sign-in|sign_in|logga-in|loggain|auth|authwall|authenticate|sso|checkpoint)"
    r"([/._?=&-]|$)",
    re.IGNORECASE,
)
LOGIN_TITLE = re.compile(r"\b(log ?in|sign ?in|logga in|inloggning)\b", re.IGNORECASE)


class CaptureFailed(Exception):
    """The page could not be captured; the message says why, for the account owner.

    ``code`` is one of "refused" (the address, or a redirect, leads to an address Kanalvakt does not fetch),
    "timeout", "login", "status", "network", "browser"; ``status`` the HTTP status when the page answered.
    """

    def __init__(self, reason: str, *, code: str, status: int | None = None, final_url: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.status = status
        self.final_url = final_url


@dataclass(frozen=True)
class CaptureResult:
    png: bytes
    final_url: str
    status: int
    seconds: float


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def looks_like_login(*, url: str, title: str, has_password_field: bool) -> bool:
    """The heuristic for a login wall: the final address or the title is about signing in, or the
    page asks for a password."""
    parts = urlsplit(url)
    return bool(
        has_password_field or LOGIN_URL.search(f"{parts.path}?{parts.query}") or LOGIN_TITLE.search(title)
    )


def capture_page(url: str, *, block_other_origins: bool = True, timeout_ms: int = 20000) -> CaptureResult:
    """A full-page PNG of ``url`` as Chromium shows it, or CaptureFailed with the reason.

    The address is checked first (core.outbound: scheme, port, and every address the name resolves
    to), so that a refused address never starts a browser.

    Playwright's sync API refuses to run where an asyncio loop is running in the thread (an async
    view, a test's browser); there the capture runs in a worker thread of its own.
    """
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise _refused(exc, url=url) from exc
    except outbound.OutboundUnreachable as exc:
        raise CaptureFailed(
            _("The page could not be reached: %(error)s") % {"error": exc.reason}, code="network"
        ) from exc
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _capture(url, block_other_origins=block_other_origins, timeout_ms=timeout_ms)
    language = translation.get_language()  # the active language is per thread: carry it over

    def in_worker() -> CaptureResult:
        with translation.override(language):
            return _capture(url, block_other_origins=block_other_origins, timeout_ms=timeout_ms)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="capture") as pool:
        return pool.submit(in_worker).result()


def _capture(url: str, *, block_other_origins: bool, timeout_ms: int) -> CaptureResult:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    seconds = max(1, round(timeout_ms / 1000))
    with (
        OutboundProxy() as proxy,
        tempfile.TemporaryDirectory(prefix="kanalvakt-capture-", ignore_cleanup_errors=True) as profile,
        sync_playwright() as playwright,
    ):
        # A fresh profile per capture: no cookies or cache carried over, and the proxy's preferences.
        proxy.prepare_chromium_profile(Path(profile))
        try:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=[*CHROMIUM_ARGS, *proxy.chromium_args()],
                viewport={"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT},
                locale="sv-SE",
                timezone_id="Europe/Stockholm",
                service_workers="block",
            )
        except PlaywrightError as exc:
            raise CaptureFailed(
                _("The browser could not be started: %(error)s") % {"error": _first_line(exc)},
                code="browser",
            ) from exc
        try:
            page = context.pages[0] if context.pages else context.new_page()
            allowed = {"origin": _origin(url)}

            def route(request_route: Any) -> None:
                request = request_route.request
                if request.is_navigation_request() and request.frame == page.main_frame:
                    allowed["origin"] = _origin(request.url)  # a redirect of the page itself
                    request_route.continue_()
                elif _origin(request.url) == allowed["origin"]:
                    request_route.continue_()
                else:
                    request_route.abort("blockedbyclient")

            navigations: list[str] = []  # the page's own requests: the address, then each redirect

            def on_request(request: Any) -> None:
                with contextlib.suppress(PlaywrightError):
                    if request.is_navigation_request() and request.frame == page.main_frame:
                        navigations.append(request.url)

            page.on("request", on_request)
            if block_other_origins:
                page.route("**/*", route)
            try:
                response = page.goto(url, wait_until="load", timeout=timeout_ms)
            except PlaywrightTimeout as exc:
                raise CaptureFailed(
                    _("The page did not load within %(seconds)d seconds.") % {"seconds": seconds},
                    code="timeout",
                ) from exc
            except PlaywrightError as exc:
                _raise_if_refused(proxy, navigations)
                raise CaptureFailed(
                    _("The page could not be reached: %(error)s") % {"error": _first_line(exc)},
                    code="network",
                ) from exc
            final_url = page.url
            if response is None:
                _raise_if_refused(proxy, navigations)
                raise CaptureFailed(_("The page gave no answer."), code="network", final_url=final_url)
            if response.status != 200:
                raise CaptureFailed(
                    _("The page answered with HTTP status %(status)d, not 200.")
                    % {"status": response.status},
                    code="status",
                    status=response.status,
                    final_url=final_url,
                )
            try:
                title = page.title()
                has_password = page.locator("input[type=password]").count() > 0
                if looks_like_login(url=final_url, title=title, has_password_field=has_password):
                    raise CaptureFailed(
                        _("The page asks for a login; upload a screenshot taken while logged in instead."),
                        code="login",
                        status=response.status,
                        final_url=final_url,
                    )
                remaining = max(1000, timeout_ms - int((time.monotonic() - started) * 1000))
                png = page.screenshot(full_page=True, type="png", timeout=remaining, animations="disabled")
                # The page may have sent itself elsewhere after it loaded (a script, a refresh).
                _raise_if_refused(proxy, [*navigations, page.url])
            except PlaywrightTimeout as exc:
                raise CaptureFailed(
                    _("The page did not load within %(seconds)d seconds.") % {"seconds": seconds},
                    code="timeout",
                    status=response.status,
                    final_url=final_url,
                ) from exc
            except PlaywrightError as exc:
                raise CaptureFailed(
                    _("The page could not be captured: %(error)s") % {"error": _first_line(exc)},
                    code="network",
                    status=response.status,
                    final_url=final_url,
                ) from exc
        finally:
            context.close()
    return CaptureResult(
        png=png, final_url=final_url, status=response.status, seconds=time.monotonic() - started
    )


def _refused(refusal: outbound.OutboundRefused, *, url: str) -> CaptureFailed:
    return CaptureFailed(
        _("The capture was refused: %(reason)s") % {"reason": refusal.reason}, code="refused", final_url=url
    )


def _raise_if_refused(proxy: OutboundProxy, navigations: list[str]) -> None:
    """Raise "refused" when the proxy refused the page itself or one of its redirects."""
    for address in reversed(navigations):
        parts = urlsplit(address)
        if parts.scheme not in outbound.DEFAULT_PORTS or not parts.hostname:
            continue
        try:
            port = parts.port or outbound.DEFAULT_PORTS[parts.scheme]
        except ValueError:
            continue
        refusal = proxy.refusal_for(parts.hostname, port)
        if refusal is not None:
            raise _refused(refusal, url=address)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]

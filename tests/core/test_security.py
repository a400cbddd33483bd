"""Sign-in lockout, Content-Security-Policy without inline code, the security headers, and the
production deploy check."""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import sys
from collections import deque
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from core import sessions
from core.secrets import new_key
from tests.conftest import Cast
from tests.support import assert_check_deploy_is_clean

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


# --- Sign-in lockout (django-axes) -----------------------------------------------------------------------


def attempt(client: Client, username: str, password: str, ip: str = "10.1.1.1", **extra: Any) -> Any:
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def fail(client: Client, username: str, times: int, ip: str = "10.1.1.1") -> Any:
    response = None
    for _ in range(times):
        response = attempt(client, username, "wrong-password-0", ip)
    return response


def right(client: Client, username: str, ip: str = "10.1.1.1") -> Any:
    return attempt(client, username, f"pw-{username}-0123", ip)


def test_the_settings_lock_after_five_failures_for_fifteen_minutes_per_user_name_and_address() -> None:
    assert django_settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == django_settings.AXES_COOLOFF_TIME
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert django_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert django_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_four_failures_still_show_the_form_and_the_fifth_locks_with_the_time_to_try_again(
    client: Client, cast: Cast
) -> None:
    client.cookies["django_language"] = "en"
    response = fail(client, "communicator", 4)
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()

    response = fail(client, "communicator", 1)
    assert response.status_code == 429
    page = response.content.decode()
    last = AccessAttempt.objects.get(username="communicator", ip_address="10.1.1.1").attempt_time
    until = timezone.localtime(last + timedelta(minutes=15)).strftime("%H:%M")
    assert f"Try again after {until}, in 15 minutes." in page
    assert "Sign-in has failed 5 times in a row" in page
    assert "data-lockout" in page
    assert response["Content-Security-Policy"]


def test_the_lockout_page_is_swedish_by_default(client: Client, cast: Cast) -> None:
    response = fail(client, "communicator", 5)
    assert response.status_code == 429
    assert '<html lang="sv">' in response.content.decode()


def test_while_locked_the_right_password_is_refused_too(client: Client, cast: Cast) -> None:
    fail(client, "communicator", 5)
    response = right(client, "communicator")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_only_that_user_name_at_that_address(client: Client, cast: Cast) -> None:
    """One address for a whole campus (a proxy, NAT) must never lock out everyone."""
    fail(client, "communicator", 5, ip="10.1.1.1")
    assert right(Client(), "deputy", ip="10.1.1.1").status_code == 302  # a colleague on the same address
    assert right(Client(), "communicator", ip="10.2.2.2").status_code == 302  # the person elsewhere


def test_failures_during_the_lockout_do_not_extend_it_and_it_lifts_after_the_cool_off(
    client: Client, cast: Cast
) -> None:
    fail(client, "communicator", 5)
    locked_at = AccessAttempt.objects.get(username="communicator").attempt_time
    fail(client, "communicator", 3)
    row = AccessAttempt.objects.get(username="communicator")
    assert row.attempt_time == locked_at

    # Fifteen minutes on: the counted failures are older than the cool-off.
    AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=locked_at - timedelta(minutes=15, seconds=1))
    assert right(client, "communicator").status_code == 302
    assert client.session["_auth_user_id"] == str(cast["communicator"].pk)


def test_a_successful_sign_in_clears_the_count(client: Client, cast: Cast) -> None:
    fail(client, "communicator", 4)
    assert right(client, "communicator").status_code == 302
    client.post(reverse("logout"))
    assert fail(client, "communicator", 4).status_code == 200


def test_a_lockout_is_logged(client: Client, cast: Cast, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="axes"):
        fail(client, "communicator", 5)
    assert any("Locking out" in record.getMessage() for record in caplog.records)


def test_the_admin_sign_in_locks_out_too(client: Client, cast: Cast) -> None:
    url = reverse("admin:login")
    for _ in range(4):
        assert (
            client.post(url, {"username": "staff", "password": "x"}, REMOTE_ADDR="10.3.3.3").status_code
            == 200
        )
    response = client.post(url, {"username": "staff", "password": "x"}, REMOTE_ADDR="10.3.3.3")
    assert response.status_code == 429


def test_client_address_trusts_only_the_configured_proxies(settings: Any) -> None:
    factory = RequestFactory()
    forged = factory.get("/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert sessions.client_ip(forged) == "192.0.2.9"
    settings.TRUSTED_PROXY_COUNT = 1
    assert sessions.client_ip(forged) == "198.51.100.7"  # the one the proxy wrote, not the client's own
    settings.TRUSTED_PROXY_COUNT = 2
    assert sessions.client_ip(forged) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3
    assert sessions.client_ip(forged) == "192.0.2.9"  # a header shorter than the chain is not trusted


def test_behind_a_trusted_proxy_each_client_address_is_locked_on_its_own(
    client: Client, cast: Cast, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        response = attempt(client, "communicator", "nope", ip="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 429
    other = attempt(
        Client(), "communicator", "pw-communicator-0123", ip="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.6"
    )
    assert other.status_code == 302


def test_force_login_and_token_auth_do_not_go_through_the_lockout(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """The test cast signs in with force_login; the connector API checks its own Bearer tokens, so a
    connector with a wrong token gets its 401s and locks nobody out."""
    from moderation import tokens

    fail(client, "communicator", 5)
    client.force_login(cast["communicator"])
    assert client.get(reverse("core:home")).status_code == 200

    account = make_account()
    _token, secret = tokens.issue_token(
        name="Koppling", accounts=[account], by=cast["social_media_lead"], now=timezone.now()
    )
    url = f"/api/v1/accounts/{account.pk}/items/999999/"
    before = AccessAttempt.objects.count()
    for _ in range(6):
        assert Client().get(url, HTTP_AUTHORIZATION="Bearer kv_wrong-token-0123456789").status_code == 401
    assert AccessAttempt.objects.count() == before
    # The right token is signed in: the answer is "no such item", not 401.
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 404


# --- Content-Security-Policy: no inline code anywhere -------------------------------------------------------

INLINE_PATTERNS = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "style= attribute": re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE),
    "on…= event handler": re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def project_templates() -> list[Path]:
    folders = [ROOT / "templates"] + [
        ROOT / app / "templates" for app in ("core", "governance", "accounts", "moderation", "archive")
    ]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*.html"))


def test_no_template_has_inline_script_style_or_event_handlers() -> None:
    templates = project_templates()
    assert len(templates) > 40
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in templates
        for what, pattern in INLINE_PATTERNS.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


def test_the_inline_check_finds_what_it_looks_for() -> None:
    assert inline_code('<p style="color:red">x</p>') == ["style= on <p>"]
    assert inline_code('<button onclick="go()">x</button>') == ["onclick= on <button>"]
    assert inline_code("<script>alert(1)</script>") == ["inline <script>"]
    assert inline_code('<a href="javascript:go()">x</a>') == ["javascript: URL on <a>"]
    assert inline_code('<script src="/static/js/a.js" defer></script><a href="/x" data-on="y">x</a>') == []


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"javascript: URL on <{tag}>")
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def inline_code(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.found


def links(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.links


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def assert_secure_headers(response: Any, where: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    assert csp, where
    assert "unsafe-inline" not in csp, where
    assert "unsafe-eval" not in csp, where
    for header, value in SECURITY_HEADERS.items():
        assert response.get(header) == value, (where, header)
    assert "camera=()" in response.get("Permissions-Policy", ""), where
    if not response.get("Content-Type", "").startswith("text/html"):
        return  # a file may carry a stricter policy of its own (a kept screenshot: default-src 'none')
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if " " in part.strip())
    assert directives.get("script-src") == "'self'", where
    assert directives.get("style-src") == "'self'", where
    assert directives.get("default-src") == "'self'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert directives.get("object-src") == "'none'", where


def crawl(client: Client, start: str, *, limit: int = 200) -> dict[str, int]:
    """Every page reachable by links from ``start``, one per URL pattern, checked as it is read.

    Returns the pages read, by URL name. A page is "template-backed" when it answers HTML."""
    seen_routes: set[str] = set()
    read: dict[str, int] = {}
    queue = deque([start])
    while queue and len(read) < limit:
        url = queue.popleft()
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            continue
        route = f"{match.namespace}:{match.url_name}" if match.namespace else str(match.url_name)
        if route in seen_routes or route in {"logout", "set_language"} or url.startswith("/admin/"):
            continue
        seen_routes.add(route)
        response = client.get(url)
        read[route] = response.status_code
        assert response.status_code < 500, url
        assert_secure_headers(response, url)
        if not response.get("Content-Type", "").startswith("text/html") or response.status_code != 200:
            continue
        html = response.content.decode()
        assert inline_code(html) == [], url
        for href in links(html):
            target, _fragment = urldefrag(href)
            parts = urlsplit(target)
            if target and not parts.scheme and not parts.netloc and target.startswith("/"):
                queue.append(target)
    return read


@pytest.fixture
def demo(db: None, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())


def test_every_page_each_role_reaches_has_the_csp_headers_and_no_inline_code(
    client: Client, demo: None
) -> None:
    """Signed in as the social media lead (with the admin), a communicator who moderates, a head of
    unit, the registrar and the security officer: every page reachable from their start page, once
    per URL pattern and person."""
    from core.models import User

    lead = User.objects.get(username="johan")
    lead.is_staff = lead.is_superuser = True
    lead.save()
    everything: dict[str, int] = {}
    for person in ["johan", "anna", "maria", "eva", "lars"]:
        client.force_login(User.objects.get(username=person))
        read = crawl(client, reverse("core:home"))
        assert read["core:home"] == 200, person
        everything.update(read)
    assert len(everything) >= 30, sorted(everything)
    assert {
        "moderation:item",
        "moderation:queue",
        "accounts:detail",
        "governance:request_detail",
        "archive:search",
        "archive:registry_queue",
    } <= set(everything), sorted(everything)


def test_the_admin_and_the_error_pages_have_the_headers_and_no_inline_code(
    client: Client, cast: Cast
) -> None:
    admin = cast["staff"]
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    for url in [
        reverse("admin:index"),
        reverse("admin:core_user_changelist"),
        reverse("admin:core_user_change", args=[cast["communicator"].pk]),
        "/no-such-page/",
    ]:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        assert_secure_headers(response, url)
        assert inline_code(response.content.decode()) == [], url
    client.force_login(cast["outsider"])
    response = client.get(reverse("governance:settings"))
    assert response.status_code == 403
    assert inline_code(response.content.decode()) == []
    anonymous = Client()
    for url in [reverse("login"), reverse("official_accounts")]:
        response = anonymous.get(url)
        assert response.status_code == 200
        assert_secure_headers(response, url)
        assert inline_code(response.content.decode()) == [], url


# --- Production: check --deploy and the headers over HTTPS ----------------------------------------------


def production_env(tmp_path: Path) -> dict[str, str]:
    from django.db import connection

    params = connection.settings_dict
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KANALVAKT_ENV", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "KANALVAKT_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "kanalvakt.example.se",
            "DATABASE_URL": (
                f"postgres://{params['USER'] or 'root'}@{params['HOST'] or '127.0.0.1'}:"
                f"{params['PORT'] or 5432}/postgres"
            ),
            "KANALVAKT_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # The platforms' tokens are encrypted with it; check --deploy requires it (core/checks.py).
            "KANALVAKT_SECRETS_KEY": new_key(),
        }
    )
    return env


def test_check_deploy_is_clean_at_warning_level_under_production_settings(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    assert len(env["SECRET_KEY"]) >= 50
    assert_check_deploy_is_clean(env)


def test_production_answers_with_hsts_and_the_csp_and_names_its_cookies_for_this_host_only(
    tmp_path: Path,
) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from django.test import Client; "
        "r = Client().get('/health/', secure=True, HTTP_HOST='kanalvakt.example.se'); "
        "print(r['Strict-Transport-Security']); print(r['Content-Security-Policy']); "
        "print(r['Permissions-Policy'] != ''); "
        "print(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE); "
        "print(s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY); "
        "h = Client().get('/health/', HTTP_HOST='kanalvakt.example.se'); print(h.status_code, h['Location'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    hsts, csp, permissions, session_cookie, csrf_cookie, redirect = result.stdout.strip().splitlines()
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert "upgrade-insecure-requests" in csp
    assert "script-src 'self'" in csp
    assert permissions == "True"
    assert session_cookie == "__Host-sessionid True True Lax"
    assert csrf_cookie == "__Host-csrftoken True True"
    assert redirect == "301 https://kanalvakt.example.se/health/"

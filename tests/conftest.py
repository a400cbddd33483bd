"""Shared fixtures: the cast of users, the organisation, and the real services tests may need.

Tests that need PostgreSQL, Redis, a Celery worker or Chromium carry a marker. Where the service is
missing they are skipped with the reason; with KANALVAKT_REQUIRE_SERVICES=1 (as in CI) a missing
service fails the test and any skip at all fails the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test's thread; Django must still allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
_BASE_REDIS_URL = os.environ.get("KANALVAKT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_database(number: int) -> str:
    """The URL of the test Redis's database ``number`` as this test process may use it.

    ``make test`` runs two pytest processes (pytest-xdist). Tests that start Celery workers flush
    their database and count what lands in it, so each process gets databases of its own: process
    ``gwN`` uses ``number - N``. The numbers in use (15, 12, 5 and the two below each) stay apart for
    up to three processes."""
    from urllib.parse import urlparse, urlunparse

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    if index > 2:
        raise RuntimeError("the Redis test databases are laid out for at most three test processes")
    return urlunparse(urlparse(_BASE_REDIS_URL)._replace(path=f"/{number - index}"))


REDIS_URL = redis_database(int(_BASE_REDIS_URL.rsplit("/", 1)[1] or 15))
REQUIRE_SERVICES = os.environ.get("KANALVAKT_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def _redis_reachable() -> str | None:
    from urllib.parse import urlparse

    parsed = urlparse(REDIS_URL)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(16).startswith(b"+PONG"):
                return f"Redis at {REDIS_URL} did not answer PING"
    except OSError as exc:
        return f"Redis is not reachable at {REDIS_URL} ({exc})"
    return None


def _postgres_in_use() -> str | None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        return "the test database is not PostgreSQL (set DATABASE_URL=postgres://…)"
    return None


def _chromium_present() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


def _celery_present() -> str | None:
    if shutil.which("celery") is None and not os.path.exists(
        os.path.join(os.path.dirname(sys.executable), "celery")
    ):
        return "the celery command is not installed"
    return None


_CHECKS = {
    "postgres": _postgres_in_use,
    "redis": _redis_reachable,
    "browser": _chromium_present,
    "worker": _celery_present,
}
_missing_cache: dict[str, str | None] = {}


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker_name, check in _CHECKS.items():
        if item.get_closest_marker(marker_name) is None:
            continue
        if marker_name not in _missing_cache:
            _missing_cache[marker_name] = check()
        reason = _missing_cache[marker_name]
        if reason:
            if REQUIRE_SERVICES:
                pytest.fail(f"[{marker_name}] required but unavailable: {reason}", pytrace=False)
            pytest.skip(f"[{marker_name}] {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if REQUIRE_SERVICES and skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(
                f"KANALVAKT_REQUIRE_SERVICES=1: {skipped} test(s) were skipped; every test must run here.",
                red=True,
            )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _missing_cache:
        terminalreporter.section("Kanalvakt services")
        for name, reason in sorted(_missing_cache.items()):
            terminalreporter.write_line(f"{name:<9} {'SKIPPED: ' + reason if reason else 'used'}")


@pytest.fixture(autouse=True, scope="session")
def _tasks_stay_in_the_test_process() -> None:
    """Work a test enqueues (e.g. delivery after commit) goes to an in-memory broker that nobody
    consumes, never to the development queue in var/. Tests that need a worker start their own."""
    from config.celery import app

    app.conf.update(broker_url="memory://", broker_transport_options={})


@pytest.fixture(autouse=True)
def _the_institutions_language() -> Iterator[None]:
    """Each test starts in the institution's language, as a worker does, whatever an earlier test in
    the same process activated: texts written outside a request (a platform's refusal, a notice) are
    in Swedish."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _a_cache_of_its_own(settings: Any) -> None:
    """Each test counts rate limits (captures, the API) in an empty cache of its own: in the shared
    file cache in var/, counts of earlier tests and runs under the same ids would remain."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    # A running Kanalvakt keeps "no active crisis" in the cache (moderation.crisis, KAU-CRISIS), so the
    # banner costs a page nothing: start each test there, so that the first page a test measures costs
    # what the next one does. Declaring and ending empty the key (test_crisis_views measures a cold read).
    from moderation.crisis import CACHE_KEY, CACHE_SECONDS, NO_CRISIS

    cache.set(CACHE_KEY, NO_CRISIS, CACHE_SECONDS)


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Uploaded and generated files go to this test's own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def fixed_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """timezone.now() is always the test module's NOW."""
    from django.utils import timezone

    now = request.module.NOW
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


# --- The cast -----------------------------------------------------------------------------------------


@dataclass
class Cast:
    """One person per role, and a small organisation they work in.

    university
    ├── faculty            (head: dean)
    │   ├── department     (head: head_of_unit; communicator and deputy work here)
    │   └── other_department (head: other_head)
    └── communications     (head: social_media_lead)
    """

    people: dict[str, Any]
    units: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.people[key]


@pytest.fixture
def cast(db: None) -> Cast:
    from core.roles import Role, sync_roles
    from tests.support import make_organisation, make_person

    sync_roles()
    person = make_person
    people = {
        "communicator": person("communicator", Role.COMMUNICATOR),
        "deputy": person("deputy", Role.COMMUNICATOR),
        "head_of_unit": person("head_of_unit"),
        "other_head": person("other_head"),
        "dean": person("dean"),
        "communications": person("communications", Role.COMMUNICATIONS),
        "social_media_lead": person("social_media_lead", Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD),
        "registrar": person("registrar", Role.REGISTRAR),
        "security_officer": person("security_officer", Role.SECURITY_OFFICER),
        "outsider": person("outsider"),
        "staff": person("staff", is_staff=True),
    }
    units = make_organisation(
        {
            "faculty": people["dean"],
            "department": people["head_of_unit"],
            "other": people["other_head"],
            "comms": people["social_media_lead"],
        }
    )
    return Cast(people=people, units=units)


@pytest.fixture
def make_account(cast: Cast) -> Any:
    from accounts import services

    counter = iter(range(1, 10_000))

    def make(
        unit: str = "department",
        owner: str = "communicator",
        deputies: tuple[str, ...] = ("deputy",),
        **extra: Any,
    ) -> Any:
        number = next(counter)
        fields: dict[str, Any] = {
            "platform": "instagram",
            "name": f"Konto {number}",
            "handle": f"konto_{number}_kau",
        }
        fields.update(extra)
        return services.register_account(
            unit=cast.units[unit], owner=cast[owner], deputies=[cast[d] for d in deputies], by=None, **fields
        )

    return make


# --- The browser ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    reason = _chromium_present()
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"[browser] required but unavailable: {reason}", pytrace=False)
        pytest.skip(f"[browser] {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    context = chromium.new_context(base_url=live_server.url, locale="sv-SE")
    # Kanalvakt makes no outside calls; a test page must not either.
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    page = context.new_page()
    yield page
    context.close()


def browser_login(page: Any, username: str, password: str) -> None:
    page.goto("/logga-in/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/")

"""Plain helpers the tests share: the people a view is tried against, signing them in, images, threads,
a quiet local web server, the accessibility check and subprocesses of the project.

Fixtures live in tests/conftest.py; what is here is called, not requested.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from django.urls import reverse
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

# A Celery worker that runs one task at a time, without talking to other workers (after the ``celery``
# command; a name and more options follow).
SOLO_WORKER = [
    "-A",
    "config",
    "worker",
    "--pool",
    "solo",
    "--loglevel",
    "INFO",
    "--without-gossip",
    "--without-mingle",
]

# Everyone a view of the department's account is tried against, "anonymous" for nobody signed in.
# "communicator" owns the cast's accounts; a test that names the owner's part (e.g. "owner",
# "requester") passes ``owner=`` and the person is the communicator still (see ``who``).
PEOPLE = [
    "anonymous",
    "outsider",
    "other_head",
    "security_officer",
    "communicator",  # the owner
    "deputy",
    "head_of_unit",
    "dean",
    "communications",
    "social_media_lead",
    "registrar",
]
# Nothing ties them to the department.
HIDDEN = frozenset({"outsider", "other_head", "security_officer"})
# The names a test may give the communicator for the part it plays there.
OWNER_NAMES = frozenset({"owner", "requester"})


def people(*, owner: str = "communicator", without: Iterable[str] = ()) -> list[str]:
    """PEOPLE, with the owner named for the part it plays and some people left out."""
    left_out = set(without)
    return [owner if person == "communicator" else person for person in PEOPLE if person not in left_out]


def who(cast: Any, person: str) -> Any:
    """The cast's user a name in a list stands for."""
    return cast["communicator"] if person in OWNER_NAMES else cast[person]


def login(client: Client, cast: Any, person: str) -> Client:
    """Sign the person in (nobody for "anonymous"); the client, for chaining."""
    if person != "anonymous":
        client.force_login(who(cast, person))
    return client


def assert_answer(response: Any, person: str, expected: int) -> None:
    """The view answered the person with the expected status; nobody signed in is sent to sign in."""
    assert response.status_code == expected, response.content[:500]
    if person == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def in_english(client: Client) -> Client:
    """The app is Swedish-first and ignores Accept-Language; the language cookie chooses English."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def png(size: tuple[int, int] = (40, 30), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG of one colour."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


# The settings page's form, filled in as the institution has it.
INSTITUTION_SETTINGS: dict[str, Any] = {
    "institution_name": "Karlstads universitet",
    "social_media_address": "socialamedier@kau.se",
    "security_officer_address": "sakerhet@kau.se",
    "registry_address": "registrator@kau.se",
    "response_due_hours": 24,
    "response_limit_hours": 48,
    "startpage_interval_months": 6,
    "followup_interval_months": 12,
    "threat_reacknowledge_hours": 2,
    "take_expires_hours": 4,
}


def run_in_threads(*works: Callable[[], Any]) -> list[Any]:
    """Run each callable in its own thread, all at once, each on its own database connection."""
    barrier = threading.Barrier(len(works))
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(work: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connections only

    start_and_join([threading.Thread(target=run, args=(work,)) for work in works], timeout=60)
    assert not errors, errors
    return results


def start_and_join(threads: list[threading.Thread], timeout: float = 30) -> None:
    """Start the threads together and wait for each."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)


# --- A local web site ----------------------------------------------------------------------------------


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that answers HTML and writes no log lines."""

    def send_html(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """The handler served on 127.0.0.1 in a thread: its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Pages in a browser --------------------------------------------------------------------------------

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_accessible(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()


# --- The project in another process --------------------------------------------------------------------


def run_project(
    args: list[str], env: dict[str, str], *, cwd: Path = ROOT, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """Python with the arguments, in the project folder, its output captured as text."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_check_deploy_is_clean(env: dict[str, str]) -> None:
    """``manage.py check --deploy`` finds nothing, not even a warning, under these settings."""
    result = run_project(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def admin_deactivation(client: Client, cast: Any, person: str) -> tuple[str, dict[str, Any]]:
    """Sign a superuser in to the admin: the person's change page and its form as posted to switch
    the person off."""
    superuser = cast["staff"]
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    user = cast[person]
    url = reverse("admin:core_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(groups=[g.pk for g in user.groups.all()], user_permissions=[], is_active="")
    data["date_joined_0"], data["date_joined_1"] = user.date_joined.strftime("%Y-%m-%d"), "10:00:00"
    data["last_login_0"] = data["last_login_1"] = ""
    return url, data


# --- The organisation ----------------------------------------------------------------------------------


def make_person(username: str, *roles: Any, **extra: Any) -> Any:
    """A user with the password ``pw-<username>-0123`` in the groups of the roles."""
    from django.contrib.auth.models import Group

    from core.models import User

    user = User.objects.create_user(
        username=username,
        password=f"pw-{username}-0123",
        first_name=username.replace("_", " ").title(),
        email=f"{username}@example.se",
        **extra,
    )
    names = [role.value for role in roles]
    groups = list(Group.objects.filter(name__in=names))
    assert len(groups) == len(set(names)), f"roles without a group: {names}"
    user.groups.add(*groups)
    return user


# The units of the organisation, parents first: key, name, code, kind, the parent's key.
UNITS = [
    ("university", "Universitetet", "uni", "university", None),
    ("faculty", "Fakulteten", "fak", "faculty", "university"),
    ("department", "Institutionen", "inst", "department", "faculty"),
    ("other", "Andra institutionen", "annan", "department", "faculty"),
    ("comms", "Kommunikationsavdelningen", "komm", "communications", "university"),
]


def make_organisation(heads: dict[str, Any]) -> dict[str, Any]:
    """The UNITS through the service, each headed by whom ``heads`` names for its key (else nobody)."""
    from governance.services import create_unit

    units: dict[str, Any] = {}
    for key, name, code, kind, parent in UNITS:
        above = units[parent] if parent else None
        units[key] = create_unit(name=name, code=code, kind=kind, parent=above, head=heads.get(key), by=None)
    return units


def absence_of(
    person: Any,
    starts_on: Any,
    ends_on: Any,
    *,
    now: Any,
    kind: str = "vacation",
    note: str = "",
    by: Any = None,
) -> Any:
    """An absence recorded (accounts.coverage) by the person, or for them by ``by``: the absence and the
    warnings."""
    from accounts import coverage

    return coverage.record_absence(
        person=person, starts_on=starts_on, ends_on=ends_on, kind=kind, note=note, by=by or person, now=now
    )


# --- Kanalvakt's own Celery app on a real broker ----------------------------------------------------------


@contextmanager
def enqueued_on(broker_url: str) -> Iterator[None]:
    """Kanalvakt's own Celery app sends to ``broker_url``, as the web server's does in production (the
    tests keep it on an in-memory broker otherwise), and back to the memory broker afterwards.

    Only this app's references to its pools are dropped: kombu keeps one pool per broker for the whole
    process, and closing it (``force_close_all``) would leave every later test sending into a closed
    pool.
    """
    from config.celery import app as celery_app

    app: Any = celery_app  # its pools are reset below, which Celery's stubs do not describe

    def use(url: str, options: Any) -> None:
        app.conf.update(broker_url=url, broker_transport_options=options)
        app._pool = None
        app.amqp._producer_pool = None

    before = (app.conf.broker_url, app.conf.broker_transport_options)
    use(broker_url, {})
    try:
        yield
    finally:
        use(*before)

"""What every signed-in page sends besides its text: each ``<time datetime>`` valid under the HTML
standard (seconds at most), and a Cache-Control that keeps the page out of every cache but the
person's own browser. The pages are those of the role-by-view table (test_access_matrix.py), visited
by the roles that see the most, in the world of access_support.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tests.core.access_support import World, sessions, signed_in, url_for, world
from tests.core.test_access_matrix import ROUTES, ROWS

__all__ = ["sessions", "world"]

# The GET pages of the table a signed-in person opens; the API answers tokens, not sessions.
PAGES = [view for view, (method, _statuses) in ROWS.items() if method == "GET" and not view.startswith("api")]
ROLES = ("owner", "lead", "reg", "head", "sec")
# Open to everyone, and kept as they are for everyone: cached by the view's own header, or none.
PUBLIC = {"login", "core:health", "official_accounts_json"}
# Images of a screenshot: kept by the person's browser for an hour (they never change).
IMAGES = {"archive:stamped", "archive:stamped#startpage", "archive:screenshot", "archive:secrecy_screenshot"}

# The HTML standard's "valid date string", "valid local date and time string" and "valid global
# date and time string" (a time of hours and minutes, optionally seconds and one to three digits of
# fraction; an offset Z, +HH:MM or +HHMM), and a yearless date, month, week, year and time.
DATE = r"\d{4,}-\d{2}-\d{2}"
TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?"
OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})"
HTML_DATETIME = re.compile(
    rf"{DATE}|{DATE}[T ]{TIME}|{DATE}[T ]{TIME}{OFFSET}|\d{{2}}-\d{{2}}|\d{{4,}}-\d{{2}}|\d{{4,}}-W\d{{2}}"
    rf"|\d{{4,}}|{TIME}|{OFFSET}"
)
DATETIME_ATTRIBUTE = re.compile(r'<time\b[^>]*\bdatetime="([^"]*)"')


def with_microseconds(world: World) -> None:
    """Timestamps as they are written in use, with microseconds (the world's are on the minute)."""
    from accounts.models import Account
    from governance.models import AccountRequest, RequestEvent
    from moderation.models import Alert, Item

    tick = timedelta(microseconds=123456)
    Item.objects.update(
        received_at=F("received_at") + tick, due_at=F("due_at") + tick, limit_at=F("limit_at") + tick
    )
    Alert.objects.update(created_at=F("created_at") + tick)
    Account.objects.update(created_at=F("created_at") + tick)
    AccountRequest.objects.update(updated_at=F("updated_at") + tick)
    RequestEvent.objects.update(at=F("at") + tick)


def visit(world: World, sessions: dict[str, str], role: str, view: str) -> Any:
    client: Client = signed_in(sessions, role)
    return client.get(url_for(ROUTES[view.split("#")[0]], world, key=view))


@pytest.mark.parametrize("role", ROLES)
def test_every_time_element_has_a_valid_html_datetime_to_the_second(
    db: None, world: World, sessions: dict[str, str], role: str
) -> None:
    """The HTML standard allows at most three digits of a second; the isoformat filter wrote six, which
    the validator counted 586 times on 190 pages."""
    with_microseconds(world)
    seen: list[str] = []
    for view in PAGES:
        if ROWS[view][1][role] != 200:
            continue
        response = visit(world, sessions, role, view)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for value in DATETIME_ATTRIBUTE.findall(response.content.decode()):
            assert HTML_DATETIME.fullmatch(value), f"{view}: <time datetime={value!r}> is not valid HTML"
            assert "." not in value, f"{view}: <time datetime={value!r}> has a fraction of a second"
            seen.append(value)
    assert len([value for value in seen if "T" in value]) >= 5, seen  # times were seen, not only dates


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_a_signed_in_person_is_private_and_not_stored(
    db: None, world: World, sessions: dict[str, str], role: str
) -> None:
    """A page or file only a signed-in person may see is kept by no cache, not even the browser's
    (Cache-Control: private, no-store), whatever its status; a screenshot's image may stay in that
    person's browser for a while (private, max-age)."""
    checked = 0
    for view in PAGES:
        if view in PUBLIC:
            continue
        response = visit(world, sessions, role, view)
        control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        status = response.status_code
        if view in IMAGES and status == 200:
            assert "private" in control, f"{view}: {control}"
            assert any(part.startswith("max-age=") for part in control), f"{view}: {control}"
        else:
            assert {"private", "no-store"} <= control, f"{view} ({status}): Cache-Control {control}"
        checked += 1
    assert checked >= 40


def test_public_pages_are_kept_as_they_are(client: Client, db: None) -> None:
    """The public list's JSON is cached five minutes by anyone; health and the sign-in page are never
    cached (their views say so); a visitor who is not signed in gets the public list's page without a
    Cache-Control of ours."""
    assert "public" in client.get(reverse("official_accounts_json"))["Cache-Control"]
    assert "no-store" in client.get(reverse("core:health"))["Cache-Control"]
    assert "no-store" in client.get(reverse("login"))["Cache-Control"]
    assert "Cache-Control" not in client.get(reverse("official_accounts"))


def test_a_signed_in_person_gets_even_the_public_list_uncached(
    db: None, world: World, sessions: dict[str, str]
) -> None:
    """The public list's page shows the signed-in person's own menu, so for them it is private."""
    response = signed_in(sessions, "owner").get(reverse("official_accounts"))
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}

"""What every signed-in page sends besides its text: each ``<time datetime>`` valid under the HTML
standard (seconds at most). The pages are those of the role-by-view table (test_access_matrix.py), visited
by the roles that see the most, in the world of access_support.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from django.test import Client

from tests.core.access_support import World, sessions, signed_in, url_for, world
from tests.core.test_access_matrix import ROUTES, ROWS

__all__ = ["sessions", "world"]

# The GET pages of the table a signed-in person opens; the API answers tokens, not sessions.
PAGES = [view for view, (method, _statuses) in ROWS.items() if method == "GET" and not view.startswith("api")]
ROLES = ("owner", "lead", "reg", "head", "sec")

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

"""Fixtures of the retention and disposal tests: old records of every kind, a schedule with periods, and
helpers to propose, approve and carry out a disposal through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.calendar import STOCKHOLM
from tests.conftest import Cast
from tests.moderation.conftest import NOW, account, make_item
from tests.support import png

__all__ = ["NOW", "Old", "account", "approve", "make_item", "media_root", "old", "set_period"]

DECISION = "Dnr KAU 2026/1234"


@pytest.fixture(autouse=True)
def media_root(media_root: Path) -> Path:
    return media_root


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=STOCKHOLM)


@dataclass
class Old:
    """Records from early 2025 (NOW is 26 Nov 2026): two handled items and an item to be held later, one
    item's screenshot, a start-page screenshot, a recent item, and an open old item."""

    disposed: Any  # closed 10 Jan 2025, with a screenshot of its post and a log note
    held: Any  # closed 12 Jan 2025, under an item hold from the start
    late_held: Any  # closed 14 Jan 2025: held only after the approval
    open_item: Any  # received 15 Jan 2025, never handled
    recent: Any  # closed 1 Nov 2026, within its period
    item_shot: Any
    startpage: Any
    hold: Any


def set_period(record_type: str, months: int | None, *, by: Any, basis: str = "RA-FS 2021:6") -> Any:
    from archive import retention_services
    from archive.models import RetentionRule

    # A transactional test's database is emptied after each test, seeded rows included.
    rule, _created = RetentionRule.objects.get_or_create(record_type=record_type)
    return retention_services.update_rule(
        rule.pk, period_months=months, legal_basis=basis if months else "", by=by, reason="test", now=NOW
    )


def approve(disposal: Any, *, by: Any, reference: str = DECISION) -> Any:
    from archive import disposal as disposals

    return disposals.approve_disposal(
        disposal.pk, decision_reference=reference, confirmed=True, note="", by=by, now=NOW
    )


@pytest.fixture
def old(cast: Cast, account: Any, make_item: Any) -> Old:
    from archive import retention_services
    from archive.services import store_screenshot
    from moderation import services

    def closed(when: datetime, text: str) -> Any:
        item = make_item(received_at=when, now=when, text=text)
        return services.close_item(item, reason="Ingen fråga", by=cast["communicator"], now=when)

    disposed = closed(at(2025, 1, 10), "Hemligt innehåll som ska gallras")
    held = closed(at(2025, 1, 12), "Omfattas av en begäran om allmän handling")
    late_held = closed(at(2025, 1, 14), "Spärras efter beslutet")
    open_item = make_item(received_at=at(2025, 1, 15), now=at(2025, 1, 15), text="Obesvarad")
    recent = closed(at(2026, 11, 1), "Färsk fråga")
    item_shot = store_screenshot(
        account, data=png(), purpose="item", item=disposed, by=cast["communicator"], now=at(2025, 1, 10, 12)
    )
    startpage = store_screenshot(
        account,
        data=png(colour=(10, 120, 10)),
        purpose="startpage",
        by=cast["communicator"],
        now=at(2025, 2, 1),
    )
    hold = retention_services.place_hold(
        account_id=None,
        item_id=held.pk,
        start=None,
        end=None,
        reason="request",
        description="Begäran om allmän handling 2026/88",
        by=cast["registrar"],
        now=NOW,
    )
    return Old(disposed, held, late_held, open_item, recent, item_shot, startpage, hold)

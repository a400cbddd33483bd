"""Fixtures for the moderation tests: an account of the cast's department and items on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from core.calendar import STOCKHOLM
from tests.conftest import Cast

# A fixed "now": Thursday 26 November 2026, 10:00 in Stockholm. No test depends on today's date.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def account(make_account: Any) -> Any:
    """An Instagram account of the department: communicator owns it, deputy deputises, head_of_unit
    heads the unit."""
    return make_account()


@pytest.fixture
def make_item(cast: Cast, account: Any) -> Any:
    """Log an item through the one write path. ``received_at`` defaults to two hours before NOW."""
    from moderation import services

    counter = iter(range(1, 1_000_000))

    def make(
        on: Any = None, *, received_at: datetime | None = None, now: datetime = NOW, **extra: Any
    ) -> Any:
        number = next(counter)
        fields: dict[str, Any] = {
            "kind": "comment",
            "author": f"@besokare{number}",
            "text": f"Fråga nummer {number}: när öppnar anmälan?",
            "platform_id": f"p-{number}",
            "by": cast["communicator"],
        }
        fields.update(extra)
        return services.log_item(
            on or account, received_at=received_at or now - timedelta(hours=2), now=now, **fields
        )

    return make

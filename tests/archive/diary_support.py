"""Fixtures and helpers shared by the diary-registration tests (imported by test_registration.py and
test_diary_views.py): the moderation fixtures, a media root per test, and items ready to register."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import support
from tests.conftest import Cast
from tests.moderation.conftest import NOW, account, make_item

__all__ = ["NOW", "account", "make_item", "media_root", "png", "registrable", "screenshot"]


@pytest.fixture(autouse=True)
def media_root(media_root: Path) -> Path:
    """The media folder of tests/conftest.py, for every test that imports this."""
    return media_root


def png(size: tuple[int, int] = (120, 90), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    return support.png(size, colour)


def screenshot(item: Any, cast: Cast, *, purpose: str = "item", person: str = "communicator") -> Any:
    """A real screenshot of the item through the one write path: stored, hashed, date-stamped."""
    from archive.services import store_screenshot

    return store_screenshot(
        item.account,
        data=png(),
        purpose=purpose,
        item=item,
        by=cast[person],
        now=NOW,
        source_url=item.url,
    )


@pytest.fixture
def registrable(cast: Cast, make_item: Any) -> Any:
    """Make an item marked as requiring registration (KAU-DIARY-ACTION), with one screenshot of the
    post and its replies unless ``shots=0``."""
    from moderation import services

    def make(*, shots: int = 1, **extra: Any) -> Any:
        item = make_item(url="https://www.instagram.com/p/abc123/", **extra)
        item = services.classify_item(
            item,
            triage=services.Triage(classification="criticism", requires_registration=True),
            by=cast["communicator"],
            now=NOW,
        )
        for _ in range(shots):
            screenshot(item, cast)
        return item

    return make

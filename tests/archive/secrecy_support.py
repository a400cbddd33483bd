"""Fixtures shared by the secrecy review tests (imported by test_secrecy.py, test_secrecy_views.py and
test_secrecy_browser.py): the small archive of export_support, and a review of the department's
November opened through the service."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from archive import secrecy
from archive.models import SecrecyReview
from archive.search import Criteria
from tests.archive.export_support import NOW, Archive, account, archive, make_item, media_root
from tests.conftest import Cast

__all__ = [
    "NOW",
    "REVIEWERS",
    "Archive",
    "account",
    "archive",
    "department_november",
    "make_item",
    "media_root",
    "open_review",
    "review",
]

# Who reviews secrecy and releases copies (archive.review_secrecy), KAU-PUBLIC-RECORD.
REVIEWERS = ["registrar", "social_media_lead"]


def department_november(cast: Cast) -> Criteria:
    """The department's account in November: the criticism item, the prohibited item and its evidence."""
    return Criteria(unit=cast.units["department"], start=date(2026, 11, 1), end=date(2026, 11, 30))


def open_review(cast: Cast, person: str = "registrar", **extra: Any) -> SecrecyReview:
    fields: dict[str, Any] = {
        "criteria": department_november(cast),
        "requester": "Journalist på Nya Wermlands-Tidningen",
        "requested_on": date(2026, 11, 25),
        "reference": "KAU 2026/1234",
        "by": cast[person],
        "now": NOW,
    }
    fields.update(extra)
    return secrecy.open_review(**fields)


@pytest.fixture
def review(cast: Cast, archive: Archive) -> SecrecyReview:
    return open_review(cast)


# The shared fixtures, used by name in the test modules.
FIXTURES = (account, archive, make_item, media_root)

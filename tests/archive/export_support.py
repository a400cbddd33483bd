"""Fixtures shared by the search and export tests (imported by test_search.py, test_exports.py,
test_export_views.py and test_export_worker.py): a media root per test, and a small archive with one
record of every kind, made through the services."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile

from core.calendar import STOCKHOLM
from tests import support
from tests.conftest import Cast
from tests.moderation.conftest import NOW, account, make_item
from tests.support import PEOPLE

__all__ = [
    "ARCHIVISTS",
    "NOT_ARCHIVISTS",
    "NOW",
    "Archive",
    "account",
    "archive",
    "make_item",
    "media_root",
    "png",
]


# Who may search the archive and export from it, and everyone else in the cast.
ARCHIVISTS = ["registrar", "social_media_lead"]
NOT_ARCHIVISTS = [person for person in PEOPLE if person not in {"anonymous", *ARCHIVISTS}] + ["staff"]


@pytest.fixture(autouse=True)
def media_root(media_root: Path) -> Path:
    """The media folder of tests/conftest.py, for every test that imports this."""
    return media_root


def png(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    return support.png(size, colour)


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=STOCKHOLM)


@dataclass
class Archive:
    """One record of each kind, spread over accounts, units and days (November 2026)."""

    account: Any  # the department's account (communicator owns it)
    other_account: Any  # an account of the other department
    criticism: Any  # 24 Nov, department, "@kritiker", KAU-RESPONSE-CRITICISM and KAU-DIARY-ACTION
    threat: Any  # 10 Nov, other department, "@hotfull", KAU-THREAT
    prohibited: Any  # 2 Nov, department, "@reklam", KAU-PROHIBITED with its evidence screenshot
    pile_on: Any  # 1 Oct, department, "@drevare", KAU-DREV
    evidence: Any  # the screenshot of the prohibited item
    startpage: Any  # 20 Nov, the other account's start page
    approved: Any  # a request approved 2 Mar, "Fysik"
    rejected: Any  # a request of the other department rejected 2 Mar, "Kemi"
    package: Any  # a diary package of the criticism item (a row with a small PDF)


@pytest.fixture
def archive(cast: Cast, make_account: Any, account: Any, make_item: Any) -> Archive:
    from archive.models import DiaryPackage
    from archive.services import store_evidence, store_screenshot
    from moderation import services
    from tests.governance.factories import make_request

    other_account = make_account(unit="other", owner="communicator", deputies=("deputy",))
    criticism = make_item(
        author="@kritiker",
        text="Varför stänger ni biblioteket på lördagar?",
        url="https://www.instagram.com/p/kritik1/",
        received_at=at(24, 9),
        now=at(24, 11),
        triage=services.Triage(classification="criticism", requires_registration=True),
    )
    threat = make_item(
        other_account,
        author="@hotfull",
        text="Ni kommer att ångra er.",
        received_at=at(10, 9),
        now=at(10, 11),
        triage=services.Triage(threat=True),
    )
    prohibited = make_item(
        author="@reklam",
        text="Köp billiga klockor här!",
        received_at=at(2, 9),
        now=at(2, 11),
        triage=services.Triage(classification="comment", prohibited=[6]),
    )
    evidence = store_evidence(prohibited, data=png(), by=cast["communicator"], now=at(2, 12))
    pile_on = make_item(
        author="@drevare",
        text="Alla borde skriva hit och klaga!",
        received_at=at(1, 9, month=10),
        now=at(1, 11, month=10),
        triage=services.Triage(pile_on_risk=True),
    )
    startpage = store_screenshot(
        other_account,
        data=png(colour=(30, 30, 200)),
        purpose="startpage",
        by=cast["deputy"],
        now=at(20, 14),
        source_url="https://www.instagram.com/kemi_kau/",
    )
    approved = make_request(cast, state="approved", name="Fysik vid KAU", handle="fysik_kau")
    rejected = make_request(
        cast,
        state="rejected",
        requester="communicator",
        unit=cast.units["other"],
        name="Kemi på Instagram",
        handle="kemi_kau",
    )
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    package = DiaryPackage(
        item=criticism,
        subject="Kritik om bibliotekets öppettider",
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        fields={"rows": [{"key": "subject", "label": "Ärendemening", "value": "Kritik"}]},
        built_at=at(24, 12),
        built_by=cast["communicator"],
    )
    package.pdf.save("package.pdf", ContentFile(pdf), save=False)
    package.save()
    return Archive(
        account=account,
        other_account=other_account,
        criticism=criticism,
        threat=threat,
        prohibited=prohibited,
        pile_on=pile_on,
        evidence=evidence,
        startpage=startpage,
        approved=approved,
        rejected=rejected,
        package=package,
    )


def later(value: datetime, **delta: Any) -> datetime:
    return value + timedelta(**delta)

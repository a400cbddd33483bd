"""KAU-DIARY-NONE in the archive's search: items that need no registration are found by the same
words as registered ones (KAU-DIARY-ACTION), the search filters by registration decision, the results
show the decision and where each item is found, and the exports carry it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from archive import search_tables
from archive.diary_numbers import register_package
from archive.export_records import item_row
from archive.search import ITEMS, LOG, Criteria, items_matching, search
from moderation import registration, services
from tests.archive.export_support import NOW, Archive, account, archive, make_item, media_root
from tests.conftest import Cast
from tests.support import in_english

pytestmark = pytest.mark.django_db
FIXTURES = (account, archive, make_item, media_root)

WORD = "antagningsprov"


@dataclass
class Decided:
    """Four items sharing one word, one of each registration decision."""

    registered: Any  # required, its diary package registered as KAU-2026-17
    awaiting: Any  # required, not registered yet
    not_needed: Any  # KAU-DIARY-NONE, with its link
    undecided: Any  # answered, nobody decided


def _registered_package(item: Any, cast: Cast) -> Any:
    """A diary package row of the item (a small PDF, as tests/archive/export_support.py makes one),
    registered by the registrar."""
    from archive.models import DiaryPackage

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    package = DiaryPackage(
        item=item,
        subject="Kritik om antagningsprovet",
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        fields={"rows": []},
        built_at=NOW,
        built_by=cast["communicator"],
    )
    package.pdf.save("package.pdf", ContentFile(pdf), save=False)
    package.save()
    return register_package(package, diary_number="KAU-2026-17", by=cast["registrar"], now=NOW)


@pytest.fixture
def decided(cast: Cast, archive: Archive, make_item: Any) -> Decided:
    owner = cast["communicator"]
    registered = make_item(
        text=f"Varför flyttas {WORD}et?",
        triage=services.Triage(classification="criticism", requires_registration=True),
    )
    _registered_package(registered, cast)
    awaiting = make_item(
        text=f"Ert {WORD} var orättvist!",
        triage=services.Triage(classification="criticism", requires_registration=True),
    )
    not_needed = make_item(text=f"När är nästa {WORD}?", url="https://www.instagram.com/p/fraga9/")
    registration.decide_no_registration(not_needed, by=owner, now=NOW)
    undecided = make_item(text=f"Hur anmäler man sig till {WORD}et?")
    services.answer_item(undecided, answer="Via antagning.se.", by=owner, now=NOW)
    return Decided(registered=registered, awaiting=awaiting, not_needed=not_needed, undecided=undecided)


def found(cast: Cast, **criteria: Any) -> set[int]:
    return {item.pk for item in search(cast["registrar"], kinds=[ITEMS], **criteria)[ITEMS].rows}


def test_kau_diary_none_items_are_found_by_the_same_words_as_registered_ones(
    cast: Cast, decided: Decided
) -> None:
    every = {decided.registered.pk, decided.awaiting.pk, decided.not_needed.pk, decided.undecided.pk}
    assert found(cast, text=WORD) == every
    assert found(cast, text=WORD.upper()) == every  # case does not matter, for either kind


@pytest.mark.parametrize(
    ("decision", "which"),
    [
        ("registered", "registered"),
        ("awaiting", "awaiting"),
        ("not_needed", "not_needed"),
        ("undecided", "undecided"),
    ],
)
def test_the_search_filters_by_registration_decision(
    cast: Cast, decided: Decided, decision: str, which: str
) -> None:
    assert found(cast, text=WORD, registration=decision) == {getattr(decided, which).pk}


def test_a_registration_filter_alone_is_a_search(cast: Cast, decided: Decided) -> None:
    assert decided.not_needed.pk in found(cast, registration="not_needed")
    assert decided.registered.pk not in found(cast, registration="not_needed")


def test_the_log_follows_the_items_registration_filter(cast: Cast, decided: Decided) -> None:
    entries = search(cast["registrar"], registration="not_needed", kinds=[LOG])[LOG].rows
    assert {entry.item_id for entry in entries} == {decided.not_needed.pk}


def test_an_unknown_registration_filter_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Criteria(registration="maybe")
    assert "registration" in refused.value.message_dict


def test_the_criteria_keep_the_registration_filter_for_an_export() -> None:
    criteria = Criteria(registration="not_needed")
    assert Criteria.from_dict(criteria.as_dict()).registration == "not_needed"


def test_results_show_the_kau_diary_none_decision_and_where_the_item_is_found(
    client: Client, cast: Cast, decided: Decided
) -> None:
    client.force_login(cast["registrar"])
    response = in_english(client).get(reverse("archive:search"), {"text": WORD, "kinds": ITEMS})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Needs no registration (KAU-DIARY-NONE), decided by" in page
    assert 'href="https://www.instagram.com/p/fraga9/"' in page
    assert f"and in Kanalvakt as item {decided.not_needed.pk}" in page
    assert "Registered with registration number KAU-2026-17." in page
    assert "Undecided: nobody has decided" in page


def test_the_search_page_filters_by_decision(client: Client, cast: Cast, decided: Decided) -> None:
    client.force_login(cast["social_media_lead"])
    response = in_english(client).get(reverse("archive:search"), {"registration": "not_needed"})
    assert response.status_code == 200
    rows = {item.pk for item in response.context["results"][ITEMS].rows}
    assert rows == {decided.not_needed.pk}
    assert ("registration", "not_needed") in response.context["hidden_criteria"]


def test_the_search_table_and_export_records_carry_the_decision(cast: Cast, decided: Decided) -> None:
    items = list(items_matching(Criteria(text=WORD)))
    with translation.override("en"):
        heading, *rows = list(search_tables.table_rows(ITEMS, items))
    by_id = {row[0]: row for row in rows}
    column = heading.index("registration")
    assert str(by_id[decided.not_needed.pk][column]) == "Needs no registration"
    assert by_id[decided.not_needed.pk][heading.index("found on the platform at")] == decided.not_needed.url
    assert by_id[decided.registered.pk][heading.index("registration number")] == "KAU-2026-17"
    record = item_row(next(item for item in items if item.pk == decided.not_needed.pk))
    assert record["registration"] == "not_needed"
    assert record["registration_found_at"] == decided.not_needed.url
    assert record["registration_decided_by"].endswith("(communicator)")
    assert record["registration_decided_at"].startswith("2026-11-26T10:00")


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("archive:search"), {"text": WORD, "kinds": ITEMS})
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_kau_diary_none_search_query_count_does_not_grow_with_the_results(
    client: Client, cast: Cast, decided: Decided, make_item: Any
) -> None:
    client.force_login(cast["registrar"])
    few = _queries(client)
    for number in range(8):
        item = make_item(text=f"{WORD} {number}", url=f"https://www.instagram.com/p/mer{number}/")
        registration.decide_no_registration(item, by=cast["deputy"], now=NOW)
    make_item(
        text=f"{WORD} igen", triage=services.Triage(classification="criticism", requires_registration=True)
    )
    many = _queries(client)
    assert many == few

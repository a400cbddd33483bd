"""The archive's search for requests for public records (KAU-PUBLIC-RECORD): every kind of record
found by text, account, unit, author, period and rule; the page open only to the registrar/archivist
and the social media lead; one query per kind whatever the number of rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.search import DECISIONS, ITEMS, KINDS, LOG, SCREENSHOTS, Criteria, search
from moderation.models import LogEntry
from tests.archive.export_support import (
    ARCHIVISTS,
    NOT_ARCHIVISTS,
    Archive,
    account,
    archive,
    make_item,
    media_root,
)
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
# The shared fixtures, used here by name.
FIXTURES = (account, archive, make_item, media_root)

SEARCHERS, EVERYONE_ELSE = ARCHIVISTS, NOT_ARCHIVISTS


def ids(rows: list[Any]) -> set[int]:
    return {row.pk for row in rows}


def found(cast: Cast, person: str = "registrar", **criteria: Any) -> dict[str, set[int]]:
    results = search(cast[person], **criteria)
    return {kind: ids(results[kind].rows) for kind in KINDS}


# --- Items -----------------------------------------------------------------------------------------


def test_items_found_by_text_in_the_post_author_link_and_platform_id(cast: Cast, archive: Archive) -> None:
    assert found(cast, text="biblioteket")[ITEMS] == {archive.criticism.pk}
    assert found(cast, text="HOTFULL")[ITEMS] == {archive.threat.pk}  # case does not matter
    assert found(cast, text="p/kritik1")[ITEMS] == {archive.criticism.pk}
    assert found(cast, text=archive.threat.platform_id)[ITEMS] == {archive.threat.pk}


def test_items_found_by_account_unit_and_author(cast: Cast, archive: Archive) -> None:
    department = {archive.criticism.pk, archive.prohibited.pk, archive.pile_on.pk}
    assert found(cast, account=archive.account)[ITEMS] == department
    assert found(cast, unit=cast.units["department"])[ITEMS] == department
    assert found(cast, unit=cast.units["other"])[ITEMS] == {archive.threat.pk}
    assert found(cast, author="@reklam")[ITEMS] == {archive.prohibited.pk}


def test_a_unit_includes_the_units_below_it(cast: Cast, archive: Archive) -> None:
    every = {archive.criticism.pk, archive.prohibited.pk, archive.pile_on.pk, archive.threat.pk}
    assert found(cast, unit=cast.units["faculty"])[ITEMS] == every
    assert found(cast, unit=cast.units["university"])[ITEMS] == every
    assert found(cast, unit=cast.units["comms"])[ITEMS] == set()


def test_items_found_by_period_in_stockholm_days(cast: Cast, archive: Archive) -> None:
    november = found(cast, start=date(2026, 11, 1), end=date(2026, 11, 30))[ITEMS]
    assert november == {archive.criticism.pk, archive.threat.pk, archive.prohibited.pk}
    # The 24th is included whole: the item came at 09:00 Stockholm time (08:00 UTC).
    assert found(cast, start=date(2026, 11, 24), end=date(2026, 11, 24))[ITEMS] == {archive.criticism.pk}
    assert found(cast, start=date(2026, 11, 25))[ITEMS] == set()
    assert found(cast, end=date(2026, 10, 31))[ITEMS] == {archive.pile_on.pk}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("KAU-THREAT", "threat"),
        ("KAU-DREV", "pile_on"),
        ("KAU-PROHIBITED", "prohibited"),
        ("KAU-PROHIBITED-EVIDENCE", "prohibited"),
        ("KAU-RESPONSE-CRITICISM", "criticism"),
        ("KAU-DIARY-ACTION", "criticism"),
    ],
)
def test_items_found_by_rule_as_item_rule_ids_reads_them(
    cast: Cast, archive: Archive, rule: str, expected: str
) -> None:
    """KAU-THREAT, KAU-DREV, KAU-PROHIBITED, KAU-PROHIBITED-EVIDENCE, KAU-RESPONSE-CRITICISM and
    KAU-DIARY-ACTION find exactly the items whose rule_ids() name them."""
    item = getattr(archive, expected)
    assert rule in item.rule_ids()
    assert found(cast, rule=rule)[ITEMS] == {item.pk}


# --- The log -----------------------------------------------------------------------------------------


def test_log_entries_found_by_note_and_action(cast: Cast, archive: Archive) -> None:
    evidence_entry = LogEntry.objects.get(item=archive.prohibited, action="evidence")
    assert found(cast, text=archive.evidence.sha256[:20])[LOG] == {evidence_entry.pk}
    # The action by its code or its label (English here).
    from django.utils import translation

    with translation.override("en"):
        by_label = found(cast, text="evidence screenshot attached")[LOG]
    assert by_label == {evidence_entry.pk}


def test_log_entries_found_by_account_unit_author_period_and_rule(cast: Cast, archive: Archive) -> None:
    threat_log = set(LogEntry.objects.filter(item=archive.threat).values_list("pk", flat=True))
    assert threat_log
    assert found(cast, account=archive.other_account)[LOG] == threat_log
    assert found(cast, unit=cast.units["other"])[LOG] == threat_log
    assert found(cast, author="@hotfull")[LOG] == threat_log
    assert found(cast, rule="KAU-THREAT")[LOG] == threat_log
    assert found(cast, start=date(2026, 11, 10), end=date(2026, 11, 10))[LOG] == threat_log


# --- Decisions -----------------------------------------------------------------------------------------


def test_decisions_found_by_name_handle_purpose_and_reason(cast: Cast, archive: Archive) -> None:
    assert found(cast, text="fysik_kau")[DECISIONS] == {archive.approved.pk}
    assert found(cast, text="Kemi på")[DECISIONS] == {archive.rejected.pk}
    assert found(cast, text="Behovet täcks redan")[DECISIONS] == {archive.rejected.pk}  # the reason
    assert found(cast, text="fysikens forskning")[DECISIONS] == {archive.approved.pk, archive.rejected.pk}


def test_decisions_found_by_unit_account_period_and_rule(cast: Cast, archive: Archive) -> None:
    assert found(cast, unit=cast.units["other"])[DECISIONS] == {archive.rejected.pk}
    assert found(cast, account=archive.approved.account)[DECISIONS] == {archive.approved.pk}
    both = {archive.approved.pk, archive.rejected.pk}
    assert found(cast, start=date(2026, 3, 2), end=date(2026, 3, 2))[DECISIONS] == both
    assert found(cast, start=date(2026, 3, 3))[DECISIONS] == set()
    assert found(cast, rule="KAU-START-APPROVAL")[DECISIONS] == both
    assert found(cast, rule="KAU-THREAT")[DECISIONS] == set()


def test_open_and_withdrawn_requests_are_not_decisions(cast: Cast, archive: Archive) -> None:
    from tests.governance.factories import make_request

    make_request(cast, state="reviewed", name="Fysik igen")
    make_request(cast, state="withdrawn", name="Fysik en gång till")
    assert found(cast, text="fysik", unit=cast.units["department"])[DECISIONS] == {archive.approved.pk}


# --- Screenshots ---------------------------------------------------------------------------------------


def test_screenshots_found_by_account_unit_period_and_rule(cast: Cast, archive: Archive) -> None:
    """KAU-STARTPAGE finds start-page screenshots; KAU-PROHIBITED-EVIDENCE the evidence."""
    assert found(cast, account=archive.other_account)[SCREENSHOTS] == {archive.startpage.pk}
    assert found(cast, unit=cast.units["department"])[SCREENSHOTS] == {archive.evidence.pk}
    assert found(cast, start=date(2026, 11, 20), end=date(2026, 11, 20))[SCREENSHOTS] == {
        archive.startpage.pk
    }
    assert found(cast, rule="KAU-STARTPAGE")[SCREENSHOTS] == {archive.startpage.pk}
    assert found(cast, rule="KAU-PROHIBITED-EVIDENCE")[SCREENSHOTS] == {archive.evidence.pk}
    assert found(cast, rule="KAU-STARTPAGE")[ITEMS] == set()


def test_screenshots_found_by_text_author_and_hash(cast: Cast, archive: Archive) -> None:
    assert found(cast, text="kemi_kau/")[SCREENSHOTS] == {archive.startpage.pk}
    assert found(cast, author="@reklam")[SCREENSHOTS] == {archive.evidence.pk}
    assert found(cast, text=archive.startpage.sha256[:16])[SCREENSHOTS] == {archive.startpage.pk}


def test_kinds_limit_what_is_searched(cast: Cast, archive: Archive) -> None:
    results = search(cast["registrar"], account=archive.account, kinds=[SCREENSHOTS])
    assert list(results.sections) == [SCREENSHOTS]
    assert results[ITEMS].rows == []


def test_each_kind_is_capped_and_says_there_is_more(cast: Cast, archive: Archive, make_item: Any) -> None:
    for _number in range(3):
        make_item(text="Samma fråga om tentan")
    results = search(cast["registrar"], text="tentan", cap=2)
    assert len(results[ITEMS].rows) == 2
    assert results[ITEMS].more is True
    assert search(cast["registrar"], text="tentan", cap=3)[ITEMS].more is False


# --- Who may search -------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", SEARCHERS)
def test_registrar_and_lead_search_everything_kau_public_record(
    cast: Cast, archive: Archive, person: str
) -> None:
    """The registrar reads no inbox, yet answers requests for public records from every account."""
    assert found(cast, person, unit=cast.units["university"])[ITEMS] == {
        archive.criticism.pk,
        archive.threat.pk,
        archive.prohibited.pk,
        archive.pile_on.pk,
    }


@pytest.mark.parametrize("person", EVERYONE_ELSE)
def test_nobody_else_may_search(cast: Cast, archive: Archive, person: str) -> None:
    with pytest.raises(PermissionDenied):
        search(cast[person], text="biblioteket")


def test_criteria_round_trip_through_json(cast: Cast, archive: Archive) -> None:
    criteria = Criteria(
        text="x",
        account=archive.account,
        unit=cast.units["faculty"],
        start=date(2026, 11, 1),
        rule="KAU-DREV",
    )
    assert Criteria.from_dict(criteria.as_dict()) == criteria


# --- The page -------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("archive:search"))
    assert response.status_code == 302
    assert "logga-in" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize("person", SEARCHERS)
def test_search_page_opens_for_the_registrar_and_the_lead(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    client.force_login(cast[person])
    assert client.get(reverse("archive:search")).status_code == 200
    response = client.get(reverse("archive:search"), {"text": "biblioteket"})
    assert response.status_code == 200
    assert [item.pk for item in response.context["results"][ITEMS].rows] == [archive.criticism.pk]
    assert "Varför stänger ni biblioteket" in response.content.decode()


@pytest.mark.parametrize("person", EVERYONE_ELSE)
def test_search_page_is_refused_to_everyone_else(client: Client, cast: Cast, person: str) -> None:
    client.force_login(cast[person])
    assert client.get(reverse("archive:search")).status_code == 403
    assert client.get(reverse("archive:search"), {"text": "x"}).status_code == 403


def test_a_search_with_nothing_filled_in_or_a_bad_period_is_400(client: Client, cast: Cast) -> None:
    client.force_login(cast["registrar"])
    assert client.get(reverse("archive:search"), {"text": ""}).status_code == 400
    response = client.get(reverse("archive:search"), {"start": "2026-11-10", "end": "2026-11-01"})
    assert response.status_code == 400
    assert "end" in response.context["form"].errors
    assert client.get(reverse("archive:search"), {"start": "not a date"}).status_code == 400


def test_the_page_carries_an_export_form_with_the_same_criteria(
    client: Client, cast: Cast, archive: Archive
) -> None:
    client.force_login(cast["registrar"])
    response = client.get(
        reverse("archive:search"), {"unit": cast.units["department"].pk, "start": "2026-11-01"}
    )
    assert response.status_code == 200
    assert ("unit", str(cast.units["department"].pk)) in response.context["hidden_criteria"]
    assert ("start", "2026-11-01") in response.context["hidden_criteria"]
    assert f'action="{reverse("archive:exports")}"' in response.content.decode()


def _queries(client: Client, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("archive:search"), params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_the_results(
    client: Client, cast: Cast, archive: Archive, make_item: Any
) -> None:
    from archive.services import store_screenshot
    from tests.archive.export_support import NOW, png

    client.force_login(cast["registrar"])
    params = {"unit": cast.units["university"].pk}
    few = _queries(client, params)
    for number in range(12):
        item = make_item(text=f"Fråga {number}", author=f"@person{number}")
        store_screenshot(
            archive.account,
            data=png(colour=(number * 10, 5, 5)),
            purpose="item",
            item=item,
            by=cast["communicator"],
            now=NOW,
        )
    many = _queries(client, params)
    assert many == few

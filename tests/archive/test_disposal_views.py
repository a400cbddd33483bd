"""The pages of the retention schedule, disposal lists and legal holds (arkivlagen 10 §): every role,
bad input refused with the field named and nothing changed, and list pages at a fixed query count."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive import disposal as disposals
from archive.disposal_execution import execute_disposal
from archive.models import Disposal, LegalHold, RetentionRule
from tests.archive.disposal_support import (
    DECISION,
    NOW,
    Old,
    account,
    approve,
    make_item,
    media_root,
    old,
    set_period,
)
from tests.conftest import Cast
from tests.support import PEOPLE, login

pytestmark = pytest.mark.django_db
FIXTURES = (account, make_item, media_root, old)

ARCHIVIST = {"registrar"}
HOLDERS = {"registrar", "social_media_lead"}


def _expected(person: str, allowed: set[str], ok: int = 200, refused: int = 403) -> int:
    """A page of the whole feature refuses others (403); the page of one list, rule or hold tells
    them nothing is there (404)."""
    if person == "anonymous":
        return 302
    return ok if person in allowed else refused


@pytest.fixture
def proposed(cast: Cast, old: Old) -> Disposal:
    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    return disposal


@pytest.mark.parametrize("person", [*PEOPLE, "staff"])
def test_only_the_archivist_opens_the_schedule_and_the_lists(
    client: Client, cast: Cast, proposed: Disposal, person: str
) -> None:
    login(client, cast, person)
    for url in (reverse("archive:retention"), reverse("archive:disposals")):
        assert client.get(url).status_code == _expected(person, ARCHIVIST), url
    for url in (
        reverse("archive:disposal", args=[proposed.pk]),
        reverse("archive:retention_rule", args=[RetentionRule.objects.first().pk]),  # type: ignore[union-attr]
    ):
        assert client.get(url).status_code == _expected(person, ARCHIVIST, refused=404), url


@pytest.mark.parametrize("person", [*PEOPLE, "staff"])
def test_the_archivist_and_the_lead_open_the_holds(client: Client, cast: Cast, old: Old, person: str) -> None:
    login(client, cast, person)
    assert client.get(reverse("archive:holds")).status_code == _expected(person, HOLDERS)


@pytest.mark.parametrize("person", [*PEOPLE, "staff"])
def test_only_the_archivist_approves(client: Client, cast: Cast, proposed: Disposal, person: str) -> None:
    login(client, cast, person)
    response = client.post(
        reverse("archive:disposal_approve", args=[proposed.pk]),
        {"decision_reference": DECISION, "confirm": "on"},
    )
    assert response.status_code == _expected(person, ARCHIVIST, ok=302, refused=404)
    proposed.refresh_from_db()
    expected = Disposal.Status.APPROVED if person in ARCHIVIST else Disposal.Status.PROPOSED
    assert proposed.status == expected


def test_an_unknown_list_or_rule_is_not_found(client: Client, cast: Cast, old: Old) -> None:
    login(client, cast, "registrar")
    assert client.get(reverse("archive:disposal", args=[9999])).status_code == 404
    assert client.get(reverse("archive:retention_rule", args=[9999])).status_code == 404
    assert client.post(reverse("archive:hold_lift", args=[9999]), {"reason": "x"}).status_code == 404


def test_approval_without_the_decision_reference_names_the_field_and_changes_nothing(
    client: Client, cast: Cast, proposed: Disposal
) -> None:
    login(client, cast, "registrar")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("archive:disposal_approve", args=[proposed.pk]), {"decision_reference": "", "confirm": "on"}
    )
    assert response.status_code == 400
    assert 'href="#id_decision_reference"' in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == Disposal.Status.PROPOSED


def test_a_period_without_a_legal_basis_is_refused(client: Client, cast: Cast, old: Old) -> None:
    rule = RetentionRule.objects.get(record_type="evidence")
    login(client, cast, "registrar")
    url = reverse("archive:retention_rule", args=[rule.pk])
    response = client.post(url, {"period": "2", "unit": "years", "legal_basis": ""})
    assert response.status_code == 400
    assert 'href="#id_legal_basis"' in response.content.decode()
    rule.refresh_from_db()
    assert rule.period_months is None
    versions = rule.history.count()
    response = client.post(
        url, {"period": "2", "unit": "years", "legal_basis": "RA-FS 2021:6", "reason": "Ny plan"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.period_months == 24
    assert rule.history.count() == versions + 1
    page = client.get(reverse("archive:retention")).content.decode()
    assert "RA-FS 2021:6" in page
    assert "Ny plan" in page  # the version history


def test_the_archivist_takes_a_record_off_the_list(
    client: Client, cast: Cast, old: Old, proposed: Disposal
) -> None:
    entry = proposed.entries.get(record_id=old.disposed.pk)
    login(client, cast, "registrar")
    response = client.post(reverse("archive:disposal_exclude", args=[proposed.pk, entry.pk]))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.excluded_at is not None
    # Another list's entry through this list's address is not found.
    assert (
        client.post(reverse("archive:disposal_exclude", args=[proposed.pk + 1, entry.pk])).status_code == 404
    )


def test_a_hold_is_placed_and_lifted_never_deleted(
    client: Client, cast: Cast, old: Old, account: Any
) -> None:
    login(client, cast, "social_media_lead")
    response = client.post(
        reverse("archive:hold_create"),
        {"account": account.pk, "reason": "investigation", "description": "Utredning 2026/5"},
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get(description="Utredning 2026/5")
    assert hold.placed_by == cast["social_media_lead"]
    response = client.post(reverse("archive:hold_create"), {"reason": "request", "description": "Inget"})
    assert response.status_code == 400
    assert 'href="#id_account"' in response.content.decode()
    # Lifting without a reason is refused with 400 and changes nothing.
    assert client.post(reverse("archive:hold_lift", args=[hold.pk]), {"reason": " "}).status_code == 400
    hold.refresh_from_db()
    assert hold.lifted_at is None
    assert client.post(reverse("archive:hold_lift", args=[hold.pk]), {"reason": "Klar"}).status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_at is not None
    assert hold.lifted_by == cast["social_media_lead"]
    assert LegalHold.objects.filter(pk=hold.pk).exists()


def test_the_item_page_shows_the_disposal_note(
    client: Client, cast: Cast, old: Old, proposed: Disposal
) -> None:
    approve(proposed, by=cast["registrar"])
    execute_disposal(proposed.pk, now=NOW)
    login(client, cast, "communicator")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("moderation:item", args=[old.disposed.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"under decision {DECISION}" in page
    assert "Hemligt" not in page


def test_the_lists_cost_the_same_at_any_size(
    client: Client, cast: Cast, old: Old, make_item: Any, django_assert_max_num_queries: Any
) -> None:
    from moderation import services
    from tests.archive.disposal_support import at

    set_period("item", 12, by=cast["registrar"])
    login(client, cast, "registrar")
    counts = []
    for extra in (0, 6):
        for number in range(extra):
            item = make_item(received_at=at(2024, 3, 1 + number), now=at(2024, 3, 1 + number))
            services.close_item(
                item, reason="Ingen fråga", by=cast["communicator"], now=at(2024, 3, 1 + number)
            )
            LegalHold.objects.create(
                start=at(2020, 1, 1).date(),
                end=at(2020, 1, 2).date(),
                reason="other",
                description=f"Spärr {number}",
                placed_at=NOW,
                placed_by=cast["registrar"],
            )
        Disposal.objects.filter(status="proposed").update(status="rejected", decided_at=NOW)
        disposal = disposals.propose_disposal(by=None, now=NOW)
        assert disposal is not None
        pages = [
            reverse("archive:disposal", args=[disposal.pk]),
            reverse("archive:disposals"),
            reverse("archive:holds"),
            reverse("archive:retention"),
        ]
        measured = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            measured.append(len(queries))
        counts.append(measured)
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(12):
        client.get(pages[0])


def test_a_disposed_start_page_screenshot_is_said_to_be_disposed_not_shown_broken(
    client: Client, cast: Cast, old: Old, account: Any
) -> None:
    """Arkivlagen 10 §, KAU-STARTPAGE: the start-page list keeps the row of a screenshot disposed of and
    says so, with no picture whose file is gone; the account page shows no such picture either."""
    set_period("startpage", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=cast["registrar"], now=NOW)
    assert disposal is not None
    approve(disposal, by=cast["registrar"])
    execute_disposal(disposal.pk, now=NOW)
    login(client, cast, "communicator")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("archive:startpage", args=[account.pk])).content.decode()
    assert f'data-screenshot="{old.startpage.pk}"' in page
    assert "Disposed of on" in page
    assert reverse("archive:stamped", args=[old.startpage.pk]) not in page
    account_page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert reverse("archive:stamped", args=[old.startpage.pk]) not in account_page

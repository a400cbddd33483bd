"""The reviewer of round 2 sees what changed since round 1 (KAU-START-COMMS)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from governance import rounds, services
from governance.models import AccountRequest
from tests.conftest import Cast
from tests.governance.factories import NOW, complete_request_data, make_request

pytestmark = pytest.mark.django_db

STAFFING = "Tre kommunikatörer turas om; den som har helgjour svarar på kommentarer även lördag och söndag."


def resubmit(
    cast: Cast, req: AccountRequest, *, deputies: tuple[str, ...] = ("deputy",), **changes: object
) -> None:
    services.save_draft(
        req.pk,
        by=cast["communicator"],
        data=complete_request_data(cast, **changes),
        deputies=[cast[name] for name in deputies],
        now=NOW,
    )
    services.submit_request(req.pk, by=cast["communicator"], now=NOW)


def test_the_changes_of_round_two_are_each_field_old_and_new(cast: Cast) -> None:
    req = make_request(cast, state="returned")
    resubmit(
        cast,
        req,
        deputies=("deputy", "staff"),
        checklist_staffing=STAFFING,
        resource_hours_per_week=Decimal("6.5"),
        audiences=["students"],
    )
    req = AccountRequest.objects.get(pk=req.pk)
    assert req.round == 2
    with translation.override("en"):
        changes = {change.field: change for change in rounds.changes_since_last_round(req)}
    assert list(changes) == [
        "audiences",
        "checklist_staffing",
        "resource_hours_per_week",
        "proposed_deputies",
    ]
    assert changes["checklist_staffing"].new == STAFFING
    assert changes["checklist_staffing"].old == complete_request_data(cast)["checklist_staffing"]
    assert (changes["audiences"].old, changes["audiences"].new) == ("Students, Interested public", "Students")
    assert (changes["resource_hours_per_week"].old, changes["resource_hours_per_week"].new) == ("4.0", "6.5")
    assert cast["staff"].email in changes["proposed_deputies"].new
    assert cast["staff"].email not in changes["proposed_deputies"].old
    with translation.override("sv"):
        hours = next(c for c in rounds.changes_since_last_round(req) if c.field == "resource_hours_per_week")
    assert hours.new == "6,5"  # the decimal comma in Swedish


def test_the_reviewer_reads_the_changes_on_the_request_page(client: Client, cast: Cast) -> None:
    req = make_request(cast, state="returned")
    resubmit(cast, req, checklist_staffing=STAFFING)
    client.force_login(cast["communications"])
    body = client.get(req.get_absolute_url()).content.decode()
    section = body.split("data-round-changes", 1)[1].split("</section>", 1)[0]
    assert re.findall(r'data-field="([a-z_]+)"', section) == ["checklist_staffing"]
    assert STAFFING in section
    assert complete_request_data(cast)["checklist_staffing"] in section
    # The review form comes after the changes, so the reviewer reads them first.
    assert body.index("data-round-changes") < body.index('id="h-review"')


def test_a_resubmission_that_changes_nothing_says_so(client: Client, cast: Cast) -> None:
    req = make_request(cast, state="returned")
    resubmit(cast, req)
    assert rounds.changes_since_last_round(AccountRequest.objects.get(pk=req.pk)) == []
    client.force_login(cast["communications"])
    body = client.get(req.get_absolute_url()).content.decode()
    assert "data-round-changes" in body
    assert 'data-field="' not in body.split("data-round-changes", 1)[1].split("</section>", 1)[0]


def test_round_one_shows_no_changes(client: Client, cast: Cast) -> None:
    req = make_request(cast, state="submitted")
    assert rounds.changes_since_last_round(req) == []
    client.force_login(cast["communications"])
    assert "data-round-changes" not in client.get(req.get_absolute_url()).content.decode()

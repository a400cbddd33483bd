"""Hostile dates sent to every form that takes a date or a time, and to the bulk import: each is
answered 200 or 400 with the field named, and nothing is stored. No date reaches a 500, and none is
stored to cost every later page that reads it (core.bounds).

The dates: year 1 (with and without an offset), 1899, the day before 1990, year 9999, a day that does
not exist, and a string of 100,000 characters. KAU-RESPONSE-DEADLINE: a time that Kanalvakt cannot
count working hours from is refused where it comes in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import BaseForm
from django.test import Client
from django.urls import reverse

from accounts.models import Absence, Account, FollowUp
from archive.models import ExportJob, Screenshot
from core.calendar import STOCKHOLM
from core.models import InstitutionSettings
from moderation import services as moderation_services
from moderation.models import Item, LogEntry
from tests.conftest import Cast
from tests.support import INSTITUTION_SETTINGS, png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock", "media_root")]

# Wednesday 2 December 2026, 10:00 in Stockholm: the views' clock in every test here.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM)

HUGE = "2026-11-27" + "9" * 100_000

# What a datetime-local input (Swedish time, no offset) may be sent, and what a date input may be sent.
HOSTILE_TIMES = [
    "0001-01-01T00:00",
    "0001-01-01T00:00:00+14:00",
    "1899-12-31T12:00",
    "1989-12-31T23:59",
    "9999-12-31T23:59",
    "2026-02-30T10:00",
    HUGE,
]
HOSTILE_DAYS = [
    "0001-01-01",
    "0001-01-01T00:00:00+14:00",
    "1899-12-31",
    "1989-12-31",
    "9999-12-31",
    "2026-02-30",
    HUGE,
]


def upload(name: str = "bild.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png((120, 90)), content_type="image/png")


def stored() -> dict[str, Any]:
    """Everything a refused date must leave as it was."""
    institution = InstitutionSettings.objects.get_solo()
    return {
        "items": Item.objects.count(),
        "log": LogEntry.objects.count(),
        "item history": Item.history.count(),
        "answered": Item.objects.exclude(answer="").count(),
        "screenshots": Screenshot.objects.count(),
        "absences": Absence.objects.count(),
        "follow-ups": FollowUp.objects.count(),
        "exports": ExportJob.objects.count(),
        "days off": list(institution.extra_days_off),
        "settings history": institution.history.count(),
    }


def forms_in(response: Any) -> Iterator[BaseForm]:
    for context in response.context or []:
        for value in context.flatten().values():
            if isinstance(value, BaseForm):
                yield value


def field_errors(response: Any, field: str) -> list[str]:
    """The errors shown on ``field`` in any form the page rendered."""
    errors: list[str] = []
    for form in forms_in(response):
        errors += [str(error) for error in form.errors.get(field) or []]
    return errors


@dataclass(frozen=True)
class Case:
    """One form: who sends it, to what (an account, or an item of it), and which field must carry the
    refusal."""

    name: str
    person: str
    field: str
    send: Callable[[Client, Any, str], Any]
    good: str
    on_item: bool = False


def _item(cast: Cast, account: Account) -> Item:
    return moderation_services.log_item(
        account,
        kind="comment",
        author="@besokare",
        text="När öppnar anmälan?",
        received_at=datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM),
        by=cast["communicator"],
        now=NOW,
    )


def _item_create(client: Client, account: Account, value: str) -> Any:
    return client.post(
        reverse("moderation:item_create", args=[account.pk]),
        {"kind": "comment", "author": "@besokare", "text": "En fråga", "received_at": value},
    )


def _answer(client: Client, item: Item, value: str) -> Any:
    return client.post(
        reverse("moderation:answer", args=[item.pk]),
        {"answer-answer": "Anmälan öppnar 15 mars.", "answer-answered_at": value},
    )


def _evidence(client: Client, item: Item, value: str) -> Any:
    return client.post(
        reverse("archive:item_evidence", args=[item.pk]),
        {"evidence-image": upload(), "evidence-taken_at": value},
    )


def _item_screenshot(client: Client, item: Item, value: str) -> Any:
    return client.post(
        reverse("archive:item_screenshot", args=[item.pk]),
        {"shot-image": upload(), "shot-taken_at": value},
    )


def _startpage(client: Client, account: Account, value: str) -> Any:
    return client.post(
        reverse("archive:startpage", args=[account.pk]), {"image": upload(), "taken_on": value}
    )


def _absence_from(client: Client, account: Account, value: str) -> Any:
    return client.post(
        reverse("accounts:absences"), {"starts_on": value, "ends_on": "2026-12-20", "kind": "vacation"}
    )


def _absence_to(client: Client, account: Account, value: str) -> Any:
    return client.post(
        reverse("accounts:absences"), {"starts_on": "2026-12-10", "ends_on": value, "kind": "vacation"}
    )


def _followup(client: Client, account: Account, value: str) -> Any:
    return client.post(
        reverse("accounts:followup", args=[account.pk]),
        {
            "period_end": value,
            "followers": "1200",
            "posts": "30",
            "reactions": "400",
            "comments": "50",
            "traffic": "same",
            "reaches_audiences": "yes",
            "keeps_up": "yes",
            "value_estimate": "Bra värde.",
            "decision": "continue",
        },
    )


def _report(field: str) -> Callable[[Client, Any, str], Any]:
    def send(client: Client, account: Account, value: str) -> Any:
        return client.get(
            reverse("moderation:report"), {"start": "2026-11-01", "end": "2026-11-30", field: value}
        )

    return send


def _search(field: str) -> Callable[[Client, Any, str], Any]:
    def send(client: Client, account: Account, value: str) -> Any:
        return client.get(reverse("archive:search"), {"text": "anmälan", field: value})

    return send


def _export(field: str) -> Callable[[Client, Any, str], Any]:
    def send(client: Client, account: Account, value: str) -> Any:
        return client.post(reverse("archive:exports"), {"account": str(account.pk), field: value})

    return send


def _days_off(client: Client, account: Account, value: str) -> Any:
    return client.post(
        reverse("governance:settings"),
        {**INSTITUTION_SETTINGS, "extra_days_off": f"2026-12-28\n{value}"},
    )


TIME_CASES = [
    Case("item received", "communicator", "received_at", _item_create, "2026-12-01T09:30"),
    Case("answer given", "communicator", "answered_at", _answer, "2026-12-01T09:30", on_item=True),
    Case("evidence taken", "communicator", "taken_at", _evidence, "2026-12-01T09:30", on_item=True),
    Case(
        "item screenshot taken",
        "communicator",
        "taken_at",
        _item_screenshot,
        "2026-12-01T09:30",
        on_item=True,
    ),
]
DAY_CASES = [
    Case("start page taken", "communicator", "taken_on", _startpage, "2026-11-30"),
    Case("absence from", "communicator", "starts_on", _absence_from, "2026-12-10"),
    Case("absence to", "communicator", "ends_on", _absence_to, "2026-12-20"),
    Case("follow-up period", "communicator", "period_end", _followup, "2026-11-30"),
    Case("report from", "social_media_lead", "start", _report("start"), "2026-11-01"),
    Case("report to", "social_media_lead", "end", _report("end"), "2026-11-30"),
    Case("search from", "registrar", "start", _search("start"), "1990-01-01"),
    Case("search to", "registrar", "end", _search("end"), "2027-12-02"),
    Case("export from", "registrar", "start", _export("start"), "1990-01-01"),
    Case("export to", "registrar", "end", _export("end"), "2026-12-02"),
    Case("extra day off", "social_media_lead", "extra_days_off", _days_off, "2027-01-07"),
]


def _check(client: Client, cast: Cast, make_account: Any, case: Case, value: str) -> None:
    account = make_account()
    # The item a form acts on is made before the count, so that only what the form does is counted.
    target = _item(cast, account) if case.on_item else account
    client.force_login(cast[case.person])
    before = stored()
    response = case.send(client, target, value)
    assert response.status_code in (200, 400), (response.status_code, value[:40])
    errors = field_errors(response, case.field)
    assert errors, (case.name, value[:40], [dict(form.errors) for form in forms_in(response)])
    assert stored() == before


HOSTILE_ENTRIES = [
    pytest.param(case, value, id=f"{case.name}-{value[:26]}")
    for cases, values in ((TIME_CASES, HOSTILE_TIMES), (DAY_CASES, HOSTILE_DAYS))
    for value in values
    for case in cases
]


@pytest.mark.parametrize(("case", "value"), HOSTILE_ENTRIES)
def test_a_hostile_time_or_day_is_refused_on_its_field_and_stores_nothing(
    client: Client, cast: Cast, make_account: Any, case: Case, value: str
) -> None:
    """KAU-RESPONSE-DEADLINE: every time typed into a form lies between 1990 and five minutes from now;
    every day typed into a form lies in the window a person would expect for it (core.bounds)."""
    _check(client, cast, make_account, case, value)


@pytest.mark.parametrize("case", TIME_CASES + DAY_CASES, ids=lambda c: c.name)
def test_a_sensible_date_on_the_same_form_is_taken(
    client: Client, cast: Cast, make_account: Any, case: Case
) -> None:
    """The control: the same request with a date a person would give passes (a redirect after a change,
    200 for a search), so that each refusal above is the date's alone."""
    account = make_account()
    target = _item(cast, account) if case.on_item else account
    client.force_login(cast[case.person])
    response = case.send(client, target, case.good)
    assert response.status_code in (200, 302), [dict(form.errors) for form in forms_in(response)]
    assert field_errors(response, case.field) == []


# --- The bulk import ------------------------------------------------------------------------------------

IMPORT_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-12:00",
    "0001-01-01 00:00",
    "1899-12-31T12:00:00+01:00",
    "1989-12-31 23:59",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31 23:59",
    "2026-02-30 10:00",
    HUGE,
]


@pytest.mark.parametrize("value", IMPORT_TIMES, ids=lambda v: v[:26])
def test_a_hostile_time_in_an_import_is_refused_on_its_row_and_column(
    client: Client, cast: Cast, make_account: Any, value: str
) -> None:
    """KAU-RESPONSE-DEADLINE: an imported row names its received_at when the time is out of bounds."""
    account = make_account()
    client.force_login(cast["communicator"])
    data = (
        "platform_id;kind;author;text;received_at\r\n"
        "ig-1;comment;@anna;Fråga ett;2026-11-27T15:00:00+01:00\r\n"
        f"ig-2;comment;@bo;Fråga två;{value}\r\n"
    ).encode()
    before = stored()
    response = client.post(
        reverse("moderation:import", args=[account.pk]),
        {"file": SimpleUploadedFile("items.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 400
    errors = [(error.row, error.field) for error in response.context["errors"]]
    assert errors == [(3, "received_at")]
    assert stored() == before

"""Correcting a wrongly entered registration number (KAU-DIARY-ACTION, KAU-PUBLIC-RECORD): the
registrar only, with the reason, logged in an append-only record beside the package whose PDF is
never altered; and the same number on two packages is never silent."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse

from archive import diary_numbers, registration
from archive.models import DiaryNumberCorrection, DiaryPackage
from tests.archive.diary_support import NOW, account, make_item, media_root, registrable
from tests.conftest import Cast
from tests.support import in_english, login

__all__ = ["account", "make_item", "media_root", "registrable"]  # fixtures used by name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]

LATER = NOW + timedelta(hours=1)


def build(cast: Cast, registrable: Any, subject: str = "Kritik mot antagningen") -> DiaryPackage:
    return registration.build_package(
        registrable(), subject=subject, secrecy="", by=cast["communicator"], now=NOW
    )


@pytest.fixture
def registered(cast: Cast, registrable: Any) -> DiaryPackage:
    """A package registered as KAU 2026/12, where KAU 2026/21 was meant."""
    package = build(cast, registrable)
    return diary_numbers.register_package(package, diary_number="KAU 2026/12", by=cast["registrar"], now=NOW)


def correct(client: Client, package: DiaryPackage, **data: str) -> Any:
    fields = {"diary_number": "KAU 2026/21", "reason": "Siffrorna kastades om vid registreringen."}
    fields.update(data)
    return client.post(reverse("archive:package_correct", args=[package.pk]), fields)


# --- Who may correct ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 302),
        ("outsider", 404),
        ("communications", 404),
        ("registrar", 302),
        ("head_of_unit", 403),
        ("social_media_lead", 403),
        ("communicator", 403),
        ("deputy", 403),
    ],
)
def test_only_the_registrar_corrects_the_number_kau_diary_action(
    client: Client, cast: Cast, registered: DiaryPackage, person: str, expected: int
) -> None:
    response = correct(login(client, cast, person), registered)
    assert response.status_code == expected
    registered.refresh_from_db()
    if person == "registrar":
        assert response["Location"] == reverse("archive:package", args=[registered.pk])
        assert registered.diary_number == "KAU 2026/21"
        assert DiaryNumberCorrection.objects.count() == 1
    else:
        assert registered.diary_number == "KAU 2026/12"
        assert not DiaryNumberCorrection.objects.exists()
        if person == "anonymous":
            assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    "person", ["registrar", "head_of_unit", "social_media_lead", "communicator", "deputy"]
)
def test_the_correction_form_is_on_the_package_page_for_the_registrar_only(
    client: Client, cast: Cast, registered: DiaryPackage, person: str
) -> None:
    response = login(client, cast, person).get(reverse("archive:package", args=[registered.pk]))
    assert response.status_code == 200
    action = f'action="{reverse("archive:package_correct", args=[registered.pk])}"'
    assert (action in response.content.decode()) == (person == "registrar")
    assert (response.context["correction_form"] is not None) == (person == "registrar")


def test_the_correction_is_a_post(client: Client, cast: Cast, registered: DiaryPackage) -> None:
    response = login(client, cast, "registrar").get(reverse("archive:package_correct", args=[registered.pk]))
    assert response.status_code == 405


def test_the_service_refuses_anyone_but_the_registrar(cast: Cast, registered: DiaryPackage) -> None:
    with pytest.raises(PermissionDenied):
        diary_numbers.correct_diary_number(
            registered, diary_number="KAU 2026/21", reason="Fel", by=cast["social_media_lead"], now=LATER
        )
    assert not DiaryNumberCorrection.objects.exists()


# --- What a correction does -------------------------------------------------------------------------


def test_a_correction_is_recorded_beside_the_unchanged_pdf(
    client: Client, cast: Cast, registered: DiaryPackage
) -> None:
    pdf_before = registered.pdf.read()
    response = correct(login(client, cast, "registrar"), registered)
    assert response.status_code == 302
    correction = DiaryNumberCorrection.objects.get()
    assert (correction.package, correction.old_number, correction.new_number) == (
        registered,
        "KAU 2026/12",
        "KAU 2026/21",
    )
    assert correction.reason == "Siffrorna kastades om vid registreringen."
    assert correction.corrected_by == cast["registrar"]
    registered.refresh_from_db()
    assert registered.diary_number == "KAU 2026/21"
    assert registered.registered_by == cast["registrar"]
    # The PDF is the record as sent: not rewritten, its hash still that of the bytes on disk.
    with registered.pdf.open("rb") as handle:
        pdf_after = handle.read()
    assert pdf_after == pdf_before
    assert hashlib.sha256(pdf_after).hexdigest() == registered.pdf_sha256
    assert registered.history.first().history_change_reason == "registration number corrected"


def test_the_package_page_shows_the_current_number_and_the_reason_in_its_history(
    client: Client, cast: Cast, registered: DiaryPackage
) -> None:
    in_english(login(client, cast, "registrar"))
    correct(client, registered)
    page = client.get(reverse("archive:package", args=[registered.pk])).content.decode()
    assert "as KAU 2026/21" in page
    history = page.split("data-number-history", 1)[1].split("</ol>", 1)[0]
    assert "Registered as KAU 2026/12" in history
    assert "Corrected from KAU 2026/12 to KAU 2026/21" in history
    assert "Siffrorna kastades om vid registreringen." in history
    # The communicator who built it sees the history too, without the form.
    communicator = in_english(login(Client(), cast, "communicator"))
    assert (
        "Siffrorna kastades om"
        in communicator.get(reverse("archive:package", args=[registered.pk])).content.decode()
    )


def test_the_csv_and_json_show_the_current_number_and_its_corrections(
    client: Client, cast: Cast, registered: DiaryPackage
) -> None:
    correct(login(client, cast, "registrar"), registered)
    url = reverse("archive:package_download", args=[registered.pk])
    document = json.loads(client.get(url, {"format": "json"}).content)
    assert document["fields"]["diary_number"] == "KAU 2026/21"
    corrections = document["fields"]["diary_number_corrections"]
    assert "KAU 2026/12 → KAU 2026/21" in corrections
    assert "Siffrorna kastades om vid registreringen." in corrections
    as_csv = client.get(url, {"format": "csv"}).content.decode("utf-8-sig")
    assert "diary_number_corrections" in as_csv
    assert "KAU 2026/12 → KAU 2026/21" in as_csv


def test_two_corrections_keep_their_order(cast: Cast, registered: DiaryPackage) -> None:
    diary_numbers.correct_diary_number(
        registered, diary_number="KAU 2026/21", reason="Första", by=cast["registrar"], now=LATER
    )
    diary_numbers.correct_diary_number(
        registered,
        diary_number="KAU 2026/211",
        reason="Andra",
        by=cast["registrar"],
        now=LATER + timedelta(1),
    )
    rows = list(registered.number_corrections.values_list("old_number", "new_number"))
    assert rows == [("KAU 2026/12", "KAU 2026/21"), ("KAU 2026/21", "KAU 2026/211")]


# --- Bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 1001}, "reason"),
        ({"diary_number": "KAU 2026/12"}, "diary_number"),
        ({"diary_number": " KAU  2026/12 "}, "diary_number"),  # the same number, spaces aside
        ({"diary_number": ""}, "diary_number"),
        ({"diary_number": "x" * 61}, "diary_number"),
    ],
    ids=[
        "empty reason",
        "blank reason",
        "long reason",
        "same number",
        "same spaced",
        "empty number",
        "long number",
    ],
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(
    client: Client, cast: Cast, registered: DiaryPackage, data: dict[str, str], field: str
) -> None:
    response = correct(in_english(login(client, cast, "registrar")), registered, **data)
    assert response.status_code == 400
    form = response.context["correction_form"]
    assert field in form.errors
    assert 'class="form-errors"' in response.content.decode()  # the error summary
    registered.refresh_from_db()
    assert registered.diary_number == "KAU 2026/12"
    assert not DiaryNumberCorrection.objects.exists()


def test_a_package_not_yet_registered_is_registered_not_corrected(
    client: Client, cast: Cast, registrable: Any
) -> None:
    package = build(cast, registrable)
    response = correct(login(client, cast, "registrar"), package)
    assert response.status_code == 400
    assert "diary_number" in response.context["correction_form"].errors
    package.refresh_from_db()
    assert (package.diary_number, package.registered_at) == ("", None)


def test_the_service_names_every_refused_field_at_once(cast: Cast, registered: DiaryPackage) -> None:
    with pytest.raises(ValidationError) as refused:
        diary_numbers.correct_diary_number(
            registered, diary_number="KAU 2026/12", reason="", by=cast["registrar"], now=LATER
        )
    assert set(refused.value.message_dict) == {"diary_number", "reason"}


# --- The same number on two packages ------------------------------------------------------------------


def test_correcting_to_a_number_another_package_has_asks_for_confirmation(
    client: Client, cast: Cast, registrable: Any, registered: DiaryPackage
) -> None:
    other = build(cast, registrable, subject="Ett annat ärende")
    diary_numbers.register_package(other, diary_number="KAU 2026/21", by=cast["registrar"], now=NOW)
    in_english(login(client, cast, "registrar"))
    response = correct(client, registered)
    assert response.status_code == 400
    form = response.context["correction_form"]
    assert f"Diary package {other.pk} already has the registration number KAU 2026/21" in str(
        form.errors["confirm_duplicate"]
    )
    assert 'name="confirm_duplicate"' in response.content.decode()  # the box to tick is shown
    registered.refresh_from_db()
    assert registered.diary_number == "KAU 2026/12"
    assert not DiaryNumberCorrection.objects.exists()

    confirmed = correct(client, registered, confirm_duplicate="on")
    assert confirmed.status_code == 302
    registered.refresh_from_db()
    assert registered.diary_number == "KAU 2026/21"
    page = client.get(reverse("archive:package", args=[registered.pk])).content.decode()
    assert "data-shared-number" in page
    assert reverse("archive:package", args=[other.pk]) in page


def test_registering_a_number_another_package_has_asks_for_confirmation(
    client: Client, cast: Cast, registrable: Any, registered: DiaryPackage
) -> None:
    package = build(cast, registrable, subject="Ett annat ärende")
    url = reverse("archive:package_register", args=[package.pk])
    login(client, cast, "registrar")
    response = client.post(url, {"diary_number": "KAU 2026/12", "from": "queue"})
    assert response.status_code == 400
    assert "confirm_duplicate" in response.context["register_form"].errors
    assert 'name="confirm_duplicate"' in response.content.decode()
    package.refresh_from_db()
    assert package.registered_at is None

    response = client.post(url, {"diary_number": "KAU 2026/12", "confirm_duplicate": "on"})
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.diary_number == "KAU 2026/12"


def test_the_registered_queue_marks_packages_that_share_a_number(
    client: Client, cast: Cast, registrable: Any, registered: DiaryPackage
) -> None:
    twin = build(cast, registrable, subject="Tvilling")
    diary_numbers.register_package(
        twin, diary_number="KAU 2026/12", by=cast["registrar"], now=NOW, confirm_duplicate=True
    )
    alone = build(cast, registrable, subject="Ensam")
    diary_numbers.register_package(alone, diary_number="KAU 2026/99", by=cast["registrar"], now=NOW)
    response = login(client, cast, "registrar").get(reverse("archive:registry_queue"), {"show": "registered"})
    marked = {package.pk: package.shares_number for package, _form in response.context["rows"]}
    assert marked == {registered.pk: True, twin.pk: True, alone.pk: False}
    html = response.content.decode()
    row = html.split(f'data-package="{alone.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "data-shared-number" not in row
    row = html.split(f'data-package="{twin.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "data-shared-number" in row


# --- Append-only ----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_a_correction(cast: Cast, registered: DiaryPackage) -> None:
    correction = diary_numbers.correct_diary_number(
        registered, diary_number="KAU 2026/21", reason="Fel siffra", by=cast["registrar"], now=LATER
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        DiaryNumberCorrection.objects.filter(pk=correction.pk).update(reason="Annat")
    with pytest.raises(DatabaseError), transaction.atomic():
        DiaryNumberCorrection.objects.filter(pk=correction.pk).delete()
    assert DiaryNumberCorrection.objects.get().reason == "Fel siffra"

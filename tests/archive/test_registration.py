"""Diary registration (archive.registration): building the package, sending it to the registry and
recording the registration number (KAU-DIARY-ACTION, KAU-PROHIBITED-EVIDENCE)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pikepdf.pdfa
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.urls import reverse
from PIL import Image

from archive import diary_numbers, registration
from archive.models import DiaryPackage, LedgerEntry
from archive.services import store_evidence, store_screenshot
from core.models import InstitutionSettings, Notification
from core.notifications import deliver_pending
from moderation import services
from tests.archive.diary_support import (
    NOW,
    account,
    make_item,
    media_root,
    png,
    registrable,
    screenshot,
)
from tests.conftest import Cast

__all__ = ["account", "make_item", "media_root", "registrable"]  # fixtures used by name

pytestmark = pytest.mark.django_db
DC = "{http://purl.org/dc/elements/1.1/}"


def build(item: Any, cast: Cast, person: str = "communicator", **extra: Any) -> DiaryPackage:
    fields: dict[str, Any] = {"subject": "Kritik mot antagningen", "secrecy": "", "now": NOW}
    fields.update(extra)
    return registration.build_package(item, by=cast[person], **fields)


def read_fields_csv(data: bytes) -> list[list[str]]:
    """The package's CSV as Swedish Excel reads it: UTF-8 with a byte-order mark, semicolons."""
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def stored(root: Path, folder: str) -> list[Path]:
    base = root / folder
    return sorted(path for path in base.rglob("*") if path.is_file()) if base.exists() else []


# --- Building ---------------------------------------------------------------------------------------


def test_the_owner_builds_a_package_of_an_item_requiring_registration_kau_diary_action(
    cast: Cast, registrable: Any
) -> None:
    item = registrable(shots=2)
    package = build(item, cast, secrecy="OSL 21 kap. 7 §")
    assert package.pk is not None
    assert package.built_by == cast["communicator"]
    assert package.sent_at == NOW  # handed to the outbox with the package
    assert package.screenshots.count() == 2
    data = package.pdf.read()
    assert package.pdf_sha256 == hashlib.sha256(data).hexdigest()
    assert pikepdf.pdfa.validate_written(io.BytesIO(data), "2b").passed
    assert len(pikepdf.open(io.BytesIO(data)).pages) >= 1 + 2


def test_the_package_is_built_from_the_date_stamped_copies(cast: Cast, registrable: Any) -> None:
    item = registrable(shots=1)
    shot = item.screenshots.get()
    assert shot.stamped  # archive.services stamps every screenshot
    package = build(item, cast)
    pdf = pikepdf.open(io.BytesIO(package.pdf.read()))
    (embedded,) = pdf.pages[-1].get_images().values()
    with shot.stamped.open("rb") as handle:
        stamped = Image.open(io.BytesIO(handle.read()))
    # The stamped copy carries a caption band, so it is taller than the original.
    assert stamped.size != (shot.width, shot.height)
    assert (int(embedded.Width), int(embedded.Height)) == stamped.size


def test_the_cover_fields_name_every_registry_field(cast: Cast, registrable: Any) -> None:
    item = registrable(shots=1)
    shot = item.screenshots.get()
    package = build(item, cast)
    values = {row["key"]: row["value"] for row in package.fields["rows"]}
    assert values["received_at"] == "2026-11-26 08:00+01:00"  # Stockholm time
    assert values["sender"] == item.author
    assert item.account.name in values["recipient"]
    assert "Institutionen" in values["recipient"]
    assert values["subject"] == "Kritik mot antagningen"
    assert "KAU-DIARY-ACTION" in values["rule_ids"]
    assert values["url"] == item.url
    assert shot.sha256 in values["screenshots"]
    assert shot.stamped_sha256 in values["screenshots"]
    assert str(cast["communicator"]) in values["screenshots"]
    assert values["secrecy"] not in ("", None)
    assert "Communicator" in values["log"]


def test_the_xmp_carries_the_fields_but_no_identifier_before_registration(
    cast: Cast, registrable: Any
) -> None:
    item = registrable()
    package = build(item, cast, secrecy="OSL 21 kap. 7 §")
    meta = pikepdf.open(io.BytesIO(package.pdf.read())).open_metadata()
    assert meta[f"{DC}title"] == "Kritik mot antagningen"
    assert meta[f"{DC}source"] == item.url
    assert meta[f"{DC}creator"] == [str(cast["communicator"])]
    assert meta["{http://ns.adobe.com/xap/1.0/}Label"] == "OSL 21 kap. 7 §"
    assert "2026-11-26" in meta[f"{DC}date"][0]
    assert item.author in meta[f"{DC}description"]
    assert f"{DC}identifier" not in meta


def test_a_removed_prohibited_item_is_registered_kau_prohibited_evidence(cast: Cast, make_item: Any) -> None:
    item = make_item(url="https://www.instagram.com/p/x/")
    item = services.classify_item(
        item, triage=services.Triage(classification="comment", prohibited=[3]), by=cast["deputy"], now=NOW
    )
    store_evidence(item, data=png(), by=cast["deputy"], now=NOW)
    item = services.remove_item(item, note="Personangrepp", by=cast["deputy"], now=NOW)
    assert not item.requires_registration
    package = build(item, cast, person="deputy")
    values = {row["key"]: row["value"] for row in package.fields["rows"]}
    assert "KAU-PROHIBITED-EVIDENCE" in values["rule_ids"]
    assert str(cast["deputy"]) in values["handled"]
    assert package.screenshots.get().purpose == "evidence"


def test_an_item_not_requiring_registration_is_refused_and_nothing_stored(
    cast: Cast, make_item: Any, media_root: Path
) -> None:
    item = make_item()
    screenshot(item, cast)
    with pytest.raises(ValidationError) as refused:
        build(item, cast)
    assert "item" in refused.value.message_dict
    assert not DiaryPackage.objects.exists()
    assert stored(media_root, "diary") == []
    assert not Notification.objects.filter(kind="diary_package").exists()


def test_an_item_without_screenshots_is_refused_with_the_field_named(
    cast: Cast, registrable: Any, media_root: Path
) -> None:
    item = registrable(shots=0)
    ledger_before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        build(item, cast)
    assert refused.value.message_dict["screenshots"]  # named on the field, in the interface's language
    assert not DiaryPackage.objects.exists()
    assert stored(media_root, "diary") == []
    assert LedgerEntry.objects.count() == ledger_before


def test_a_startpage_screenshot_does_not_count(cast: Cast, registrable: Any) -> None:
    item = registrable(shots=0)
    store_screenshot(item.account, data=png(), purpose="startpage", by=cast["communicator"], now=NOW)
    with pytest.raises(ValidationError) as refused:
        build(item, cast)
    assert "screenshots" in refused.value.message_dict


def test_an_empty_subject_is_refused(cast: Cast, registrable: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        build(registrable(), cast, subject="   ")
    assert "subject" in refused.value.message_dict
    assert not DiaryPackage.objects.exists()


@pytest.mark.parametrize("person", ["communicator", "deputy"])
def test_owner_and_deputy_build(cast: Cast, registrable: Any, person: str) -> None:
    assert build(registrable(), cast, person=person).built_by == cast[person]


@pytest.mark.parametrize("person", ["head_of_unit", "social_media_lead", "registrar", "outsider"])
def test_others_cannot_build(cast: Cast, registrable: Any, person: str) -> None:
    item = registrable()
    with pytest.raises(PermissionDenied):
        build(item, cast, person=person)
    assert not DiaryPackage.objects.exists()


def test_a_second_build_is_a_new_version_while_none_is_registered(cast: Cast, registrable: Any) -> None:
    item = registrable()
    first = build(item, cast)
    second = build(item, cast, subject="Kritik, med svaren", now=NOW + timedelta(minutes=5))
    assert first.pk != second.pk
    assert {row["key"]: row["value"] for row in second.fields["rows"]}["version"] == "2"
    assert list(registration.awaiting_registration()) == [second]  # the queue shows the newest only
    with pytest.raises(ValidationError) as refused:
        diary_numbers.register_package(first, diary_number="KAU 2026/1", by=cast["registrar"], now=NOW)
    assert "diary_number" in refused.value.message_dict


def test_no_new_version_once_registered(cast: Cast, registrable: Any) -> None:
    item = registrable()
    package = build(item, cast)
    diary_numbers.register_package(package, diary_number="KAU 2026/1", by=cast["registrar"], now=NOW)
    with pytest.raises(ValidationError) as refused:
        build(item, cast, now=NOW + timedelta(hours=1))
    assert "item" in refused.value.message_dict
    assert DiaryPackage.objects.count() == 1


def test_the_files_are_in_the_fixity_ledger(cast: Cast, registrable: Any) -> None:
    package = build(registrable(), cast)
    entries = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PACKAGE)
    paths = set(entries.values_list("path", flat=True))
    assert package.pdf.name in paths
    assert {path.rsplit(".", 1)[1] for path in paths} == {"pdf", "csv", "json"}
    assert entries.get(path=package.pdf.name).sha256 == package.pdf_sha256


@pytest.mark.parametrize(
    ("author", "written"),
    [
        ("visitor;=1+1", "visitor;=1+1"),
        ("  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
    ],
)
def test_the_package_csv_keeps_a_visitors_formula_as_text_and_the_json_exactly(
    cast: Cast, registrable: Any, media_root: Path, author: str, written: str
) -> None:
    """KAU-DIARY-ACTION: the CSV sent to the registry and kept beside the PDF quotes every cell and
    neutralises a formula; the JSON beside it holds the sender as written."""
    package = build(registrable(author=author), cast, subject="=Kritik")
    sent = (media_root / package.pdf.name).with_suffix(".csv").read_bytes()  # as e-mailed
    for data in (registration.package_fields_csv(package), sent):
        header, values = read_fields_csv(data)
        fields = dict(zip(header, values, strict=True))
        assert (fields["sender"], fields["subject"]) == (written, "'=Kritik")
        assert not any(value.lstrip()[:1] in {"=", "+", "-", "@"} for value in values)
    document = json.loads(registration.package_fields_json(package))
    assert (document["fields"]["sender"], document["fields"]["subject"]) == (author, "=Kritik")


@pytest.mark.parametrize(
    "author",
    [
        "Lisa 🌸 Berg",
        "👩\u200d👩\u200d👧 🇸🇪 👍🏽",
        "王小明 김민준",
        "דוד כהן",
        "Zoë Ö\u0308 a\x01b",
        "Å" * 200,
    ],
    ids=["emoji", "emoji sequences", "cjk", "hebrew", "marks and controls", "long"],
)
def test_a_package_for_any_sender_passes_pdfa_and_keeps_the_exact_name_kau_diary_action(
    cast: Cast, registrable: Any, author: str
) -> None:
    """The cover draws what a font has and a placeholder for the rest; the XMP, the CSV and the JSON
    keep the name as typed (in the XMP, as far as XML can hold it)."""
    package = build(registrable(author=author), cast)
    with package.pdf.open("rb") as handle:
        data = handle.read()
    assert pikepdf.pdfa.validate_written(io.BytesIO(data), "2b").passed
    description = pikepdf.open(io.BytesIO(data)).open_metadata()[f"{DC}description"]
    assert f"Avsändare: {author.replace(chr(1), chr(0xFFFD))}" in description
    header, values = read_fields_csv(registration.package_fields_csv(package))
    assert dict(zip(header, values, strict=True))["sender"] == author
    assert json.loads(registration.package_fields_json(package))["fields"]["sender"] == author


def test_pdfa_1b_packages_are_built_at_any_moment(cast: Cast, registrable: Any, settings: Any) -> None:
    """KANALVAKT_PDFA_FLAVOUR=1b never produced a package: the build time's microseconds made the
    XMP CreateDate differ from the Info dictionary's CreationDate (ISO 19005-1, 6.7.3)."""
    settings.KANALVAKT_PDFA_FLAVOUR = "1b"
    package = build(registrable(), cast, now=NOW.replace(microsecond=123456))
    with package.pdf.open("rb") as handle:
        data = handle.read()
    assert pikepdf.pdfa.validate_written(io.BytesIO(data), "1b").passed
    pdf = pikepdf.open(io.BytesIO(data))
    assert pdf.open_metadata()["{http://www.aiim.org/pdfa/ns/id/}part"] == "1"
    assert str(pdf.docinfo["/CreationDate"]) == "D:20261126100000+01'00"


# --- Sending ------------------------------------------------------------------------------------------


def test_the_registry_gets_the_pdf_csv_and_json_when_delivered(
    cast: Cast, registrable: Any, mailoutbox: list[EmailMessage]
) -> None:
    settings_row = InstitutionSettings.objects.get_solo()
    settings_row.registry_address = "diariet@example.se"
    settings_row.save()
    package = build(registrable(), cast)
    mailoutbox.clear()  # alerts of the item's triage, sent by the same delivery
    Notification.objects.exclude(kind="diary_package").update(sent_at=NOW)

    listed = registration.with_delivery(DiaryPackage.objects.filter(pk=package.pk)).get()
    # In the outbox, not delivered yet: the pages do not say "sent".
    assert listed.delivered_at is None  # type: ignore[attr-defined]

    assert deliver_pending(now=NOW + timedelta(minutes=1)) == 1
    (mail,) = mailoutbox
    assert mail.to == ["diariet@example.se"]
    names = [name for name, _content, _type in mail.attachments]
    # Named after the package (its id and the day it was built), not "1.pdf", "1.csv", "1.json".
    base = f"diariepaket-{package.pk}-2026-11-26"
    assert names == [f"{base}.pdf", f"{base}.csv", f"{base}.json"]
    _name, pdf_bytes, pdf_type = mail.attachments[0]
    assert pdf_type == "application/pdf"
    assert pdf_bytes == package.pdf.open("rb").read()
    assert "Kritik mot antagningen" in mail.body
    assert reverse("archive:package", args=[package.pk]) in mail.body

    listed = registration.with_delivery(DiaryPackage.objects.filter(pk=package.pk)).get()
    assert listed.delivered_at == NOW + timedelta(minutes=1)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("language", "built_by"),
    [
        ("sv", "Ett diariepaket för diarieföring: ett inlägg på {account} (Instagram), skapat av {person}."),
        ("en", "A diary package for registration: an item on {account} (Instagram), built by {person}."),
    ],
)
def test_the_email_to_the_registry_names_who_built_the_package(
    cast: Cast, registrable: Any, settings: Any, language: str, built_by: str
) -> None:
    """KAU-DIARY-ACTION: the registry reads who built the package; it read "skapat av ." before."""
    settings.LANGUAGE_CODE = language  # the e-mail is written in the institution's language
    item = registrable()
    package = build(item, cast)
    body = Notification.objects.get(kind="diary_package").body
    person = cast["communicator"].get_full_name()
    assert person
    assert built_by.format(account=item.account.name, person=person) in body
    assert str(package.built_by) == person


def test_a_missing_attachment_keeps_the_email_unsent(
    cast: Cast, registrable: Any, mailoutbox: list[EmailMessage], media_root: Path
) -> None:
    package = build(registrable(), cast)
    Notification.objects.exclude(kind="diary_package").update(sent_at=NOW)
    (media_root / package.pdf.name).unlink()
    assert deliver_pending(now=NOW) == 0
    row = Notification.objects.get(kind="diary_package")
    assert row.sent_at is None
    assert row.attempts == 1
    assert "No such file" in row.last_error


# --- Registering ---------------------------------------------------------------------------------------


def test_the_registrar_records_the_number(cast: Cast, registrable: Any) -> None:
    package = build(registrable(), cast)
    later = NOW + timedelta(days=1)
    done = diary_numbers.register_package(
        package, diary_number="  KAU 2026/123  ", by=cast["registrar"], now=later
    )
    assert (done.diary_number, done.registered_at, done.registered_by) == (
        "KAU 2026/123",
        later,
        cast["registrar"],
    )
    assert done.registered_at is not None
    assert list(registration.awaiting_registration()) == []
    # The PDF is the record that was sent: unchanged. The number goes into the CSV and JSON.
    assert package.pdf.open("rb").read() == DiaryPackage.objects.get(pk=package.pk).pdf.open("rb").read()
    rows = read_fields_csv(registration.package_fields_csv(done))
    assert dict(zip(rows[0], rows[1], strict=True))["diary_number"] == "KAU 2026/123"
    document = json.loads(registration.package_fields_json(done))
    assert document["fields"]["diary_number"] == "KAU 2026/123"
    assert document["fields"]["subject"] == "Kritik mot antagningen"


def test_the_same_number_again_changes_nothing_and_a_different_one_is_refused(
    cast: Cast, registrable: Any
) -> None:
    package = build(registrable(), cast)
    diary_numbers.register_package(package, diary_number="KAU 2026/123", by=cast["registrar"], now=NOW)
    again = diary_numbers.register_package(
        package, diary_number="KAU 2026/123", by=cast["registrar"], now=NOW + timedelta(days=1)
    )
    assert again.registered_at == NOW
    with pytest.raises(ValidationError) as refused:
        diary_numbers.register_package(package, diary_number="KAU 2026/999", by=cast["registrar"], now=NOW)
    assert "diary_number" in refused.value.message_dict
    assert DiaryPackage.objects.get(pk=package.pk).diary_number == "KAU 2026/123"


@pytest.mark.parametrize("number", ["", "   ", "x" * 61])
def test_a_missing_or_too_long_number_is_refused(cast: Cast, registrable: Any, number: str) -> None:
    package = build(registrable(), cast)
    with pytest.raises(ValidationError) as refused:
        diary_numbers.register_package(package, diary_number=number, by=cast["registrar"], now=NOW)
    assert "diary_number" in refused.value.message_dict
    assert DiaryPackage.objects.get(pk=package.pk).registered_at is None


@pytest.mark.parametrize("person", ["communicator", "deputy", "head_of_unit", "social_media_lead"])
def test_only_the_registrar_registers(cast: Cast, registrable: Any, person: str) -> None:
    package = build(registrable(), cast)
    with pytest.raises(PermissionDenied):
        diary_numbers.register_package(package, diary_number="KAU 2026/1", by=cast[person], now=NOW)


# --- Who sees packages ---------------------------------------------------------------------------------


def test_packages_are_seen_by_those_who_see_the_item_and_by_the_registrar(
    cast: Cast, registrable: Any
) -> None:
    package = build(registrable(), cast)
    seeing = {
        person
        for person in cast.people
        if registration.packages_visible_to(cast[person]).filter(pk=package.pk).exists()
    }
    assert seeing == {"communicator", "deputy", "head_of_unit", "dean", "social_media_lead", "registrar"}

"""What a disposal destroys for each kind of record, and what it keeps (arkivlagen 10 §, RA-FS 2021:6):
a registered item with its diary package PDF, the platforms' raw payloads, a publication, an evidence
screenshot, a decision's texts and an export's bag; and the ledger still verifies."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from archive import disposal as disposals
from archive import ledger
from archive.disposal_execution import execute_disposal
from archive.models import DiaryPackage, ExportJob, LedgerEntry, Screenshot, Tombstone
from connectors.models import Delivery, Event
from governance.models import AccountRequest, RequestEvent
from moderation.models import Item
from tests.archive.disposal_support import (
    NOW,
    Old,
    account,
    approve,
    at,
    make_item,
    media_root,
    old,
    set_period,
)
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
FIXTURES = (account, make_item, media_root, old)


def _run(cast: Cast) -> Any:
    disposal = disposals.propose_disposal(by=cast["registrar"], now=NOW)
    assert disposal is not None
    approve(disposal, by=cast["registrar"])
    execute_disposal(disposal.pk, now=NOW)
    return disposal


def test_a_registered_item_loses_its_package_pdf_and_keeps_its_registry_fields(
    cast: Cast, old: Old, make_item: Any
) -> None:
    from moderation import services

    item = make_item(received_at=at(2024, 5, 2), now=at(2024, 5, 2), text="Kritik som diarieförts")
    services.close_item(item, reason="Diarieförd", by=cast["communicator"], now=at(2024, 5, 2))
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    package = DiaryPackage(
        item=item,
        subject="Kritik",
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        built_at=at(2024, 5, 3),
        built_by=cast["communicator"],
        diary_number="KAU 2024/77",
        registered_at=at(2024, 5, 4),
        registered_by=cast["registrar"],
    )
    package.pdf.save("package.pdf", ContentFile(pdf), save=False)
    package.save()
    ledger.append(
        kind=LedgerEntry.Kind.PACKAGE,
        path=package.pdf.name,
        data_or_size_and_hash=pdf,
        by=None,
        now=at(2024, 5, 3),
    )
    set_period(
        "registered_item",
        24,
        by=cast["registrar"],
        basis="Karlstads universitets gallringsbeslut dnr C 2026/1",
    )
    # Items needing no registration keep for ever here: the old fixture's items are not listed.
    disposal = _run(cast)
    assert set(disposal.entries.values_list("record_type", "record_id")) == {("registered_item", item.pk)}
    package.refresh_from_db()
    assert package.disposed_at == NOW
    assert package.diary_number == "KAU 2024/77"  # the registry keeps its entry
    assert not default_storage.exists(package.pdf.name)
    tombstone = Tombstone.objects.get(record_type="registered_item", record_id=item.pk)
    assert tombstone.description["registration_numbers"] == ["KAU 2024/77"]
    assert Item.objects.get(pk=item.pk).text == ""
    assert ledger.verify() == []


def test_the_platforms_raw_payloads_of_a_disposed_item_are_destroyed(cast: Cast, old: Old) -> None:
    alone = Delivery.objects.create(
        sha256="a" * 64, body=b'{"message": "Hemligt"}', received_at=at(2025, 1, 10)
    )
    shared = Delivery.objects.create(sha256="b" * 64, body=b'{"two": "items"}', received_at=at(2025, 1, 10))
    for delivery, item in ((alone, old.disposed), (shared, old.disposed), (shared, old.recent)):
        Event.objects.create(
            delivery=delivery,
            object_type="page",
            payload={"message": item.text},
            outcome="created",
            item=item,
            processed_at=at(2025, 1, 10),
        )
    set_period("item", 12, by=cast["registrar"])
    _run(cast)
    assert not Event.objects.filter(item=old.disposed).exclude(payload={}).exists()
    assert Event.objects.get(item=old.recent).payload == {"message": old.recent.text}
    alone.refresh_from_db()
    shared.refresh_from_db()
    assert bytes(alone.body) == b""
    assert bytes(shared.body) == b'{"two": "items"}'  # it still carries a kept item


def test_a_publication_an_evidence_screenshot_a_decision_and_an_export(
    cast: Cast, old: Old, account: Any
) -> None:
    from moderation.platform import keep_publication
    from tests.governance.factories import make_request

    publication, _created = keep_publication(
        account, platform_id="pub-1", kind="post", text="Universitetets inlägg", published_at=at(2024, 2, 1)
    )
    evidence = Screenshot.objects.get(pk=old.item_shot.pk)
    evidence.purpose = "evidence"  # the same stored files, as evidence
    evidence.save(update_fields=["purpose"])
    request = make_request(cast, state="approved", name="Fysik vid KAU", handle="fysik_kau")
    AccountRequest.objects.filter(pk=request.pk).update(decided_at=at(2020, 3, 2))
    bag = b"PK\x05\x06" + b"\x00" * 18
    job = ExportJob(
        requested_by=cast["registrar"],
        requested_at=at(2024, 1, 2),
        description="Begäran 2024/3",
        status="done",
        finished_at=at(2024, 1, 2),
        sha256=hashlib.sha256(bag).hexdigest(),
        size=len(bag),
    )
    job.file.save("bag.zip", ContentFile(bag), save=False)
    job.save()
    ledger.append(
        kind=LedgerEntry.Kind.EXPORT,
        path=job.file.name,
        data_or_size_and_hash=bag,
        by=None,
        now=at(2024, 1, 2),
    )
    for record_type in ("publication", "evidence", "decision", "export"):
        set_period(record_type, 12, by=cast["registrar"])

    _run(cast)

    publication.refresh_from_db()
    assert publication.text == ""
    assert publication.disposed_at == NOW
    assert not publication.history.exclude(text="").exists()
    evidence.refresh_from_db()
    assert evidence.disposed_at == NOW
    assert not default_storage.exists(evidence.image.name)
    request.refresh_from_db()
    assert request.purpose == ""
    assert request.decision_reason == ""
    assert request.name == "Fysik vid KAU"  # what it was stays
    assert not RequestEvent.objects.filter(request=request).exclude(comment="").exists()
    job.refresh_from_db()
    assert job.disposed_at == NOW
    assert not default_storage.exists(job.file.name)
    assert set(Tombstone.objects.values_list("record_type", flat=True)) == {
        "publication",
        "evidence",
        "decision",
        "export",
    }
    report = ledger.Report()
    assert ledger.verify(report=report) == []
    assert report.disposed


def test_an_account_hold_and_a_period_hold_keep_their_records(cast: Cast, old: Old, account: Any) -> None:
    from archive import retention_services

    retention_services.place_hold(
        account_id=None,
        item_id=None,
        start=at(2025, 1, 10).date(),
        end=at(2025, 1, 10).date(),
        reason="request",
        description="Begäran om januari",
        by=cast["registrar"],
        now=NOW,
    )
    set_period("item", 12, by=cast["registrar"])
    set_period("startpage", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    listed = set(disposal.entries.values_list("record_type", "record_id"))
    assert ("item", old.disposed.pk) not in listed  # 10 January is held
    assert ("item", old.late_held.pk) in listed
    retention_services.place_hold(
        account_id=account.pk,
        item_id=None,
        start=None,
        end=None,
        reason="investigation",
        description="Utredning av kontot",
        by=cast["registrar"],
        now=NOW,
    )
    approve(disposal, by=cast["registrar"])
    execute_disposal(disposal.pk, now=NOW)
    assert not Tombstone.objects.exists()  # the whole account is held now
    assert set(disposal.entries.values_list("held_at", flat=True)) == {NOW}


def test_an_export_after_a_disposal_leaves_the_destroyed_files_out(cast: Cast, old: Old) -> None:
    from archive import exports

    set_period("item", 12, by=cast["registrar"])
    set_period("startpage", 12, by=cast["registrar"])
    _run(cast)
    job = exports.request_export(
        by=cast["registrar"],
        now=NOW,
        criteria={"start": "2025-01-01", "end": "2025-12-31"},
        description="Efter",
    )
    exports.run_export(job.pk, now=NOW)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error

"""A disposal run (arkivlagen 10 §, RA-FS 2021:6, KAU-PUBLIC-RECORD): proposed under the schedule,
approved with the decision's reference, carried out; disposal notes left, files gone, the fixity ledger
still verifies with the gap shown as lawful, and held records untouched."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import translation

from archive import disposal as disposals
from archive import ledger, retention_services
from archive.disposal_execution import execute_disposal
from archive.models import Disposal, DisposedFile, LedgerEntry, Screenshot, Tombstone
from core.models import Notification
from moderation.models import Item, LogEntry
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

pytestmark = pytest.mark.django_db
FIXTURES = (account, make_item, media_root, old)


def test_nothing_is_proposed_while_every_rule_keeps_for_ever(cast: Cast, old: Old) -> None:
    """No disposal by default: the seeded schedule keeps everything (bevaras)."""
    assert disposals.propose_disposal(by=cast["registrar"], now=NOW) is None
    assert not Disposal.objects.exists()


def test_a_proposal_lists_what_passed_its_period_and_leaves_out_held_open_and_recent(
    cast: Cast, old: Old
) -> None:
    set_period("item", 12, by=cast["registrar"])
    set_period("startpage", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    assert disposal.status == Disposal.Status.PROPOSED
    listed = set(disposal.entries.values_list("record_type", "record_id"))
    assert listed == {
        ("item", old.disposed.pk),
        ("item", old.late_held.pk),
        ("startpage", old.startpage.pk),
    }
    assert disposal.schedule["item"]["period_months"] == 12
    assert disposal.schedule["item"]["legal_basis"] == "RA-FS 2021:6"
    assert disposal.schedule["item"]["version"] is not None
    assert disposal.schedule["evidence"]["period_months"] is None
    # One list under review at a time: a second run (the job, or the button) makes nothing.
    assert disposals.propose_disposal(by=cast["registrar"], now=NOW) is None
    assert Disposal.objects.count() == 1


def test_without_approval_nothing_is_destroyed(cast: Cast, old: Old) -> None:
    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    assert execute_disposal(disposal.pk, now=NOW) == 0
    old.disposed.refresh_from_db()
    assert old.disposed.text == "Hemligt innehåll som ska gallras"
    assert old.disposed.disposed_at is None
    assert not Tombstone.objects.exists()


def test_approval_needs_the_decision_reference_and_the_confirmation(cast: Cast, old: Old) -> None:
    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    with pytest.raises(ValidationError) as refused:
        disposals.approve_disposal(
            disposal.pk, decision_reference=" ", confirmed=False, note="", by=cast["registrar"], now=NOW
        )
    assert set(refused.value.message_dict) == {"decision_reference", "confirm"}
    disposal.refresh_from_db()
    assert disposal.status == Disposal.Status.PROPOSED


def test_a_disposal_run_destroys_contents_leaves_notes_and_the_ledger_verifies(
    cast: Cast, old: Old, django_capture_on_commit_callbacks: Any
) -> None:
    set_period("item", 12, by=cast["registrar"])
    set_period("startpage", 12, by=cast["registrar"])
    log_rows = LogEntry.objects.filter(item=old.disposed).count()
    assert LogEntry.objects.filter(item=old.disposed).exclude(note="").exists()  # the reason, a text
    files = [
        old.item_shot.image.name,
        old.item_shot.stamped.name,
        old.startpage.image.name,
        old.startpage.stamped.name,
    ]
    assert all(default_storage.exists(path) for path in files)

    mails = [
        Notification.objects.create(
            key=f"item:{item.pk}:threat:1",
            kind="item_threat",
            email="a@kau.se",
            subject="Hot",
            body=item.text,
        )
        for item in (old.disposed, old.held)
    ]
    disposal = disposals.propose_disposal(by=cast["registrar"], now=NOW)
    assert disposal is not None
    approve(disposal, by=cast["registrar"])
    # A hold placed after the approval, before the work: the record is skipped, untouched.
    retention_services.place_hold(
        account_id=None,
        item_id=old.late_held.pk,
        start=None,
        end=None,
        reason="investigation",
        description="Utredning",
        by=cast["social_media_lead"],
        now=NOW,
    )
    with django_capture_on_commit_callbacks(execute=True):
        execute_disposal(disposal.pk, now=NOW, batch=1)

    disposal.refresh_from_db()
    assert disposal.status == Disposal.Status.DONE
    assert disposal.executed_at == NOW
    item = Item.objects.get(pk=old.disposed.pk)
    assert (item.text, item.author, item.url) == ("", "", "")
    assert item.disposed_at == NOW
    assert not item.history.filter(text__contains="Hemligt").exists()
    # The log rows stay (who, what, when); their texts are blanked through the sanctioned path.
    assert LogEntry.objects.filter(item=item).count() == log_rows
    assert not LogEntry.objects.filter(item=item).exclude(note="").exists()
    tombstone = Tombstone.objects.get(record_type="item", record_id=item.pk)
    assert tombstone.disposal == disposal
    assert tombstone.disposed_at == NOW
    assert tombstone.description["received_at"].startswith("2025-01-10")
    assert {entry["path"] for entry in tombstone.files} == {
        old.item_shot.image.name,
        old.item_shot.stamped.name,
    }
    assert all(entry["ledger_entry"] and entry["disposal_entry"] for entry in tombstone.files)
    assert Tombstone.objects.filter(record_type="startpage", record_id=old.startpage.pk).exists()
    assert Screenshot.objects.filter(pk=old.startpage.pk, disposed_at=NOW).exists()
    assert not any(default_storage.exists(path) for path in files)

    # The alert e-mails kept in the outbox quoted the text.
    assert [Notification.objects.get(pk=mail.pk).body for mail in mails] == ["", old.held.text]

    # Held records, before and after the approval, and the open and recent ones, are untouched.
    for kept in (old.held, old.late_held, old.open_item, old.recent):
        kept.refresh_from_db()
        assert kept.text
        assert kept.disposed_at is None
    assert disposal.entries.get(record_id=old.late_held.pk).held_at == NOW

    # The ledger: one DISPOSAL entry per destroyed file, the chain whole, the gap lawful.
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.DISPOSAL).count() == 4
    assert DisposedFile.objects.filter(disposal=disposal).count() == 4
    report = ledger.Report()
    assert ledger.verify(report=report) == []
    assert [str(gap) for gap in report.disposed] == [f"4 file(s) disposed of under decision {DECISION}"]
    out = StringIO()
    call_command("verify_archive", stdout=out)
    assert f"Lawful gap: 4 file(s) disposed of under decision {DECISION}." in out.getvalue()
    assert "The archive is intact" in out.getvalue()


def test_a_file_missing_without_a_disposal_is_still_reported(cast: Cast, old: Old) -> None:
    """The lawful gap is only for files a DISPOSAL entry names: any other missing file is a problem."""
    default_storage.delete(old.startpage.image.name)
    problems = ledger.verify()
    assert [problem.kind for problem in problems] == [ledger.MISSING_FILE]


def test_carrying_out_twice_destroys_once(cast: Cast, old: Old) -> None:
    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    approve(disposal, by=cast["registrar"])
    execute_disposal(disposal.pk, now=NOW)
    entries, tombstones = LedgerEntry.objects.count(), Tombstone.objects.count()
    assert execute_disposal(disposal.pk, now=NOW) == 0
    assert (LedgerEntry.objects.count(), Tombstone.objects.count()) == (entries, tombstones)


def test_a_rejected_list_destroys_nothing_and_the_records_come_again(cast: Cast, old: Old) -> None:
    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    disposals.reject_disposal(disposal.pk, note="Fel period", by=cast["registrar"], now=NOW)
    assert execute_disposal(disposal.pk, now=NOW) == 0
    again = disposals.propose_disposal(by=None, now=NOW)
    assert again is not None
    assert again.entries.filter(record_id=old.disposed.pk).exists()


def test_a_record_taken_off_the_list_is_kept(cast: Cast, old: Old) -> None:
    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    entry = disposal.entries.get(record_id=old.disposed.pk)
    disposals.exclude_entry(entry.pk, by=cast["registrar"], now=NOW)
    approve(disposal, by=cast["registrar"])
    execute_disposal(disposal.pk, now=NOW)
    old.disposed.refresh_from_db()
    assert old.disposed.text
    assert old.disposed.disposed_at is None
    old.late_held.refresh_from_db()
    assert old.late_held.disposed_at == NOW


def test_only_the_archivist_proposes_and_approves(cast: Cast, old: Old) -> None:
    from django.core.exceptions import PermissionDenied

    set_period("item", 12, by=cast["registrar"])
    with pytest.raises(PermissionDenied):
        disposals.propose_disposal(by=cast["social_media_lead"], now=NOW)
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    for person in ("social_media_lead", "communicator", "head_of_unit"):
        with pytest.raises(PermissionDenied):
            approve(disposal, by=cast[person])


def test_a_list_made_under_an_earlier_schedule_is_not_approved(cast: Cast, old: Old) -> None:
    """The list follows the schedule version in force when it was made; a later change voids it."""
    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    set_period("item", 6, by=cast["registrar"])
    with translation.override("en"), pytest.raises(ValidationError, match="schedule has changed"):
        approve(disposal, by=cast["registrar"])
    disposal.refresh_from_db()
    assert disposal.status == Disposal.Status.PROPOSED


def test_a_delivery_after_a_disposal_carries_its_premis_event_and_still_validates(
    cast: Cast, old: Old, account: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Arkivlagen 10 §, FGS Paketstruktur 2.0: a delivery of a period with a disposed item holds the
    item's record and a PREMIS disposal event naming the decision, and passes the E-ARK validator."""
    import zipfile

    from lxml import etree

    from archive import exports
    from archive.models import ExportJob
    from tests.archive.eark_support import check_files, validate

    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=cast["registrar"], now=NOW)
    assert disposal is not None
    approve(disposal, by=cast["registrar"])
    with django_capture_on_commit_callbacks(execute=True):
        execute_disposal(disposal.pk, now=NOW)
    job = exports.request_export(
        by=cast["registrar"],
        now=NOW,
        criteria={"account": account.pk, "start": "2025-01-01", "end": "2025-12-31"},
        description="Leverans 2025",
        package_format="fgs",
    )
    exports.run_export(job.pk, now=NOW)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == ExportJob.Status.DONE, job.error
    with job.file.open("rb") as handle, zipfile.ZipFile(handle) as package_zip:
        package_zip.extractall(tmp_path)
    package = tmp_path / f"kanalvakt-export-{job.pk}"

    premis = "{http://www.loc.gov/premis/v3}"
    events = [
        event
        for event in etree.parse(str(package / "metadata/preservation/premis.xml")).iter(f"{premis}event")
        if event.findtext(f"{premis}eventType") == "disposal"
    ]
    # The two closed items of January 2025 without a hold; the held one is delivered undisposed.
    by_item = {
        o.findtext(f"{premis}linkingObjectIdentifierValue"): event
        for event in events
        for o in event.iter(f"{premis}linkingObjectIdentifier")
        if (o.findtext(f"{premis}linkingObjectIdentifierValue") or "").startswith("item:")
    }
    assert set(by_item) == {f"item:{old.disposed.pk}", f"item:{old.late_held.pk}"}
    event = by_item[f"item:{old.disposed.pk}"]
    assert DECISION in (event.findtext(f".//{premis}eventDetail") or "")
    assert f"person:{cast['registrar'].username}" in [
        a.findtext(f"{premis}linkingAgentIdentifierValue")
        for a in event.iter(f"{premis}linkingAgentIdentifier")
    ]
    # The destroyed text is in no file of the delivery.
    for path in package.rglob("*"):
        if path.is_file():
            assert b"Hemligt inneh" not in path.read_bytes(), path
    assert check_files(package) == []
    report, *_representations = validate(package)
    assert (report.structure, report.schema, report.csip_errors) == ("WELLFORMED", "VALID", [])

"""Carrying out an approved disposal (*gallring*): destroy the contents, leave a note, keep the ledger whole.

Only a disposal the archivist approved with the decision's reference is carried out (arkivlagen 10 §).
Each record on the list is, in batches, in one transaction each:

- checked against the legal holds in force now: a hold placed after the approval wins, and the record
  is skipped (``held_at``) and left untouched;
- emptied of its contents, the row staying where other records point to it: an item's text, author,
  link and answer, in its history too; the texts of its log entries (the log rows stay: who did what,
  when, and the item's state before and after, which hold no content); the platforms' raw payloads of
  it (connector events, the answers sent, and a webhook delivery once none of its events is of a kept
  item); the alerts' e-mails about it kept in the outbox; its screenshots and diary package PDFs; a
  publication's text; a screenshot's files; an export's bag; a decision's texts;
- replaced by a ``Tombstone`` (unique per record: destroyed once) that says what it was, and each
  destroyed file by a DISPOSAL entry in the fixity ledger with its path and original SHA-256, so that
  ``verify_archive`` reads the file's absence as lawful.

The moderation log is append-only in the database; its trigger lets a change through only in a
transaction where this module has run ``SET LOCAL kanalvakt.disposal = '<id>'`` for an approved disposal
that lists the item (moderation migration 0008_disposal_path). Deletes stay refused everywhere: nothing
here deletes a row. Files are removed after their transaction commits, and once more before the disposal
is marked carried out, so that a crash leaves nothing behind and no file goes before its record says so.

Running it twice, or twice at once, is safe: the disposal row is claimed (``SKIP LOCKED``), a destroyed
entry is not taken again, and the tombstone's unique key refuses a second destruction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from archive import ledger
from archive.disposal import active_holds, as_holds
from archive.models import (
    DiaryPackage,
    Disposal,
    DisposalEntry,
    DisposedFile,
    ExportJob,
    LedgerEntry,
    RecordType,
    Screenshot,
    Tombstone,
)
from archive.retention import Hold, is_held
from connectors.models import Delivery, Event, Outgoing
from core.calendar import STOCKHOLM
from core.history import record
from core.models import Notification
from governance.models import AccountRequest, RequestEvent
from moderation.models import Item, LogEntry, Publication

BATCH = 200
# An item's contents: what a visitor wrote and who they are, and the answer given. Emptied in the row
# and in every historical row; constraints that want an answer or a reason get a dash.
# The where-found note of KAU-DIARY-NONE and its reason may quote the link or the text: content too.
ITEM_CONTENT = (
    "text",
    "author",
    "author_platform_id",
    "url",
    "registration_found_at",
    "registration_reason",
)
# A decision's texts (the strategy document and the decision's reasons), emptied in the request.
DECISION_TEXTS = (
    "purpose",
    "checklist_audience",
    "checklist_purpose",
    "checklist_goals",
    "checklist_staffing",
    "checklist_resources",
    "content_strategy",
    "editorial_goals",
    "editorial_stakeholders",
    "resource_people",
    "terms_note",
    "review_advice",
    "decision_reason",
)
DASH = "–"


@dataclass
class Destroyed:
    """What one record's destruction leaves: its description for the note and its files to remove."""

    account_id: int | None
    description: dict[str, Any]
    files: list[tuple[str, int, str]] = field(default_factory=list)  # (path, size, sha256)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(STOCKHOLM).isoformat() if value else None


def _set_disposal_path(disposal_id: int) -> None:
    """Open the moderation log's trigger for this disposal, until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('kanalvakt.disposal', %s, true)", [str(disposal_id)])


def _screenshot_files(shot: Screenshot) -> list[tuple[str, int, str]]:
    files = []
    for name, sha in ((shot.image.name, shot.sha256), (shot.stamped.name, shot.stamped_sha256)):
        if not name:
            continue
        # Files are named by their content: another kept screenshot may share one. Keep it then.
        shared = (
            Screenshot.objects.filter(Q(image=name) | Q(stamped=name), disposed_at__isnull=True)
            .exclude(pk=shot.pk)
            .exists()
        )
        if not shared:
            size = shot.size if name == shot.image.name else _ledgered_size(name, sha)
            files.append((name, size, sha))
    return files


def _ledgered_size(path: str, sha: str) -> int:
    size = (
        LedgerEntry.objects.filter(path=path, sha256=sha)
        .exclude(kind=LedgerEntry.Kind.DISPOSAL)
        .values_list("size", flat=True)
        .last()
    )
    return int(size or 0)


def _destroy_screenshot(shot: Screenshot, *, now: datetime) -> list[tuple[str, int, str]]:
    files = _screenshot_files(shot)
    shot.disposed_at = now
    shot.save(update_fields=["disposed_at"])
    return files


def _destroy_item(item_id: int, *, disposal: Disposal, now: datetime, holds: list[Hold]) -> Destroyed | None:
    item = Item.objects.select_for_update(of=("self",)).select_related("account").get(pk=item_id)
    screenshots = list(
        Screenshot.objects.filter(item=item, purpose=Screenshot.Purpose.ITEM, disposed_at=None)
    )
    if is_held(holds, account_id=item.account_id, item_ids=[item.pk], day=_day(item.received_at)):
        return None
    packages = list(DiaryPackage.objects.filter(item=item).order_by("pk"))
    description = {
        "kind": item.kind,
        "account": item.account.name,
        "platform_id": item.platform_id,
        "received_at": _iso(item.received_at),
        "handled_at": _iso(item.handled_at),
        "status": item.status,
        "classification": item.classification,
        "registration_numbers": [package.diary_number for package in packages if package.diary_number],
    }
    files: list[tuple[str, int, str]] = []
    for shot in screenshots:
        files += _destroy_screenshot(shot, now=now)
    for package in packages:
        if package.pdf.name and package.disposed_at is None:
            files.append(
                (package.pdf.name, _ledgered_size(package.pdf.name, package.pdf_sha256), package.pdf_sha256)
            )
            package.disposed_at = now
            record(package, by=None, reason=f"disposed of: {disposal.decision_reference}")
            package.save(update_fields=["disposed_at"])
    for name in ITEM_CONTENT:
        setattr(item, name, "")
    item.answer = DASH if item.answer else ""
    item.disposed_at = now
    record(item, by=None, reason=f"disposed of: {disposal.decision_reference}")
    item.save()
    # The earlier versions of the item held the same contents.
    Item.history.filter(id=item.pk).update(**dict.fromkeys(ITEM_CONTENT, ""), answer="")
    # The log stays (who did what, when, the state before and after); its notes may quote the text.
    LogEntry.objects.filter(item=item).exclude(note="").update(note="")
    _destroy_raw_payloads(item)
    # The alerts' e-mails in the outbox quote the text (keyed "item:<id>:<kind>…", core.notifications).
    Notification.objects.filter(key__startswith=f"item:{item.pk}:").exclude(body="").update(body="")
    # The university's own publications (a reply kept by a connector) follow their own rule.
    return Destroyed(item.account_id, description, files)


def _destroy_raw_payloads(item: Item) -> None:
    """The platforms' raw data of the item: its events, the answers sent, and each webhook delivery none
    of whose events is of an item still kept (a delivery can carry several items)."""
    delivery_ids = set(
        Event.objects.filter(item=item, delivery__isnull=False).values_list("delivery_id", flat=True)
    )
    Event.objects.filter(item=item).update(payload={})
    Outgoing.objects.filter(item=item).update(text="", response={})
    kept = Event.objects.filter(delivery=OuterRef("pk")).filter(
        Q(item__isnull=True) | Q(item__disposed_at__isnull=True) & ~Q(item=item)
    )
    Delivery.objects.filter(pk__in=delivery_ids).filter(~Exists(kept)).update(body=b"")


def _empty_publication(publication: Publication, *, disposal: Disposal, now: datetime) -> None:
    publication.text, publication.url, publication.disposed_at = "", "", now
    record(publication, by=None, reason=f"disposed of: {disposal.decision_reference}")
    publication.save()
    Publication.history.filter(id=publication.pk).update(text="", url="")


def _destroy_publication(
    pk: int, *, disposal: Disposal, now: datetime, holds: list[Hold]
) -> Destroyed | None:
    publication = Publication.objects.select_for_update(of=("self",)).select_related("account").get(pk=pk)
    if is_held(
        holds,
        account_id=publication.account_id,
        item_ids=[publication.answers_id],
        day=_day(publication.published_at),
    ):
        return None
    description = {
        "kind": publication.kind,
        "account": publication.account.name,
        "platform_id": publication.platform_id,
        "published_at": _iso(publication.published_at),
    }
    if publication.disposed_at is None:
        _empty_publication(publication, disposal=disposal, now=now)
    return Destroyed(publication.account_id, description)


def _destroy_screenshot_record(
    pk: int, *, disposal: Disposal, now: datetime, holds: list[Hold]
) -> Destroyed | None:
    shot = Screenshot.objects.select_for_update(of=("self",)).select_related("account").get(pk=pk)
    if is_held(holds, account_id=shot.account_id, item_ids=[shot.item_id], day=_day(shot.taken_at)):
        return None
    description = {
        "purpose": shot.purpose,
        "account": shot.account.name,
        "item": shot.item_id,
        "taken_at": _iso(shot.taken_at),
        "sha256": shot.sha256,
        "stamped_sha256": shot.stamped_sha256,
    }
    files = _destroy_screenshot(shot, now=now) if shot.disposed_at is None else []
    return Destroyed(shot.account_id, description, files)


def _destroy_decision(pk: int, *, disposal: Disposal, now: datetime, holds: list[Hold]) -> Destroyed | None:
    req = AccountRequest.objects.select_for_update(of=("self",)).get(pk=pk)
    assert req.decided_at is not None
    if is_held(holds, account_id=req.account_id, item_ids=[], day=_day(req.decided_at)):
        return None
    description = {
        "name": req.name,
        "handle": req.handle,
        "status": req.status,
        "decided_at": _iso(req.decided_at),
        "account_id": req.account_id,
    }
    for name in DECISION_TEXTS:
        setattr(req, name, "")
    record(req, by=None, reason=f"disposed of: {disposal.decision_reference}")
    req.save()
    AccountRequest.history.filter(id=req.pk).update(**dict.fromkeys(DECISION_TEXTS, ""))
    RequestEvent.objects.filter(request=req).exclude(comment="").update(comment="")
    return Destroyed(req.account_id, description)


def _destroy_export(pk: int, *, disposal: Disposal, now: datetime, holds: list[Hold]) -> Destroyed | None:
    job = ExportJob.objects.select_for_update().get(pk=pk)
    assert job.finished_at is not None
    if is_held(holds, account_id=None, item_ids=[], day=_day(job.finished_at)):
        return None
    description = {
        "description": job.description,
        "requested_at": _iso(job.requested_at),
        "finished_at": _iso(job.finished_at),
        "sha256": job.sha256,
    }
    files = [(job.file.name, job.size, job.sha256)] if job.file and job.disposed_at is None else []
    job.disposed_at = now
    job.save(update_fields=["disposed_at"])
    return Destroyed(None, description, files)


def _day(value: datetime) -> Any:
    return value.astimezone(STOCKHOLM).date()


DESTROYERS: dict[str, Callable[..., Destroyed | None]] = {
    RecordType.ITEM: _destroy_item,
    RecordType.REGISTERED_ITEM: _destroy_item,
    RecordType.PUBLICATION: _destroy_publication,
    RecordType.STARTPAGE: _destroy_screenshot_record,
    RecordType.EVIDENCE: _destroy_screenshot_record,
    RecordType.DECISION: _destroy_decision,
    RecordType.EXPORT: _destroy_export,
}


def _ledger_files(files: list[tuple[str, int, str]], *, disposal: Disposal, now: datetime) -> list[Any]:
    """A DISPOSAL entry in the fixity ledger for each destroyed file: its path, original size and
    SHA-256, recorded by the person who decided; with the hash of the entry that first kept it."""
    kept = []
    for path, size, sha in files:
        original = (
            LedgerEntry.objects.filter(path=path)
            .exclude(kind=LedgerEntry.Kind.DISPOSAL)
            .values_list("entry_hash", flat=True)
            .last()
        )
        entry = ledger.append(
            kind=LedgerEntry.Kind.DISPOSAL,
            path=path,
            data_or_size_and_hash=(size, sha),
            by=disposal.decided_by,
            now=now,
        )
        kept.append((entry, original))
    return kept


def _remove_files(paths: list[str]) -> None:
    for path in paths:
        default_storage.delete(path)  # a missing file is not an error: removed before


def _batch(disposal_id: int, *, now: datetime, batch: int) -> bool | None:
    """Destroy up to ``batch`` records of the list; None when someone else holds it or it is not
    approved, False when nothing was left to do."""
    with transaction.atomic():
        disposal = (
            Disposal.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("decided_by")
            .filter(pk=disposal_id, status=Disposal.Status.APPROVED)
            .first()
        )
        if disposal is None:
            return None
        _set_disposal_path(disposal.pk)
        holds = as_holds(active_holds())
        entries = list(
            DisposalEntry.objects.filter(
                disposal=disposal, destroyed_at=None, excluded_at=None, held_at=None
            ).order_by("pk")[:batch]
        )
        if not entries:
            # Once more, any file whose removal a crash interrupted; then the list is carried out.
            _remove_files(list(disposal.files.values_list("path", flat=True)))
            disposal.status, disposal.executed_at = Disposal.Status.DONE, now
            record(disposal, by=None, reason="carried out")
            disposal.save()
            return False
        paths: list[str] = []
        for entry in entries:
            if Tombstone.objects.filter(record_type=entry.record_type, record_id=entry.record_id).exists():
                entry.destroyed_at = now  # destroyed under an earlier list
                entry.save(update_fields=["destroyed_at"])
                continue
            destroyed = DESTROYERS[entry.record_type](
                entry.record_id, disposal=disposal, now=now, holds=holds
            )
            if destroyed is None:
                entry.held_at = now
                entry.save(update_fields=["held_at"])
                continue
            ledgered = _ledger_files(destroyed.files, disposal=disposal, now=now)
            tombstone = Tombstone.objects.create(
                record_type=entry.record_type,
                record_id=entry.record_id,
                account_id=destroyed.account_id,
                entry=entry,
                disposal=disposal,
                description=destroyed.description,
                files=[
                    {
                        "path": ledger_entry.path,
                        "size": ledger_entry.size,
                        "sha256": ledger_entry.sha256,
                        "ledger_entry": original,
                        "disposal_entry": ledger_entry.entry_hash,
                    }
                    for ledger_entry, original in ledgered
                ],
                disposed_at=now,
            )
            DisposedFile.objects.bulk_create(
                DisposedFile(
                    ledger_entry=ledger_entry, disposal=disposal, tombstone=tombstone, path=ledger_entry.path
                )
                for ledger_entry, _original in ledgered
            )
            paths += [path for path, _size, _sha in destroyed.files]
            entry.destroyed_at = now
            entry.save(update_fields=["destroyed_at"])
        transaction.on_commit(lambda: _remove_files(paths))
        return True


def execute_disposal(disposal_id: int, *, now: datetime, batch: int = BATCH) -> int:
    """Carry out an approved disposal, batch by batch (the Celery task). The number of batches run."""
    runs = 0
    while _batch(disposal_id, now=now, batch=batch):
        runs += 1
    return runs

"""Archive exports for requests for public records (KAU-PUBLIC-RECORD): a search, or accounts and a
period, as a zipped BagIt bag with sha256 and sha512 manifests.

``request_export`` records who asked for what and when (the ExportJob row is the export's log) and
enqueues the work after commit; ``run_export`` (the task archive.tasks.run_export) builds the bag:

    README.txt                              what the bag holds and how to verify it (sv and en)
    bagit.txt, bag-info.txt, manifest-sha256.txt, manifest-sha512.txt, tagmanifest-*.txt
    data/records/items.csv|json             moderation items
    data/records/log.csv|json               the moderation log
    data/records/decisions.csv|json         decisions on new-account requests
    data/records/screenshots.csv|json       the screenshots in the bag
    data/records/packages.csv|json          the diary packages in the bag
    data/screenshots/original/<sha256>.<ext>
    data/screenshots/stamped/<sha256>.png   the date-stamped copy (named by its own hash)
    data/packages/<id>.pdf, <id>.csv, <id>.json

Files are streamed from storage in chunks and re-hashed on the way: a file whose bytes no longer
match its recorded SHA-256 fails the export rather than be passed on as the record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import bagit
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from archive import registration
from archive.models import DiaryPackage, ExportJob, LedgerEntry, Screenshot
from archive.search import (
    DECISIONS,
    ITEMS,
    KINDS,
    LOG,
    PUBLICATIONS,
    SCREENSHOTS,
    Criteria,
    may_search,
    querysets,
)
from core import csvfile
from core.calendar import STOCKHOLM
from core.models import InstitutionSettings, User
from governance.models import AccountRequest
from moderation.models import Item, LogEntry, Publication

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
PROGRESS_EVERY = 20  # files between two progress writes
# Far longer than the task's time limits (CELERY_TASK_TIME_LIMIT) let one run last.
STALE_AFTER = timedelta(minutes=65)  # above run_export's hard time limit (archive.tasks)
RECORD_FILES = ("items", "publications", "log", "decisions", "screenshots", "packages")
# Already compressed: deflating them again costs time and saves nothing.
STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".pdf", ".zip"}


class ExportFailed(Exception):
    """The export could not be made; the message says why and is kept on the job."""


# --- Asking for an export ------------------------------------------------------------------------


def describe(criteria: Criteria) -> str:
    """A short description of a search, for the list of exports when the person wrote none."""
    parts = []
    if criteria.text:
        parts.append(f"“{criteria.text}”")
    if criteria.account:
        parts.append(criteria.account.name)
    if criteria.unit:
        parts.append(criteria.unit.display_name)
    if criteria.author:
        parts.append(criteria.author)
    if criteria.start or criteria.end:
        start = criteria.start.isoformat() if criteria.start else "…"
        end = criteria.end.isoformat() if criteria.end else "…"
        parts.append(f"{start} – {end}")
    if criteria.rule:
        parts.append(criteria.rule)
    return ", ".join(parts) or _("The whole archive")


@transaction.atomic
def request_export(*, by: User, now: datetime, criteria: dict[str, Any], description: str) -> ExportJob:
    """Ask for an export of the records a search finds (KAU-PUBLIC-RECORD).

    Only the registrar/archivist and the social media lead export. The job row records who exported
    what and when; the bag is built by the task archive.tasks.run_export, enqueued after commit.
    Criteria naming an account or unit that does not exist are refused (ValidationError).
    """
    if not may_search(by):
        raise PermissionDenied(_("Only the registrar and the social media lead export the archive."))
    parsed = Criteria.from_dict(criteria)
    job = ExportJob.objects.create(
        requested_by=by,
        requested_at=now,
        description=(description.strip() or describe(parsed))[:500],
        criteria=parsed.as_dict(),
    )
    from archive import tasks

    tasks.run_export.delay_on_commit(job.pk)
    return job


# --- Running it ----------------------------------------------------------------------------------


def run_export(job_id: int, *, now: datetime) -> None:
    """Build the bag of one export job, once.

    The job is claimed with a compare-and-set (queued → running): a second call, or a second worker
    given the same message, finds nothing to claim and does nothing. A job still "running" after
    STALE_AFTER was left by a worker that died, and is claimed again. Any error marks the job failed
    with the error (never silent) and is not raised again, so the task is not retried for ever.
    """
    # A job left running by a worker that died is taken over once it is older than any run the task's
    # time limits allow: the message comes back (acks_late) but would otherwise find nothing to claim.
    claimable = Q(status=ExportJob.Status.QUEUED) | Q(
        status=ExportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER
    )
    claimed = ExportJob.objects.filter(claimable, pk=job_id).update(
        status=ExportJob.Status.RUNNING, started_at=now, done=0, error=""
    )
    if claimed != 1:
        logger.info("export %s was not waiting; nothing to do", job_id)
        return
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        _build(job, now=now)
    except Exception as exc:
        logger.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:5000],
            finished_at=timezone.now(),
        )


def _build(job: ExportJob, *, now: datetime) -> None:
    criteria = Criteria.from_dict(job.criteria)
    found = querysets(job.requested_by, criteria)
    items = found.get(ITEMS)
    screenshots = _screenshots(found.get(SCREENSHOTS), items)
    packages = (
        # A package disposed of under a decision (gallring) has no PDF left to copy.
        DiaryPackage.objects.filter(item__in=items.values("pk"), disposed_at=None).select_related(
            "item", "built_by"
        )
        if items is not None
        else DiaryPackage.objects.none()
    )
    copies, package_ids = _files(screenshots, packages)
    total = 2 * len(RECORD_FILES) + len(copies) + 2 * len(package_ids)
    ExportJob.objects.filter(pk=job.pk).update(total=total)
    progress = _Progress(job.pk, total)

    workdir = Path(tempfile.mkdtemp(prefix=f"kanalvakt-export-{job.pk}-"))
    try:
        name = f"kanalvakt-export-{job.pk}"
        bag_dir = workdir / name
        bag_dir.mkdir()
        counts = _write_records(bag_dir / "records", found, screenshots, packages, progress)
        for source, expected, dest in copies:
            _copy(source, expected, bag_dir / dest)
            progress.step()
        fields = DiaryPackage.objects.filter(pk__in=package_ids).select_related("registered_by")
        for package in fields.order_by("pk").iterator(chunk_size=500):
            _write_package_fields(bag_dir / "packages", package)
            progress.step(2)
        institution = InstitutionSettings.objects.get_solo().institution_name
        bagit.make_bag(  # moves everything written so far into data/, in place
            str(bag_dir),
            bag_info=_bag_info(job, criteria, institution=institution, now=now),
            checksums=["sha256", "sha512"],
        )
        (bag_dir / "README.txt").write_text(
            readme(job, criteria, institution=institution, now=now, counts=counts), encoding="utf-8"
        )
        bagit.Bag(str(bag_dir)).save()  # the tag manifests now cover the README too
        zip_path = workdir / f"{name}.zip"
        _zip(bag_dir, zip_path, root=name)
        size, digest = _digest(zip_path)
        with zip_path.open("rb") as handle:
            stored = default_storage.save(f"exports/{name}.zip", File(handle, name=f"{name}.zip"))
        _finish(job, stored=stored, size=size, digest=digest, total=total)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@transaction.atomic
def _finish(job: ExportJob, *, stored: str, size: int, digest: str, total: int) -> None:
    """Mark the job done and append the bag to the fixity ledger, both or neither."""
    finished = timezone.now()
    updated = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.DONE,
        file=stored,
        sha256=digest,
        size=size,
        done=total,
        finished_at=finished,
    )
    if updated != 1:
        raise ExportFailed(_("The export was no longer running when its bag was ready."))
    from archive import ledger

    ledger.append(
        kind=LedgerEntry.Kind.EXPORT,
        path=stored,
        data_or_size_and_hash=(size, digest),
        by=job.requested_by,
        now=finished,
    )


class _Progress:
    """Files done, written to the job every few files (bookkeeping: a plain update by pk)."""

    def __init__(self, job_id: int, total: int) -> None:
        self.job_id, self.total, self.done, self.written = job_id, total, 0, 0

    def step(self, files: int = 1) -> None:
        self.done += files
        if self.done - self.written >= PROGRESS_EVERY or self.done >= self.total:
            ExportJob.objects.filter(pk=self.job_id).update(done=min(self.done, self.total))
            self.written = self.done


def _files(screenshots: Any, packages: Any) -> tuple[list[tuple[str, str, str]], list[int]]:
    """What goes into the bag besides the records: (stored name, its recorded SHA-256 or "" when none
    is recorded, path in the bag before make_bag moves it under data/), and the packages whose
    registry fields are written beside their PDF."""
    copies: list[tuple[str, str, str]] = []
    for image, sha, ext, stamped, stamped_sha in screenshots.values_list(
        "image", "sha256", "extension", "stamped", "stamped_sha256"
    ).iterator(chunk_size=2000):
        copies.append((image, sha, f"screenshots/original/{sha}.{ext}"))
        if stamped:
            copies.append((stamped, stamped_sha, f"screenshots/stamped/{stamped_sha}.png"))
    package_ids = []
    for pk, pdf, pdf_sha in packages.values_list("pk", "pdf", "pdf_sha256"):
        copies.append((pdf, pdf_sha, f"packages/{pk}.pdf"))
        package_ids.append(pk)
    # The same image kept twice is one file, named by its content: copy it once.
    return list(dict.fromkeys(copies)), package_ids


def _screenshots(matching: Any, items: Any) -> Any:
    """The screenshots in the bag: those the search found, and those of the items it found (each
    item's post, replies and evidence come with it). One query, each screenshot once."""
    condition = Q(pk__in=[])
    if matching is not None:
        condition |= Q(pk__in=matching.values("pk"))
    if items is not None:
        condition |= Q(item__in=items.values("pk")) | Q(pk__in=items.values("evidence"))
    return (
        Screenshot.objects.filter(condition, disposed_at=None)  # disposed of: no files left to copy
        .select_related("account", "item", "taken_by")
        .order_by("taken_at", "pk")
    )


# --- Files ---------------------------------------------------------------------------------------


def _copy(name: str, expected_sha256: str, dest: Path) -> None:
    """Stream one stored file into the bag, re-hashing it: a changed file fails the export."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as src, dest.open("wb") as out:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
    if expected_sha256 and digest.hexdigest() != expected_sha256:
        raise ExportFailed(
            _("%(name)s no longer matches its recorded SHA-256; run verify_archive.") % {"name": name}
        )


def _digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _zip(bag_dir: Path, zip_path: Path, *, root: str) -> None:
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
            method = zipfile.ZIP_STORED if path.suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            archive.write(path, f"{root}/{path.relative_to(bag_dir).as_posix()}", compress_type=method)


# --- Records -------------------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    return timezone.localtime(value, STOCKHOLM).isoformat() if value else ""


def _person(user: User | None) -> str:
    if user is None:
        return ""
    return f"{user.get_full_name() or user.username} ({user.username})"


def _item_row(item: Item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "account_id": item.account_id,
        "account": item.account.name,
        "handle": item.account.handle,
        "platform": item.account.platform,
        "unit": item.account.unit.name,
        "kind": item.kind,
        "platform_id": item.platform_id,
        "url": item.url,
        "author": item.author,
        "text": item.text,
        "received_at": _when(item.received_at),
        "due_at": _when(item.due_at),
        "limit_at": _when(item.limit_at),
        "source": item.source,
        "classification": item.classification,
        "prohibited": sorted(item.prohibited),
        "pile_on_risk": item.pile_on_risk,
        "threat": item.threat,
        "requires_registration": item.requires_registration,
        "rule_ids": item.rule_ids(),
        "status": item.status,
        "handled_at": _when(item.handled_at),
        "handled_by": _person(item.handled_by),
        "answer": item.answer,
        "answered_at": _when(item.answered_at),
        "close_reason": item.close_reason,
        "evidence_sha256": item.evidence.sha256 if item.evidence else "",
    }


def _publication_row(publication: Publication) -> dict[str, Any]:
    return {
        "id": publication.pk,
        "account_id": publication.account_id,
        "account": publication.account.name,
        "handle": publication.account.handle,
        "platform": publication.account.platform,
        "unit": publication.account.unit.name,
        "kind": publication.kind,
        "platform_id": publication.platform_id,
        "in_reply_to": publication.in_reply_to,
        "url": publication.url,
        "text": publication.text,
        "published_at": _when(publication.published_at),
        "on_platform": publication.platform_status,
        "answers_item_id": publication.answers_id or "",
    }


def _log_row(entry: LogEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "item_id": entry.item_id,
        "account": entry.item.account.name,
        "action": entry.action,
        "action_label": str(entry.get_action_display()),
        "by": _person(entry.actor),
        "at": _when(entry.at),
        "note": entry.note,
        "before": entry.before,
        "after": entry.after,
    }


def _decision_row(request: AccountRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "status": request.status,
        "unit": request.unit.name,
        "platform": request.platform_label,
        "name": request.name,
        "handle": request.handle,
        "purpose": request.purpose,
        "requested_by": _person(request.requester),
        "decided_by": _person(request.decided_by),
        "decided_at": _when(request.decided_at),
        "decision_reason": request.decision_reason,
        "account_id": request.account_id,
        "existing_account_id": request.existing_account_id,
    }


def _screenshot_row(shot: Screenshot) -> dict[str, Any]:
    return {
        "id": shot.pk,
        "account_id": shot.account_id,
        "account": shot.account.name,
        "item_id": shot.item_id,
        "purpose": shot.purpose,
        "source": shot.source,
        "source_url": shot.source_url,
        "taken_at": _when(shot.taken_at),
        "taken_by": _person(shot.taken_by),
        "taken_from": shot.taken_from,
        "content_type": shot.content_type,
        "width": shot.width,
        "height": shot.height,
        "size": shot.size,
        "sha256": shot.sha256,
        "received_sha256": shot.received_sha256,
        "file": f"data/screenshots/original/{shot.sha256}.{shot.extension}",
        "stamped_file": f"data/screenshots/stamped/{shot.stamped_sha256}.png" if shot.stamped else "",
        "stamped_sha256": shot.stamped_sha256,
    }


def _package_row(package: DiaryPackage) -> dict[str, Any]:
    return {
        "id": package.pk,
        "item_id": package.item_id,
        "subject": package.subject,
        "secrecy": package.secrecy,
        "built_at": _when(package.built_at),
        "built_by": _person(package.built_by),
        "sent_at": _when(package.sent_at),
        "diary_number": package.diary_number,
        "registered_at": _when(package.registered_at),
        "file": f"data/packages/{package.pk}.pdf",
        "pdf_sha256": package.pdf_sha256,
    }


class _RecordWriter:
    """One kind of record as CSV (core.csvfile: every cell quoted, a formula neutralised) and as JSON
    (a list of objects, every value exactly as recorded), written row by row."""

    def __init__(self, folder: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.csv_file: IO[str] = (folder / f"{name}.csv").open("w", encoding="utf-8", newline="")
        self.json_file: IO[str] = (folder / f"{name}.json").open("w", encoding="utf-8")
        self.writer = csvfile.CsvWriter(self.csv_file)
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        if self.rows == 0:
            self.writer.writerow(row.keys())
            self.json_file.write("[\n")
        else:
            self.json_file.write(",\n")
        self.writer.writerow(row.values())
        self.json_file.write(json.dumps(row, ensure_ascii=False, sort_keys=False))
        self.rows += 1

    def close(self) -> None:
        self.json_file.write("\n]\n" if self.rows else "[]\n")
        self.csv_file.close()
        self.json_file.close()


def _write_kind(folder: Path, name: str, rows: Iterable[Any], to_row: Callable[[Any], dict[str, Any]]) -> int:
    writer = _RecordWriter(folder, name)
    try:
        for record in rows:
            writer.write(to_row(record))
    finally:
        writer.close()
    return writer.rows


def _iterate(queryset: Any) -> Iterator[Any]:
    return queryset.iterator(chunk_size=500) if queryset is not None else iter(())


def _write_records(
    folder: Path,
    found: dict[str, Any],
    screenshots: Any,
    packages: Any,
    progress: _Progress,
) -> dict[str, int]:
    """Every record kind as CSV and JSON; a kind not searched is written empty, so that every bag
    has the same shape."""
    counts = {}
    for name, queryset, to_row in (
        ("items", found.get(ITEMS), _item_row),
        ("publications", found.get(PUBLICATIONS), _publication_row),
        ("log", found.get(LOG), _log_row),
        ("decisions", found.get(DECISIONS), _decision_row),
        ("screenshots", screenshots, _screenshot_row),
        ("packages", packages, _package_row),
    ):
        counts[name] = _write_kind(folder, name, _iterate(queryset), to_row)
        progress.step(2)
    return counts


def _write_package_fields(folder: Path, package: DiaryPackage) -> None:
    """The package's registry fields beside its PDF, written from the row with the registration as
    known now, by the writers of the download (archive.registration): the CSV under core.csvfile's
    rule, whenever the package was built, and the JSON with every value exactly."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{package.pk}.csv").write_bytes(registration.package_fields_csv(package))
    (folder / f"{package.pk}.json").write_bytes(registration.package_fields_json(package))


# --- The bag's description -----------------------------------------------------------------------


def _bag_info(job: ExportJob, criteria: Criteria, *, institution: str, now: datetime) -> dict[str, str]:
    by = job.requested_by
    return {
        "Source-Organization": institution,
        "External-Identifier": f"kanalvakt-export-{job.pk}",
        "External-Description": job.description,
        "Bagging-Date": timezone.localtime(now, STOCKHOLM).date().isoformat(),
        "Contact-Name": by.get_full_name() or by.username,
        "Contact-Email": by.email,
        "Internal-Sender-Identifier": f"ExportJob {job.pk}",
        "Internal-Sender-Description": "Kanalvakt: " + json.dumps(criteria.as_dict(), ensure_ascii=False),
    }


def _criteria_lines(criteria: Criteria) -> list[tuple[str, str, str]]:
    """(Swedish, English, value) for every criterion used."""
    lines = []
    if criteria.text:
        lines.append(("Text", "Text", criteria.text))
    if criteria.account:
        account = criteria.account
        lines.append(("Konto", "Account", f"{account.name} ({account.handle}, id {account.pk})"))
    if criteria.unit:
        lines.append(("Enhet med underenheter", "Unit and units below", f"{criteria.unit.name}"))
    if criteria.author:
        lines.append(("Avsändare", "Author", criteria.author))
    if criteria.start:
        lines.append(("Från och med", "From", criteria.start.isoformat()))
    if criteria.end:
        lines.append(("Till och med", "To", criteria.end.isoformat()))
    if criteria.rule:
        lines.append(("Regel", "Rule", criteria.rule))
    lines.append(("Sökt bland", "Searched among", ", ".join(k for k in KINDS if k in criteria.kinds)))
    return lines


def readme(
    job: ExportJob, criteria: Criteria, *, institution: str, now: datetime, counts: dict[str, int]
) -> str:
    """The bag's README, in Swedish and in English, whatever the language of the person exporting:
    the bag outlives the session that made it."""
    by = job.requested_by
    who = f"{by.get_full_name() or by.username} ({by.username}, {by.email})"
    made = timezone.localtime(now, STOCKHOLM).strftime("%Y-%m-%d %H:%M %Z")
    criteria_text = "\n".join(f"  {sv} / {en}: {value}" for sv, en, value in _criteria_lines(criteria))
    count_text = "\n".join(f"  data/records/{name}.csv, .json: {n}" for name, n in counts.items())
    return render_to_string(
        "archive/export_readme.txt",
        {
            "job": job,
            "institution": institution,
            "who": who,
            "made": made,
            "criteria_text": criteria_text,
            "count_text": count_text,
            "rule": "=" * 60,
        },
    )

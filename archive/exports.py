"""Archive exports for requests for public records (KAU-PUBLIC-RECORD): a search, or accounts and a
period, as a zipped BagIt bag (RFC 8493, BagIt-Version 1.0) with sha256 and sha512 manifests, or as an
E-ARK SIP following Riksarkivet's FGS Paketstruktur 2.0 (archive.sip, for a delivery to an archive).

``request_export`` records who asked for what, in which format and when (the ExportJob row is the
export's log) and enqueues the work after commit; ``run_export`` (the task archive.tasks.run_export)
builds the package. The bag:

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
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from archive import registration
from archive.export_records import (
    decision_row,
    item_row,
    log_row,
    package_row,
    publication_row,
    screenshot_row,
)
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

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
PROGRESS_EVERY = 20  # files between two progress writes
# Far longer than the task's time limits (CELERY_TASK_TIME_LIMIT) let one run last.
STALE_AFTER = timedelta(minutes=65)  # above run_export's hard time limit (archive.tasks)
RECORD_FILES = ("items", "publications", "log", "decisions", "screenshots", "packages")
# Already compressed: deflating them again costs time and saves nothing.
STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".pdf", ".zip"}
# RFC 8493. bagit-python's make_bag writes 0.97 whatever it is asked; _declare_bagit_1_0 rewrites it.
BAGIT_DECLARATION = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


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
    parts.extend(account.name for account in criteria.accounts)
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
    if criteria.registration:
        parts.append(criteria.registration)
    return ", ".join(parts) or _("The whole archive")


def create_export(
    *, by: User, now: datetime, criteria: dict[str, Any], description: str, package_format: str
) -> ExportJob:
    """The export's row, after the checks every way of asking shares: only the registrar/archivist
    and the social media lead export (PermissionDenied); criteria naming an account or unit that does
    not exist, or an unknown package format, are refused (ValidationError naming the field)."""
    if not may_search(by):
        raise PermissionDenied(_("Only the registrar and the social media lead export the archive."))
    if package_format not in ExportJob.PackageFormat.values:
        raise ValidationError({"package_format": _("Choose a package format from the list.")})
    parsed = Criteria.from_dict(criteria)
    return ExportJob.objects.create(
        requested_by=by,
        requested_at=now,
        description=(description.strip() or describe(parsed))[:500],
        criteria=parsed.as_dict(),
        package_format=package_format,
    )


@transaction.atomic
def request_export(
    *,
    by: User,
    now: datetime,
    criteria: dict[str, Any],
    description: str,
    package_format: str = ExportJob.PackageFormat.BAGIT,
) -> ExportJob:
    """Ask for an export of the records a search finds (KAU-PUBLIC-RECORD), as a BagIt bag or an FGS
    2.0 / E-ARK SIP.

    The job row records who exported what, in which format and when; the package is built by the task
    archive.tasks.run_export, enqueued after commit. Refusals as ``create_export``.
    """
    job = create_export(
        by=by, now=now, criteria=criteria, description=description, package_format=package_format
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
        if job.package_format == ExportJob.PackageFormat.FGS:
            from archive import sip

            sip.build(job, now=now)
        else:
            _build(job, now=now)
    except Exception as exc:
        logger.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:5000],
            finished_at=timezone.now(),
        )


def selection(job: ExportJob) -> tuple[Criteria, dict[str, Any], Any, Any]:
    """What an export holds, whatever its format: the criteria, the querysets of the search (by kind),
    the screenshots (those found and those of the items found) and the diary packages of the items."""
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
    return criteria, found, screenshots, packages


def _build(job: ExportJob, *, now: datetime) -> None:
    criteria, found, screenshots, packages = selection(job)
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
        _declare_bagit_1_0(bag_dir)
        (bag_dir / "README.txt").write_text(
            readme(job, criteria, institution=institution, now=now, counts=counts), encoding="utf-8"
        )
        bagit.Bag(str(bag_dir)).save()  # the tag manifests now cover the README too
        store_zip(job, bag_dir, workdir, root=name, total=total)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _declare_bagit_1_0(bag_dir: Path) -> None:
    """Declare the bag as BagIt 1.0 (RFC 8493). bagit-python writes "BagIt-Version: 0.97" in make_bag
    and has no option for it; the manifests, bag-info.txt and the layout are the same in both. The
    tag manifests, which hash bagit.txt, are written afterwards by Bag.save()."""
    (bag_dir / "bagit.txt").write_text(BAGIT_DECLARATION, encoding="utf-8")


def store_zip(job: ExportJob, folder: Path, workdir: Path, *, root: str, total: int) -> None:
    """Zip a finished package folder under one root folder, store it under the job's download name,
    and mark the job done with its ledger entry."""
    zip_path = workdir / job.download_name
    _zip(folder, zip_path, root=root)
    size, digest = _digest(zip_path)
    with zip_path.open("rb") as handle:
        stored = default_storage.save(f"exports/{job.download_name}", File(handle, name=job.download_name))
    _finish(job, stored=stored, size=size, digest=digest, total=total)


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
        ("items", found.get(ITEMS), item_row),
        ("publications", found.get(PUBLICATIONS), publication_row),
        ("log", found.get(LOG), log_row),
        ("decisions", found.get(DECISIONS), decision_row),
        ("screenshots", screenshots, screenshot_row),
        ("packages", packages, package_row),
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
    for account in criteria.accounts:
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

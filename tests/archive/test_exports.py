"""Archive exports (KAU-PUBLIC-RECORD): the job row as the log of who exported what and when, and the
zipped BagIt bag it produces: valid under bagit's full validation, invalid after one byte of one file
changes, with sha256 and sha512 manifests, a README naming the criteria, and the records as CSV and
JSON. A failure is kept on the job; a job runs once however often it is started."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import bagit
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from archive import exports
from archive.models import ExportJob, LedgerEntry
from archive.search import KINDS
from tests.archive.export_support import NOW, Archive, account, archive, make_item, media_root
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
# The shared fixtures, used here by name.
FIXTURES = (account, archive, make_item, media_root)


def export(cast: Cast, criteria: dict[str, Any], *, person: str = "registrar", description: str = "") -> Any:
    job = exports.request_export(by=cast[person], now=NOW, criteria=criteria, description=description)
    exports.run_export(job.pk, now=NOW)
    return ExportJob.objects.get(pk=job.pk)


def unzip(job: ExportJob, into: Path) -> Path:
    with job.file.open("rb") as handle, zipfile.ZipFile(handle) as bag_zip:
        bag_zip.extractall(into)
    return into / f"kanalvakt-export-{job.pk}"


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline=""), delimiter=";"))


@pytest.fixture
def department_november(cast: Cast) -> dict[str, Any]:
    """An export "of accounts and a period": the department's unit and November, no text."""
    return {"unit": cast.units["department"].pk, "start": "2026-11-01", "end": "2026-11-30"}


def test_request_records_who_exported_what_and_when_and_enqueues_after_commit(
    cast: Cast, archive: Archive, department_november: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """KAU-PUBLIC-RECORD: the export itself is logged."""
    with django_capture_on_commit_callbacks() as callbacks:
        job = exports.request_export(
            by=cast["registrar"], now=NOW, criteria=department_november, description="Begäran 2026/17"
        )
    assert len(callbacks) == 1  # the task is sent only once the job row is committed
    job.refresh_from_db()
    assert job.requested_by == cast["registrar"]
    assert job.requested_at == NOW
    assert job.description == "Begäran 2026/17"
    assert job.criteria["unit"] == cast.units["department"].pk
    assert job.criteria["kinds"] == list(KINDS)
    assert job.status == ExportJob.Status.QUEUED


def test_a_description_is_made_from_the_criteria_when_none_is_given(cast: Cast, archive: Archive) -> None:
    job = exports.request_export(
        by=cast["social_media_lead"], now=NOW, criteria={"text": "biblioteket"}, description=" "
    )
    assert "biblioteket" in job.description


@pytest.mark.parametrize("person", ["communicator", "head_of_unit", "communications", "security_officer"])
def test_only_the_registrar_and_the_lead_export(cast: Cast, person: str) -> None:
    with pytest.raises(PermissionDenied):
        exports.request_export(by=cast[person], now=NOW, criteria={"text": "x"}, description="")
    assert not ExportJob.objects.exists()


def test_criteria_naming_an_unknown_account_are_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        exports.request_export(by=cast["registrar"], now=NOW, criteria={"account": 999999}, description="")
    assert not ExportJob.objects.exists()


def test_the_bag_passes_bagits_full_validation_with_both_manifests(
    cast: Cast, archive: Archive, department_november: dict[str, Any], tmp_path: Path
) -> None:
    job = export(cast, department_november)
    assert job.status == ExportJob.Status.DONE, job.error
    bag_dir = unzip(job, tmp_path / "out")
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # full: every file re-hashed, with every algorithm
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert (bag_dir / "manifest-sha256.txt").is_file()
    assert (bag_dir / "manifest-sha512.txt").is_file()
    assert (bag_dir / "tagmanifest-sha256.txt").is_file()
    assert "README.txt" in (bag_dir / "tagmanifest-sha256.txt").read_text()
    assert bag.info["Source-Organization"] == "Karlstads universitet"


def test_the_bag_declares_bagit_1_0_and_still_passes_full_validation(
    cast: Cast, archive: Archive, department_november: dict[str, Any], tmp_path: Path
) -> None:
    """RFC 8493: "BagIt-Version: 1.0", with everything else as before (both manifests, bag-info, the
    tag manifests covering bagit.txt as written)."""
    job = export(cast, department_november)
    assert job.status == ExportJob.Status.DONE, job.error
    bag_dir = unzip(job, tmp_path / "out")
    assert (bag_dir / "bagit.txt").read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    bag = bagit.Bag(str(bag_dir))
    assert bag.version_info == (1, 0)
    bag.validate()  # full: the tag manifests' hash of bagit.txt is that of the 1.0 declaration
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["Source-Organization"] == "Karlstads universitet"
    assert "Payload-Oxum" in bag.info
    assert job.package_format == ExportJob.PackageFormat.BAGIT
    assert job.file.name == f"exports/kanalvakt-export-{job.pk}-bagit.zip"


def test_the_bag_fails_validation_after_one_byte_of_one_file_changes(
    cast: Cast, archive: Archive, department_november: dict[str, Any], tmp_path: Path
) -> None:
    job = export(cast, department_november)
    bag_dir = unzip(job, tmp_path / "out")
    original = bag_dir / "data" / "screenshots" / "original" / f"{archive.evidence.sha256}.png"
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01  # the same size: only the hash can tell
    original.write_bytes(bytes(data))
    bag = bagit.Bag(str(bag_dir))
    assert bag.is_valid(fast=True)  # the size and file count still agree
    with pytest.raises(bagit.BagValidationError):
        bag.validate()


def test_the_bag_holds_the_records_the_images_and_the_packages(
    cast: Cast, archive: Archive, department_november: dict[str, Any], tmp_path: Path
) -> None:
    job = export(cast, department_november)
    data = unzip(job, tmp_path / "out") / "data"
    items = read_csv(data / "records" / "items.csv")
    assert {int(row["id"]) for row in items} == {archive.criticism.pk, archive.prohibited.pk}
    criticism = next(row for row in items if int(row["id"]) == archive.criticism.pk)
    assert criticism["text"] == "Varför stänger ni biblioteket på lördagar?"  # UTF-8: å, ä, ö kept
    assert "KAU-DIARY-ACTION" in criticism["rule_ids"]
    items_json = json.loads((data / "records" / "items.json").read_text(encoding="utf-8"))
    assert {row["id"] for row in items_json} == {archive.criticism.pk, archive.prohibited.pk}
    assert next(row for row in items_json if row["id"] == archive.prohibited.pk)["prohibited"] == [6]

    log = json.loads((data / "records" / "log.json").read_text(encoding="utf-8"))
    assert {row["item_id"] for row in log} == {archive.criticism.pk, archive.prohibited.pk}
    assert {"logged", "evidence"} <= {row["action"] for row in log}
    assert len(read_csv(data / "records" / "log.csv")) == len(log)

    shots = json.loads((data / "records" / "screenshots.json").read_text(encoding="utf-8"))
    assert [row["sha256"] for row in shots] == [archive.evidence.sha256]
    assert (data / "screenshots" / "original" / f"{archive.evidence.sha256}.png").is_file()
    evidence = archive.evidence
    if evidence.stamped:
        assert (data / "screenshots" / "stamped" / f"{evidence.stamped_sha256}.png").is_file()

    assert (data / "packages" / f"{archive.package.pk}.pdf").read_bytes().startswith(b"%PDF")
    packages = json.loads((data / "records" / "packages.json").read_text(encoding="utf-8"))
    assert [row["id"] for row in packages] == [archive.package.pk]
    # No decisions in November: the file is there, empty, so that every bag has the same shape.
    assert json.loads((data / "records" / "decisions.json").read_text()) == []
    assert read_csv(data / "records" / "decisions.csv") == []


def test_decisions_and_start_pages_in_the_bag(cast: Cast, archive: Archive, tmp_path: Path) -> None:
    job = export(cast, {"unit": cast.units["other"].pk})
    data = unzip(job, tmp_path / "out") / "data"
    decisions = read_csv(data / "records" / "decisions.csv")
    assert [(int(row["id"]), row["status"]) for row in decisions] == [(archive.rejected.pk, "rejected")]
    assert decisions[0]["decision_reason"] == "Behovet täcks redan."
    shots = read_csv(data / "records" / "screenshots.csv")
    assert [row["purpose"] for row in shots] == ["startpage"]
    assert (data / "screenshots" / "original" / f"{archive.startpage.sha256}.png").is_file()


def test_csv_cells_are_escaped_against_formulas(
    cast: Cast, archive: Archive, make_item: Any, tmp_path: Path
) -> None:
    item = make_item(author="=HYPERLINK(1)", text="+46 70 123 45 67")
    job = export(cast, {"author": "HYPERLINK", "kinds": ["items"]})
    rows = read_csv(unzip(job, tmp_path / "out") / "data" / "records" / "items.csv")
    assert [(int(row["id"]), row["author"], row["text"]) for row in rows] == [
        (item.pk, "'=HYPERLINK(1)", "'+46 70 123 45 67")
    ]


HOSTILE = {
    "visitor;=1+1": "visitor;=1+1",
    "  =cmd|' /C calc'!A0": "'  =cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(1)": "'@SUM(1)",
    "\t=1": "'\t=1",
}


def test_every_csv_in_the_bag_keeps_a_visitors_formula_as_text_and_the_json_keeps_it_exactly(
    cast: Cast, archive: Archive, make_item: Any, tmp_path: Path
) -> None:
    """KAU-PUBLIC-RECORD: the records go out as the visitor wrote them in the JSON; in the CSV every
    cell is quoted (so a semicolon stays in its cell in Swedish Excel) and a formula trigger after
    leading whitespace gets an apostrophe, as the bag's README says."""
    made = {make_item(author=f"Fientlig {n}", text=text).pk: text for n, text in enumerate(HOSTILE)}
    job = export(cast, {"author": "Fientlig", "kinds": ["items"]})
    assert job.status == ExportJob.Status.DONE, job.error
    data = unzip(job, tmp_path / "out") / "data"
    rows = {int(row["id"]): row for row in read_csv(data / "records" / "items.csv")}
    assert {pk: rows[pk]["text"] for pk in made} == {pk: HOSTILE[text] for pk, text in made.items()}
    for row in rows.values():
        assert not any(value.lstrip()[:1] in {"=", "+", "-", "@"} for value in row.values())
    exact = {row["id"]: row["text"] for row in json.loads((data / "records" / "items.json").read_text())}
    assert exact == made


def test_the_package_fields_written_into_the_bag_are_neutralised_the_same_way(
    cast: Cast, archive: Archive, tmp_path: Path
) -> None:
    from archive.models import DiaryPackage

    DiaryPackage.objects.filter(pk=archive.package.pk).update(
        fields={"rows": [{"key": "sender", "label": "Avsändare", "value": "@SUM(1)"}]}
    )
    job = export(cast, {"account": archive.account.pk})
    assert job.status == ExportJob.Status.DONE, job.error
    folder = unzip(job, tmp_path / "out") / "data" / "packages"
    text = (folder / f"{archive.package.pk}.csv").read_text(encoding="utf-8")
    header, values = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    assert dict(zip(header, values, strict=True))["sender"] == "'@SUM(1)"
    document = json.loads((folder / f"{archive.package.pk}.json").read_text(encoding="utf-8"))
    assert document["fields"]["sender"] == "@SUM(1)"


def test_the_readme_explains_the_bag_in_swedish_and_english_and_names_the_criteria(
    cast: Cast, archive: Archive, department_november: dict[str, Any], tmp_path: Path
) -> None:
    job = export(cast, department_november, description="Begäran om allmän handling 2026/17")
    readme = (unzip(job, tmp_path / "out") / "README.txt").read_text(encoding="utf-8")
    assert "Karlstads universitet" in readme
    assert "registrar" in readme  # who exported
    assert "2026-11-26" in readme  # when
    assert "Begäran om allmän handling 2026/17" in readme
    for criterion in ("Institutionen", "2026-11-01", "2026-11-30"):
        assert criterion in readme
    for part in ("SVENSKA", "ENGLISH", "Så kontrollerar du påsen", "How to verify the bag"):
        assert part in readme
    assert "bagit.py --validate" in readme
    assert "sha256sum -c manifest-sha256.txt" in readme
    # What the CSV's neutralisation looks like, and where the exact value is.
    assert "'=1+1" in readme
    for words in ("semikolon", "semicolons", "JSON-filen bredvid", "JSON file beside it"):
        assert words in readme


def test_the_job_reaches_done_with_its_progress_file_hash_and_a_ledger_entry(
    cast: Cast, archive: Archive, department_november: dict[str, Any]
) -> None:
    job = export(cast, department_november)
    assert job.status == ExportJob.Status.DONE
    assert job.total > 0
    assert job.done == job.total
    assert job.percent == 100
    assert job.started_at == NOW
    assert job.finished_at is not None
    assert job.size == job.file.size
    import hashlib

    with job.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == job.sha256
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.EXPORT)
    assert (entry.path, entry.sha256, entry.size) == (job.file.name, job.sha256, job.size)


def test_progress_is_written_as_the_files_go_in(
    cast: Cast, archive: Archive, make_item: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.services import store_screenshot
    from tests.archive.export_support import png

    for number in range(6):
        item = make_item(text=f"Bild {number}")
        store_screenshot(
            archive.account, data=png(colour=(number * 30, 9, 9)), purpose="item", item=item, by=None, now=NOW
        )
    seen: list[tuple[int, int]] = []
    real_step = exports._Progress.step

    def step(self: Any, files: int = 1) -> None:
        real_step(self, files)
        row = ExportJob.objects.get(pk=self.job_id)
        seen.append((row.done, row.total))

    monkeypatch.setattr(exports, "PROGRESS_EVERY", 3)
    monkeypatch.setattr(exports._Progress, "step", step)
    job = export(cast, {"account": archive.account.pk})
    assert job.status == ExportJob.Status.DONE, job.error
    dones = [done for done, _total in seen]
    assert dones == sorted(dones)  # progress only moves forward
    assert any(0 < done < job.total for done in dones)  # it was seen part way
    assert len(set(dones)) > 2  # written every few files, not only at the start and the end
    assert seen[-1] == (job.total, job.total)


def test_a_failing_export_is_marked_failed_with_its_error(
    cast: Cast, archive: Archive, department_november: dict[str, Any]
) -> None:
    """Never silent: a changed archived file fails the export, and the job says why."""
    job = exports.request_export(by=cast["registrar"], now=NOW, criteria=department_november, description="")
    path = Path(archive.evidence.image.path)
    path.write_bytes(path.read_bytes() + b"tampered")
    exports.run_export(job.pk, now=NOW)  # does not raise: the task is not retried for ever
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "SHA-256" in job.error
    assert archive.evidence.image.name in job.error
    assert not job.file
    assert job.finished_at is not None
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPORT).exists()


def test_a_missing_file_fails_the_export_with_its_error(
    cast: Cast, archive: Archive, department_november: dict[str, Any]
) -> None:
    job = exports.request_export(by=cast["registrar"], now=NOW, criteria=department_november, description="")
    Path(archive.package.pdf.path).unlink()
    exports.run_export(job.pk, now=NOW)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "FileNotFoundError" in job.error


def test_two_runs_of_one_job_build_it_once(
    cast: Cast, archive: Archive, department_november: dict[str, Any], media_root: Path
) -> None:
    job = exports.request_export(by=cast["registrar"], now=NOW, criteria=department_november, description="")
    exports.run_export(job.pk, now=NOW)
    first = ExportJob.objects.get(pk=job.pk)
    exports.run_export(job.pk, now=NOW)  # a second delivery of the same message
    second = ExportJob.objects.get(pk=job.pk)
    assert (second.status, second.file.name, second.sha256, second.finished_at) == (
        first.status,
        first.file.name,
        first.sha256,
        first.finished_at,
    )
    assert len(list((media_root / "exports").iterdir())) == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPORT).count() == 1


def test_a_running_job_is_not_claimed_again(
    cast: Cast, archive: Archive, department_november: dict[str, Any]
) -> None:
    job = exports.request_export(by=cast["registrar"], now=NOW, criteria=department_november, description="")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING)  # another worker has it
    exports.run_export(job.pk, now=NOW)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING
    assert not job.file


def test_a_built_diary_package_goes_in_with_the_csv_and_json_sent_beside_it(
    cast: Cast, archive: Archive, tmp_path: Path
) -> None:
    """KAU-DIARY-ACTION: the package as archive.registration built and sent it, byte for byte."""
    from django.core.files.storage import default_storage

    from archive.registration import build_package
    from archive.services import store_screenshot
    from tests.archive.export_support import png

    item = archive.criticism
    store_screenshot(item.account, data=png(), purpose="item", item=item, by=cast["communicator"], now=NOW)
    package = build_package(
        item, subject="Kritik om öppettider", secrecy="", by=cast["communicator"], now=NOW
    )
    job = export(cast, {"account": archive.account.pk, "kinds": ["items"]})
    assert job.status == ExportJob.Status.DONE, job.error
    bag_dir = unzip(job, tmp_path / "out")
    bagit.Bag(str(bag_dir)).validate()
    base = package.pdf.name.removesuffix(".pdf")
    for suffix in ("pdf", "csv", "json"):
        with default_storage.open(f"{base}.{suffix}", "rb") as stored:
            assert (bag_dir / "data" / "packages" / f"{package.pk}.{suffix}").read_bytes() == stored.read()
    packages = json.loads((bag_dir / "data" / "records" / "packages.json").read_text(encoding="utf-8"))
    assert {row["id"] for row in packages} == {archive.package.pk, package.pk}


def test_a_job_left_running_by_a_dead_worker_is_taken_over_later(
    cast: Cast, archive: Archive, department_november: dict[str, Any]
) -> None:
    from datetime import timedelta

    job = exports.request_export(by=cast["registrar"], now=NOW, criteria=department_november, description="")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, started_at=NOW, done=3)
    exports.run_export(job.pk, now=NOW + timedelta(minutes=5))  # the first worker may still be at it
    assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.RUNNING
    later = NOW + exports.STALE_AFTER + timedelta(seconds=1)
    exports.run_export(job.pk, now=later)  # the message delivered again after the worker died
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.started_at == later

"""Delivery packages per Riksarkivet's FGS Paketstruktur 2.0 (E-ARK CSIP 2.1 + SIP 2.1) for a request
for public records or a delivery to an archive (KAU-PUBLIC-RECORD): validated by the independent
E-ARK validator (eark-validator), every file listed with its size and SHA-256, PREMIS events for
capture, registration, removal and whatever a registered source adds (disposal)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from archive import exports, premis
from archive.models import DiaryPackage, ExportJob, LedgerEntry
from tests.archive.eark_support import KNOWN_DEFECTS, check_files, validate
from tests.archive.export_support import NOW, Archive, account, archive, make_item, media_root
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
# The shared fixtures, used here by name.
FIXTURES = (account, archive, make_item, media_root)

METS = "{http://www.loc.gov/METS/}"
CSIP = "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}"
PREMIS = "{http://www.loc.gov/premis/v3}"
XLINK = "{http://www.w3.org/1999/xlink}"


def export_fgs(cast: Cast, criteria: dict[str, Any], *, person: str = "registrar") -> ExportJob:
    job = exports.request_export(
        by=cast[person], now=NOW, criteria=criteria, description="Leverans 2026/3", package_format="fgs"
    )
    exports.run_export(job.pk, now=NOW)
    return ExportJob.objects.get(pk=job.pk)


def unzip(job: ExportJob, into: Path) -> Path:
    with job.file.open("rb") as handle, zipfile.ZipFile(handle) as package_zip:
        roots = {name.split("/", 1)[0] for name in package_zip.namelist()}
        assert roots == {f"kanalvakt-export-{job.pk}"}  # one root folder, named as the OBJID
        package_zip.extractall(into)
    return into / f"kanalvakt-export-{job.pk}"


@pytest.fixture
def registered(archive: Archive, cast: Cast) -> DiaryPackage:
    """The criticism item's package, registered by the registrar as 2026/123."""
    DiaryPackage.objects.filter(pk=archive.package.pk).update(
        diary_number="KAU 2026/123", registered_at=NOW - timedelta(hours=1), registered_by=cast["registrar"]
    )
    return DiaryPackage.objects.get(pk=archive.package.pk)


@pytest.fixture
def removed(archive: Archive, cast: Cast) -> Any:
    """The advertisement removed from the platform as prohibited content (KAU-PROHIBITED)."""
    from moderation import services

    return services.remove_item(archive.prohibited, note="Reklam", by=cast["communicator"], now=NOW)


@pytest.fixture
def package(cast: Cast, archive: Archive, registered: DiaryPackage, removed: Any, tmp_path: Path) -> Path:
    job = export_fgs(cast, {"account": archive.account.pk, "start": "2026-11-01", "end": "2026-11-30"})
    assert job.status == ExportJob.Status.DONE, job.error
    return unzip(job, tmp_path / "out")


def test_the_package_passes_the_independent_e_ark_validator(package: Path) -> None:
    """FGS 2.0 = E-ARK CSIP 2.1 + SIP 2.1: structure well formed, the METS schema valid and no error of
    the CSIP rules, for the package and each representation; of the SIP rules only the validator's
    own defect (eark_support.KNOWN_DEFECTS)."""
    reports = validate(package)
    assert [report.where for report in reports] == ["package", "rep-json", "rep-pdfa", "rep-screenshots"]
    for report in reports:
        assert (report.structure, report.schema, report.schema_errors, report.csip_errors) == (
            "WELLFORMED",
            "VALID",
            [],
            [],
        ), report.where
    assert {rule for rule, _message in reports[0].sip_errors} <= KNOWN_DEFECTS


def test_every_file_is_listed_with_its_size_and_sha256(package: Path) -> None:
    assert check_files(package) == []


def test_the_package_declares_social_media_as_other_content_with_a_swedish_label(package: Path) -> None:
    root = etree.parse(str(package / "METS.xml")).getroot()
    assert root.get("OBJID") == package.name
    assert root.get("TYPE") == "Other"  # CSIP has no category for social media
    assert root.get(f"{CSIP}OTHERTYPE") == "Sociala medier"
    assert root.get(f"{CSIP}CONTENTINFORMATIONTYPE") == "OTHER"
    assert root.get(f"{CSIP}OTHERCONTENTINFORMATIONTYPE")
    assert root.get("PROFILE") == "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
    header = root.find(f"{METS}metsHdr")
    assert header is not None
    assert header.get(f"{CSIP}OAISPACKAGETYPE") == "SIP"
    agents = {(a.get("ROLE"), a.get("OTHERROLE"), a.get("TYPE")): a.findtext(f"{METS}name") for a in header}
    assert agents[("ARCHIVIST", None, "ORGANIZATION")] == "Karlstads universitet"
    assert agents[("OTHER", "SUBMITTER", "ORGANIZATION")] == "Karlstads universitet"
    assert agents[("CREATOR", None, "OTHER")] == "Kanalvakt"
    pointers = [m.get(f"{XLINK}href") for m in root.iter(f"{METS}mptr")]
    assert pointers == [
        f"representations/{rep}/METS.xml" for rep in ("rep-json", "rep-pdfa", "rep-screenshots")
    ]
    for schema in ("mets.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd", "DILCISExtensionSIPMETS.xsd"):
        assert (package / "schemas" / schema).is_file()


def test_every_file_entry_has_size_checksum_type_and_creation(package: Path) -> None:
    for mets in [package / "METS.xml", *package.glob("representations/*/METS.xml")]:
        entries = [*etree.parse(str(mets)).iter(f"{METS}file", f"{METS}mdRef")]
        assert entries
        for entry in entries:
            assert entry.get("CHECKSUMTYPE") == "SHA-256"
            assert len(entry.get("CHECKSUM", "")) == 64
            assert int(entry.get("SIZE", "-1")) > 0
            assert entry.get("MIMETYPE")
            assert entry.get("CREATED")


def test_the_representations_hold_the_records_the_pdfa_packages_and_the_originals(
    package: Path, archive: Archive, registered: DiaryPackage
) -> None:
    data = package / "representations"
    items = json.loads((data / "rep-json" / "data" / "records" / "items.json").read_text(encoding="utf-8"))
    assert {row["id"] for row in items} == {archive.criticism.pk, archive.prohibited.pk}
    texts = {row["text"] for row in items}
    assert "Varför stänger ni biblioteket på lördagar?" in texts  # as received
    packages = json.loads((data / "rep-json" / "data" / "records" / "packages.json").read_text())
    assert [(row["id"], row["diary_number"], row["file"]) for row in packages] == [
        (registered.pk, "KAU 2026/123", f"representations/rep-pdfa/data/{registered.pk}.pdf")
    ]
    assert (data / "rep-json" / "data" / "packages" / f"{registered.pk}.json").is_file()
    assert (data / "rep-pdfa" / "data" / f"{registered.pk}.pdf").read_bytes().startswith(b"%PDF")
    original = data / "rep-screenshots" / "data" / f"{archive.evidence.sha256}.png"
    assert original.read_bytes() == Path(archive.evidence.image.path).read_bytes()
    assert [p.name for p in (data / "rep-screenshots" / "data").iterdir()] == [original.name]


def _premis(package: Path) -> etree._Element:
    return etree.parse(str(package / "metadata" / "preservation" / "premis.xml")).getroot()


def test_premis_gives_every_file_its_sha256_fixity(package: Path) -> None:
    premis = _premis(package)
    assert premis.get("version") == "3.0"
    fixities = {
        obj.findtext(f"{PREMIS}objectIdentifier/{PREMIS}objectIdentifierValue"): obj.findtext(
            f".//{PREMIS}fixity/{PREMIS}messageDigest"
        )
        for obj in premis.iter(f"{PREMIS}object")
    }
    import hashlib

    files = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file() and path.name != "premis.xml" and path.relative_to(package).as_posix() != "METS.xml"
    }
    assert set(fixities) == files
    for name, digest in fixities.items():
        assert hashlib.sha256((package / name).read_bytes()).hexdigest() == digest, name


def _events(package: Path) -> dict[str, list[dict[str, Any]]]:
    events: dict[str, list[dict[str, Any]]] = {}
    for event in _premis(package).iter(f"{PREMIS}event"):
        events.setdefault(event.findtext(f"{PREMIS}eventType") or "", []).append(
            {
                "at": event.findtext(f"{PREMIS}eventDateTime"),
                "detail": event.findtext(f".//{PREMIS}eventDetail"),
                "agents": [
                    a.findtext(f"{PREMIS}linkingAgentIdentifierValue")
                    for a in event.iter(f"{PREMIS}linkingAgentIdentifier")
                ],
                "objects": [
                    o.findtext(f"{PREMIS}linkingObjectIdentifierValue")
                    for o in event.iter(f"{PREMIS}linkingObjectIdentifier")
                ],
            }
        )
    return events


def test_premis_events_for_capture_registration_and_removal(
    package: Path, archive: Archive, registered: DiaryPackage, cast: Cast
) -> None:
    """KAU-DIARY-ACTION, KAU-PROHIBITED-EVIDENCE, KAU-PROHIBITED: who took each screenshot and when,
    when each package was registered and under which number, and each removal from the platform."""
    events = _events(package)
    (capture,) = events["capture"]
    assert capture["objects"] == [f"representations/rep-screenshots/data/{archive.evidence.sha256}.png"]
    assert capture["at"].startswith("2026-11-02T12:00")
    assert f"person:{cast['communicator'].username}" in capture["agents"]
    (registration,) = events["registration"]
    assert "KAU 2026/123" in registration["detail"]
    assert registration["objects"] == [f"representations/rep-pdfa/data/{registered.pk}.pdf"]
    assert registration["agents"] == [f"person:{cast['registrar'].username}"]
    (removal,) = events["removal"]
    assert f"item:{archive.prohibited.pk}" in removal["objects"]
    assert "Reklam" in removal["detail"]
    assert removal["agents"] == [f"person:{cast['communicator'].username}"]
    assert len(events["information package creation"]) == 1
    agent_ids = {
        a.findtext(f"{PREMIS}agentIdentifier/{PREMIS}agentIdentifierValue")
        for a in _premis(package).iter(f"{PREMIS}agent")
    }
    assert {
        "software:Kanalvakt",
        "organization:Karlstads universitet",
        f"person:{cast['registrar'].username}",
    } <= agent_ids


@pytest.fixture
def disposal_source() -> Iterator[Any]:
    def disposal(selection: premis.Selection) -> Iterator[premis.PremisEvent]:
        yield premis.PremisEvent(
            identifier="disposal-1",
            kind="disposal",
            at=NOW,
            detail="Gallrad enligt beslut Dnr 2026/99",
            agents=((premis.KANALVAKT_AGENT, "executing program"),),
            objects=("item:1",),
        )

    premis.register_event_source(disposal)
    yield disposal
    premis.EVENT_SOURCES.remove(disposal)


def test_a_registered_event_source_adds_its_disposal_events(
    cast: Cast, archive: Archive, disposal_source: Any, tmp_path: Path
) -> None:
    job = export_fgs(cast, {"account": archive.account.pk})
    assert job.status == ExportJob.Status.DONE, job.error
    (disposal,) = _events(unzip(job, tmp_path / "out"))["disposal"]
    assert disposal["detail"] == "Gallrad enligt beslut Dnr 2026/99"


def test_the_delivery_is_described_in_dublin_core(package: Path, archive: Archive) -> None:
    dc = (package / "metadata" / "descriptive" / "dc.xml").read_text(encoding="utf-8")
    for text in ("Leverans 2026/3", "Karlstads universitet", archive.account.name, "2026-11-01", "items: 2"):
        assert text in dc


def test_a_missing_file_or_a_changed_byte_is_caught(package: Path, archive: Archive) -> None:
    original = package / "representations" / "rep-screenshots" / "data" / f"{archive.evidence.sha256}.png"
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01  # the same size: only the checksum can tell
    original.write_bytes(bytes(data))
    (package / "representations" / "rep-json" / "data" / "records" / "log.json").unlink()
    assert sorted(check_files(package)) == [
        "checksum differs: representations/rep-screenshots/data/" + original.name,
        "missing: representations/rep-json/data/records/log.json",
    ]


def test_a_representation_mets_missing_is_caught(package: Path) -> None:
    (package / "representations" / "rep-pdfa" / "METS.xml").unlink()
    assert "missing: representations/rep-pdfa/METS.xml" in check_files(package)


def test_the_validator_rejects_a_mets_missing_its_label_or_with_an_unknown_element(package: Path) -> None:
    """The validator can fail: the same package with the root METS broken in two ways."""
    mets = package / "METS.xml"
    text = mets.read_text(encoding="utf-8")
    text = text.replace(' csip:OTHERTYPE="Sociala medier"', "", 1)
    text = text.replace("<mets:dmdSec ", "<mets:unknown/><mets:dmdSec ", 1)
    mets.write_text(text, encoding="utf-8")
    (report, *_representations) = validate(package)
    assert report.schema == "INVALID"
    assert any("unknown" in error for error in report.schema_errors)
    assert "CSIP2" in {rule for rule, _message in report.csip_errors}  # Other needs its OTHERTYPE


def test_the_job_is_done_stored_under_its_format_and_ledgered(
    cast: Cast, archive: Archive, media_root: Path
) -> None:
    job = export_fgs(cast, {"account": archive.account.pk})
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.package_format == "fgs"
    assert job.download_name == f"kanalvakt-export-{job.pk}-fgs.zip"
    assert job.file.name == f"exports/kanalvakt-export-{job.pk}-fgs.zip"
    assert job.done == job.total > 0
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.EXPORT)
    assert (entry.path, entry.sha256, entry.size) == (job.file.name, job.sha256, job.size)


def test_a_changed_archived_file_fails_the_delivery(cast: Cast, archive: Archive) -> None:
    """Never silent: a screenshot whose bytes no longer match its SHA-256 is not delivered as the record."""
    path = Path(archive.evidence.image.path)
    path.write_bytes(path.read_bytes() + b"tampered")
    job = export_fgs(cast, {"account": archive.account.pk})
    assert job.status == ExportJob.Status.FAILED
    assert "SHA-256" in job.error
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPORT).exists()


def test_an_unknown_package_format_is_refused_and_stores_nothing(cast: Cast) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        exports.request_export(
            by=cast["registrar"], now=NOW, criteria={"text": "x"}, description="", package_format="warc"
        )
    assert "package_format" in refused.value.message_dict
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("person", ["communicator", "head_of_unit", "communications", "security_officer"])
def test_only_the_registrar_and_the_lead_deliver_packages(cast: Cast, person: str) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        exports.request_export(
            by=cast[person], now=NOW, criteria={"text": "x"}, description="", package_format="fgs"
        )
    assert not ExportJob.objects.exists()


def test_criteria_naming_an_unknown_one_of_several_accounts_are_refused(cast: Cast, archive: Archive) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        exports.request_export(
            by=cast["registrar"],
            now=NOW,
            criteria={"accounts": [archive.account.pk, 999999]},
            description="",
            package_format="fgs",
        )
    assert "accounts" in refused.value.message_dict
    assert not ExportJob.objects.exists()


def test_the_package_takes_the_same_queries_for_few_or_many_screenshots(
    cast: Cast, archive: Archive, make_item: Any
) -> None:
    """Streamed like the bag: the records and files are read in chunks, each person once, so more
    screenshots by the same people cost no more queries (the job's own progress is not counted)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from archive.services import store_screenshot
    from tests.archive.export_support import png

    def build() -> int:
        job = exports.request_export(
            by=cast["registrar"],
            now=NOW,
            criteria={"account": archive.account.pk},
            description="",
            package_format="fgs",
        )
        with CaptureQueriesContext(connection) as captured:
            exports.run_export(job.pk, now=NOW)
        assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.DONE
        return len([q for q in captured.captured_queries if "archive_exportjob" not in q["sql"]])

    few = build()
    for number in range(12):
        item = make_item(text=f"Bild {number}")
        store_screenshot(
            archive.account,
            data=png(colour=(number * 20, 9, 9)),
            purpose="item",
            item=item,
            by=cast["communicator"],
            now=NOW,
        )
    assert build() == few

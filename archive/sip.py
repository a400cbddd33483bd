"""Delivery packages for an archive (KAU-PUBLIC-RECORD): an export as an E-ARK SIP following
Riksarkivet's FGS Paketstruktur 2.0 (E-ARK CSIP 2.1 and SIP 2.1), the form in which a Swedish public
archive takes records in (arkivlagen; formats as RA-FS 2009:2: XML, JSON, PDF/A and images).

The same selection as the BagIt bag (archive.exports.selection), laid out as:

    METS.xml                                  the package: CSIP/SIP profile, TYPE Other ("Sociala
                                              medier"), agents, every file with size, SHA-256, type
    metadata/descriptive/dc.xml               Dublin Core: the delivery, its accounts, period, counts
    metadata/preservation/premis.xml          PREMIS 3: every file's fixity, the agents, and the events
                                              (capture, registration, removal, disposal, packaging)
    representations/rep-json/METS.xml, data/  the records as JSON, as Kanalvakt holds them
    representations/rep-pdfa/METS.xml, data/  the diary packages (PDF/A) as sent to the registry
    representations/rep-screenshots/METS.xml, data/  the original screenshots
    schemas/                                  the XML schemas the METS files name

Files are streamed from storage in chunks and re-hashed on the way, as for the bag; the METS and PREMIS
files are written element by element (lxml's incremental writer) from querysets read in chunks.

The PREMIS file and its events, with the extension point for other event sources (the disposal of
records), are archive.premis.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from lxml import etree

from archive import export_records, exports, registration
from archive.models import DiaryPackage, ExportJob, Screenshot
from archive.premis import (
    REP_JSON,
    REP_PDFA,
    REP_SHOTS,
    SOFTWARE,
    PackageFile,
    Selection,
    iso,
    package_path,
    screenshot_path,
    software_version,
    write_premis,
)
from archive.search import DECISIONS, ITEMS, LOG, PUBLICATIONS, Criteria
from core.calendar import STOCKHOLM
from core.models import InstitutionSettings

METS_NS = "http://www.loc.gov/METS/"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
METS_NSMAP = {"mets": METS_NS, "csip": CSIP_NS, "sip": SIP_NS, "xlink": XLINK_NS, "xsi": XSI_NS}

SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
CSIP_PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
# CSIP has no content category for social media: "Other" with a Swedish label, as Riksarkivet's
# deliveries of social media do (FGS Paketstruktur 2.0).
CONTENT_TYPE = "Other"
OTHER_TYPE = "Sociala medier"
CONTENT_INFORMATION_TYPE = "OTHER"
OTHER_CONTENT_INFORMATION_TYPE = "Kanalvakt: sociala medier (JSON, PDF/A, bilder)"

PREMIS_PATH = "metadata/preservation/premis.xml"
# The XML schemas shipped in every package (schemas/), as distributed with the E-ARK specifications:
# METS 1.12 (Library of Congress), XLink, and the DILCIS CSIP and SIP extensions. PREMIS is referred
# to by namespace and version only.
SCHEMA_DIR = Path(__file__).resolve().parent / "sip_schemas"
SCHEMA_FILES = ("mets.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd", "DILCISExtensionSIPMETS.xsd")
SCHEMA_LOCATION = (
    f"{METS_NS} schemas/mets.xsd {XLINK_NS} schemas/xlink.xsd "
    f"{CSIP_NS} schemas/DILCISExtensionMETS.xsd {SIP_NS} schemas/DILCISExtensionSIPMETS.xsd"
)

# Kanalvakt's record kinds, written as JSON in rep-json/data/records/.
RECORD_KINDS = (
    ("items", ITEMS, export_records.item_row),
    ("publications", PUBLICATIONS, export_records.publication_row),
    ("log", LOG, export_records.log_row),
    ("decisions", DECISIONS, export_records.decision_row),
)


def _mets(tag: str) -> str:
    return f"{{{METS_NS}}}{tag}"


# --- Files ---------------------------------------------------------------------------------------


@dataclass
class _Package:
    """The package folder being written, and every file put in it (paths, sizes and hashes only)."""

    root: Path
    now: datetime
    files: dict[str, list[PackageFile]] = field(default_factory=dict)

    def add(self, group: str, path: str, *, created: datetime, mimetype: str = "") -> PackageFile:
        size, digest = exports._digest(self.root / path)
        entry = PackageFile(path, size, digest, created, mimetype)
        self.files.setdefault(group, []).append(entry)
        return entry

    def copy(self, group: str, name: str, expected_sha256: str, path: str, *, created: datetime) -> None:
        exports._copy(name, expected_sha256, self.root / path)  # a changed file fails the export
        self.add(group, path, created=created)


def _json_records(package: _Package, name: str, rows: Iterable[dict[str, Any]]) -> int:
    """One kind of record as a JSON list, written row by row."""
    path = f"representations/{REP_JSON}/data/records/{name}.json"
    target = package.root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w", encoding="utf-8") as out:
        out.write("[")
        for row in rows:
            out.write(",\n" if count else "\n")
            out.write(json.dumps(row, ensure_ascii=False))
            count += 1
        out.write("\n]\n" if count else "]\n")
    package.add(REP_JSON, path, created=package.now)
    return count


def _screenshot_row(shot: Screenshot) -> dict[str, Any]:
    row = export_records.screenshot_row(shot)
    row["file"] = screenshot_path(shot.sha256, shot.extension)
    del row["stamped_file"]  # the date-stamped copies are in the PDF/A packages
    return row


def _package_row(package: DiaryPackage) -> dict[str, Any]:
    row = export_records.package_row(package)
    row["file"] = package_path(package.pk)
    return row


# --- Building ------------------------------------------------------------------------------------


def build(job: ExportJob, *, now: datetime) -> None:
    """Build, zip, store and ledger the SIP of one claimed export job (archive.exports.run_export)."""
    criteria, found, screenshots, packages = exports.selection(job)
    selection = Selection(job, criteria, found, screenshots, packages)
    shot_count = screenshots.count()
    package_ids = list(packages.order_by("pk").values_list("pk", flat=True))
    total = len(RECORD_KINDS) + 2 + shot_count + 2 * len(package_ids) + 1
    exports.ExportJob.objects.filter(pk=job.pk).update(total=total)
    progress = exports._Progress(job.pk, total)
    name = object_id(job)
    workdir = Path(tempfile.mkdtemp(prefix=f"kanalvakt-sip-{job.pk}-"))
    try:
        package = _Package(workdir / name, now)
        package.root.mkdir()
        counts = _write_representations(package, selection, package_ids, progress)
        institution = InstitutionSettings.objects.get_solo().institution_name
        for rep in (REP_JSON, REP_PDFA, REP_SHOTS):
            write_representation_mets(package, rep, job=job, institution=institution)
        for schema in SCHEMA_FILES:
            (package.root / "schemas").mkdir(exist_ok=True)
            shutil.copyfile(SCHEMA_DIR / schema, package.root / "schemas" / schema)
            package.add("schemas", f"schemas/{schema}", created=now)
        write_descriptive(package, job, criteria, institution=institution, counts=counts)
        write_documentation(package, job, institution=institution, counts=counts)
        write_premis(
            package.root / PREMIS_PATH,
            [entry for group in package.files.values() for entry in group],
            selection,
            institution=institution,
            object_id=name,
            now=now,
        )
        package.add("preservation", PREMIS_PATH, created=now)
        write_root_mets(package, job, institution=institution)
        progress.step()
        exports.store_zip(job, package.root, workdir, root=name, total=total)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def object_id(job: ExportJob) -> str:
    """The package's OBJID, also its root folder's name (CSIPSTR4)."""
    return f"kanalvakt-export-{job.pk}"


def _write_representations(
    package: _Package, selection: Selection, package_ids: list[int], progress: Any
) -> dict[str, int]:
    counts = {}
    for name, kind, to_row in RECORD_KINDS:
        counts[name] = _json_records(package, name, map(to_row, exports._iterate(selection.found.get(kind))))
        progress.step()
    counts["screenshots"] = _json_records(
        package, "screenshots", map(_screenshot_row, selection.screenshots.iterator(chunk_size=500))
    )
    counts["packages"] = _json_records(
        package, "packages", map(_package_row, selection.packages.order_by("pk").iterator(chunk_size=500))
    )
    progress.step(2)
    shots = selection.screenshots.values_list("image", "sha256", "extension", "taken_at")
    seen: set[str] = set()
    for image, sha, ext, taken_at in shots.iterator(chunk_size=2000):
        if sha not in seen:  # the same image kept twice is one file, named by its content
            seen.add(sha)
            package.copy(REP_SHOTS, image, sha, screenshot_path(sha, ext), created=taken_at)
        progress.step()
    rows = DiaryPackage.objects.filter(pk__in=package_ids).select_related("registered_by", "item")
    for row in rows.order_by("pk").iterator(chunk_size=500):
        package.copy(REP_PDFA, row.pdf.name, row.pdf_sha256, package_path(row.pk), created=row.built_at)
        fields_path = f"representations/{REP_JSON}/data/packages/{row.pk}.json"
        (package.root / fields_path).parent.mkdir(parents=True, exist_ok=True)
        (package.root / fields_path).write_bytes(registration.package_fields_json(row))
        package.add(REP_JSON, fields_path, created=package.now)
        progress.step(2)
    return counts


# --- METS ----------------------------------------------------------------------------------------


def _mets_root_attributes(job: ExportJob, objid: str, label: str) -> dict[str, str]:
    return {
        "OBJID": objid,
        "LABEL": label,
        "TYPE": CONTENT_TYPE,
        f"{{{CSIP_NS}}}OTHERTYPE": OTHER_TYPE,
        f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE": CONTENT_INFORMATION_TYPE,
        f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE": OTHER_CONTENT_INFORMATION_TYPE,
        "PROFILE": SIP_PROFILE,
        f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION,
    }


def _mets_header(package: _Package, job: ExportJob, *, institution: str) -> etree._Element:
    """The agents: Kanalvakt as the software that made the package (the one CREATOR, CSIP10-16), the
    institution as archival creator (ARCHIVIST) and as submitting organisation, and the person who
    asked for the export as the contact."""
    when = iso(package.now)
    header = etree.Element(
        _mets("metsHdr"),
        {
            "CREATEDATE": when,
            "LASTMODDATE": when,
            "RECORDSTATUS": "NEW",
            f"{{{CSIP_NS}}}OAISPACKAGETYPE": "SIP",
        },
        nsmap=METS_NSMAP,
    )
    archivist = etree.SubElement(header, _mets("agent"), {"ROLE": "ARCHIVIST", "TYPE": "ORGANIZATION"})
    etree.SubElement(archivist, _mets("name")).text = institution
    submitter = etree.SubElement(
        header, _mets("agent"), {"ROLE": "OTHER", "OTHERROLE": "SUBMITTER", "TYPE": "ORGANIZATION"}
    )
    etree.SubElement(submitter, _mets("name")).text = institution
    software = etree.SubElement(
        header, _mets("agent"), {"ROLE": "CREATOR", "TYPE": "OTHER", "OTHERTYPE": "SOFTWARE"}
    )
    etree.SubElement(software, _mets("name")).text = SOFTWARE
    etree.SubElement(
        software, _mets("note"), {f"{{{CSIP_NS}}}NOTETYPE": "SOFTWARE VERSION"}
    ).text = software_version()
    by = job.requested_by
    contact = etree.SubElement(
        header, _mets("agent"), {"ROLE": "OTHER", "OTHERROLE": "SUBMITTER", "TYPE": "INDIVIDUAL"}
    )
    etree.SubElement(contact, _mets("name")).text = by.get_full_name() or by.username
    if by.email:
        etree.SubElement(contact, _mets("note")).text = by.email
    return header


def _file_element(entry: PackageFile, file_id: str, href: str) -> etree._Element:
    element = etree.Element(
        _mets("file"),
        {
            "ID": file_id,
            "MIMETYPE": entry.mimetype,
            "SIZE": str(entry.size),
            "CREATED": iso(entry.created),
            "CHECKSUM": entry.sha256,
            "CHECKSUMTYPE": "SHA-256",
        },
        nsmap=METS_NSMAP,
    )
    etree.SubElement(
        element,
        _mets("FLocat"),
        {"LOCTYPE": "URL", f"{{{XLINK_NS}}}type": "simple", f"{{{XLINK_NS}}}href": href},
    )
    return element


def _file_group(group_id: str, use: str) -> dict[str, str]:
    """A file group's attributes: every group states the content information type (CSIP62, CSIP63)."""
    return {
        "ID": group_id,
        "USE": use,
        f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE": CONTENT_INFORMATION_TYPE,
        f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE": OTHER_CONTENT_INFORMATION_TYPE,
    }


def _md_ref(entry: PackageFile, mdtype: str, **extra: str) -> etree._Element:
    return etree.Element(
        _mets("mdRef"),
        {
            "LOCTYPE": "URL",
            f"{{{XLINK_NS}}}type": "simple",
            f"{{{XLINK_NS}}}href": entry.path,
            "MDTYPE": mdtype,
            **extra,
            "MIMETYPE": entry.mimetype,
            "SIZE": str(entry.size),
            "CREATED": iso(entry.created),
            "CHECKSUM": entry.sha256,
            "CHECKSUMTYPE": "SHA-256",
        },
        nsmap=METS_NSMAP,
    )


def write_representation_mets(
    package: _Package, rep: str, *, job: ExportJob, institution: str
) -> PackageFile:
    """A representation's own METS.xml: its data files, each with size, SHA-256 and type."""
    base = f"representations/{rep}/"
    (package.root / base / "data").mkdir(parents=True, exist_ok=True)
    objid = f"{object_id(job)}-{rep}"
    with etree.xmlfile(str(package.root / base / "METS.xml"), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(
            _mets("mets"), _mets_root_attributes(job, objid, f"{object_id(job)}: {rep}"), nsmap=METS_NSMAP
        ):
            xf.write(_mets_header(package, job, institution=institution))
            with (
                xf.element(_mets("fileSec"), {"ID": "fileSec"}),
                xf.element(_mets("fileGrp"), _file_group("fileGrp-data", "Data")),
            ):
                for number, entry in enumerate(package.files.get(rep, ()), 1):
                    xf.write(_file_element(entry, f"file-{number}", entry.path.removeprefix(base)))
            structmap = etree.Element(
                _mets("structMap"), {"ID": "structMap", "TYPE": "PHYSICAL", "LABEL": "CSIP"}, nsmap=METS_NSMAP
            )
            top = etree.SubElement(structmap, _mets("div"), {"ID": "div-root", "LABEL": objid})
            data = etree.SubElement(top, _mets("div"), {"ID": "div-data", "LABEL": "Data"})
            etree.SubElement(data, _mets("fptr"), {"FILEID": "fileGrp-data"})
            xf.write(structmap)
    return package.add(f"mets-{rep}", base + "METS.xml", created=package.now)


def write_root_mets(package: _Package, job: ExportJob, *, institution: str) -> None:
    """The package's METS.xml: descriptive and preservation metadata, the schemas, and a pointer to
    each representation's METS."""
    objid = object_id(job)
    descriptive = package.files["descriptive"][0]
    premis = package.files["preservation"][0]
    with etree.xmlfile(str(package.root / "METS.xml"), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(_mets("mets"), _mets_root_attributes(job, objid, job.description), nsmap=METS_NSMAP):
            xf.write(_mets_header(package, job, institution=institution))
            dmd = etree.Element(
                _mets("dmdSec"),
                {"ID": "dmd-1", "CREATED": iso(package.now), "STATUS": "CURRENT"},
                nsmap=METS_NSMAP,
            )
            dmd.append(_md_ref(descriptive, "DC"))
            xf.write(dmd)
            amd = etree.Element(_mets("amdSec"), {"ID": "amd-1"}, nsmap=METS_NSMAP)
            digiprov = etree.SubElement(
                amd,
                _mets("digiprovMD"),
                {"ID": "digiprov-1", "CREATED": iso(package.now), "STATUS": "CURRENT"},
            )
            digiprov.append(_md_ref(premis, "PREMIS"))
            xf.write(amd)
            with xf.element(_mets("fileSec"), {"ID": "fileSec"}):
                for group, use in (("documentation", "Documentation"), ("schemas", "Schemas")):
                    with xf.element(_mets("fileGrp"), _file_group(f"fileGrp-{group}", use)):
                        for number, entry in enumerate(package.files[group], 1):
                            xf.write(_file_element(entry, f"file-{group}-{number}", entry.path))
                for rep in (REP_JSON, REP_PDFA, REP_SHOTS):
                    with xf.element(
                        _mets("fileGrp"), _file_group(f"fileGrp-{rep}", f"Representations/{rep}")
                    ):
                        entry = package.files[f"mets-{rep}"][0]
                        xf.write(_file_element(entry, f"file-mets-{rep}", entry.path))
            structmap = etree.Element(
                _mets("structMap"), {"ID": "structMap", "TYPE": "PHYSICAL", "LABEL": "CSIP"}, nsmap=METS_NSMAP
            )
            top = etree.SubElement(structmap, _mets("div"), {"ID": "div-root", "LABEL": objid})
            etree.SubElement(
                top,
                _mets("div"),
                {"ID": "div-metadata", "LABEL": "Metadata", "DMDID": "dmd-1", "ADMID": "digiprov-1"},
            )
            for group, label in (("documentation", "Documentation"), ("schemas", "Schemas")):
                div = etree.SubElement(top, _mets("div"), {"ID": f"div-{group}", "LABEL": label})
                etree.SubElement(div, _mets("fptr"), {"FILEID": f"fileGrp-{group}"})
            # The representations grouped under one "Representations" division (CSIP103), each with a
            # pointer to its own METS.
            representations = etree.SubElement(
                top, _mets("div"), {"ID": "div-representations", "LABEL": "Representations"}
            )
            for rep in (REP_JSON, REP_PDFA, REP_SHOTS):
                etree.SubElement(representations, _mets("fptr"), {"FILEID": f"fileGrp-{rep}"})
            for rep in (REP_JSON, REP_PDFA, REP_SHOTS):
                div = etree.SubElement(
                    representations, _mets("div"), {"ID": f"div-{rep}", "LABEL": f"Representations/{rep}"}
                )
                etree.SubElement(
                    div,
                    _mets("mptr"),
                    {
                        "LOCTYPE": "URL",
                        f"{{{XLINK_NS}}}type": "simple",
                        f"{{{XLINK_NS}}}href": f"representations/{rep}/METS.xml",
                        f"{{{XLINK_NS}}}title": f"fileGrp-{rep}",
                    },
                )
            xf.write(structmap)


# --- Descriptive and preservation metadata -------------------------------------------------------


def write_descriptive(
    package: _Package, job: ExportJob, criteria: Criteria, *, institution: str, counts: dict[str, int]
) -> None:
    """A Dublin Core record of the delivery: what, whose, which accounts and period, how many records."""
    path = "metadata/descriptive/dc.xml"
    (package.root / path).parent.mkdir(parents=True, exist_ok=True)
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS})

    def dc(tag: str, text: str, lang: str = "") -> None:
        element = etree.SubElement(root, f"{{{DC_NS}}}{tag}")
        element.text = text
        if lang:
            element.set("{http://www.w3.org/XML/1998/namespace}lang", lang)

    dc("title", job.description, "sv")
    dc("identifier", object_id(job))
    dc("creator", institution)
    dc("publisher", institution)
    dc("type", OTHER_TYPE, "sv")
    dc("date", iso(package.now))
    dc("language", "sv")
    for _sv, en, value in exports._criteria_lines(criteria):
        dc(
            "subject" if en == "Account" else "coverage" if en in ("From", "To") else "description",
            f"{en}: {value}",
            "en",
        )
    for name, count in counts.items():
        dc("description", f"{name}: {count}", "en")
    dc(
        "rights",
        "Allmänna handlingar (tryckfrihetsförordningen 2 kap.); sekretessprövning före utlämnande.",
        "sv",
    )
    etree.ElementTree(root).write(str(package.root / path), encoding="utf-8", xml_declaration=True)
    package.add("descriptive", path, created=package.now)


def write_documentation(
    package: _Package, job: ExportJob, *, institution: str, counts: dict[str, int]
) -> None:
    """documentation/README.txt: what the package is and how to check it, in Swedish and English,
    whatever the language of the person exporting (the package outlives the session)."""
    path = "documentation/README.txt"
    (package.root / path).parent.mkdir(parents=True, exist_ok=True)
    made = timezone.localtime(package.now, STOCKHOLM).strftime("%Y-%m-%d %H:%M %Z")
    count_text = "\n".join(f"  {name}: {count}" for name, count in counts.items())
    text = f"""{object_id(job)}: {job.description}
{institution}, {made}

SVENSKA
Leveranspaket enligt Riksarkivets FGS Paketstruktur 2.0 (E-ARK CSIP 2.1 och SIP 2.1), framställt av
Kanalvakt. METS.xml beskriver paketet; metadata/descriptive/dc.xml beskriver leveransen (Dublin Core);
metadata/preservation/premis.xml (PREMIS 3) anger kontrollsumma (SHA-256) för varje fil och händelserna:
skärmbilder som togs, diariepaket som registrerades, inlägg som togs bort och gallring.
representations/rep-json: posterna som JSON; rep-pdfa: diariepaketen (PDF/A); rep-screenshots:
originalskärmbilderna. Varje representation har en egen METS.xml. Kontrollera en fil genom att jämföra
dess SHA-256 med attributet CHECKSUM i METS.xml.

ENGLISH
A delivery package following Riksarkivet's FGS Paketstruktur 2.0 (E-ARK CSIP 2.1 and SIP 2.1), made by
Kanalvakt. METS.xml describes the package; metadata/descriptive/dc.xml the delivery (Dublin Core);
metadata/preservation/premis.xml (PREMIS 3) gives every file's SHA-256 and the events: screenshots
taken, diary packages registered, items removed, and disposal. representations/rep-json: the records
as JSON; rep-pdfa: the diary packages (PDF/A); rep-screenshots: the original screenshots. Each
representation has its own METS.xml. Check a file by comparing its SHA-256 with the CHECKSUM in METS.xml.

{count_text}
"""
    (package.root / path).write_text(text, encoding="utf-8")
    package.add("documentation", path, created=package.now, mimetype="text/plain")

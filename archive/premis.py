"""PREMIS 3 preservation metadata of a delivery package (archive.sip; FGS Paketstruktur 2.0): every
file's fixity, the agents, and the events of the records delivered (KAU-PUBLIC-RECORD).

Events come from ``EVENT_SOURCES``: each source is given the delivery's ``Selection`` and yields
``PremisEvent``s, read from querysets in chunks. The capture of screenshots, the registration of diary
packages, the removal of items and the disposal of their contents (gallring, from the disposal notes)
are built in; other sources can be added with ``register_event_source``.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from lxml import etree

from archive.models import ExportJob, Screenshot
from archive.search import ITEMS, LOG, Criteria
from core.calendar import STOCKHOLM
from core.models import User
from moderation.models import LogEntry

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SOFTWARE = "Kanalvakt"
# The package's representations (archive.sip), to which the events link.
REP_JSON, REP_PDFA, REP_SHOTS = "rep-json", "rep-pdfa", "rep-screenshots"
MIMETYPES = {
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".xml": "text/xml",
    ".xsd": "application/xml",
    ".txt": "text/plain",
}


def _premis(tag: str) -> str:
    return f"{{{PREMIS_NS}}}{tag}"


def iso(value: datetime) -> str:
    """An instant as xsd:dateTime, in Stockholm time with its offset."""
    return timezone.localtime(value, STOCKHOLM).isoformat(timespec="seconds")


def software_version() -> str:
    """Kanalvakt's version, for the software agent of METS and PREMIS."""
    try:
        return importlib.metadata.version("kanalvakt")
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
        if pyproject.is_file():
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        return "unknown"


@dataclass
class PackageFile:
    """One file of the package, as METS and PREMIS list it: its path from the package's root."""

    path: str
    size: int
    sha256: str
    created: datetime
    mimetype: str = ""

    def __post_init__(self) -> None:
        self.mimetype = self.mimetype or MIMETYPES.get(
            Path(self.path).suffix.lower(), "application/octet-stream"
        )


# --- Events: the extension point -----------------------------------------------------------------


@dataclass(frozen=True)
class PremisAgent:
    """Who took part in an event: a person (by username), the institution or Kanalvakt itself."""

    identifier: str
    name: str
    kind: str  # "person", "organization" or "software"

    @classmethod
    def person(cls, user: User | None) -> PremisAgent:
        """A person; no person (a job of Kanalvakt's own) is Kanalvakt."""
        if user is None:
            return KANALVAKT_AGENT
        return cls(f"person:{user.username}", user.get_full_name() or user.username, "person")


KANALVAKT_AGENT = PremisAgent(f"software:{SOFTWARE}", SOFTWARE, "software")


@dataclass(frozen=True)
class PremisEvent:
    """One PREMIS event: what happened (``kind``, e.g. "capture", "registration", "removal",
    "disposal"), when, with what detail and outcome, by whom (with their role) and to which files
    of the package (paths from its root) or records ("item:12")."""

    identifier: str
    kind: str
    at: datetime
    detail: str
    agents: tuple[tuple[PremisAgent, str], ...]
    objects: tuple[str, ...] = ()
    outcome: str = "success"


@dataclass(frozen=True)
class Selection:
    """What one delivery holds, as the event sources read it (querysets, not lists)."""

    job: ExportJob
    criteria: Criteria
    found: dict[str, Any]
    screenshots: Any
    packages: Any


EventSource = Callable[[Selection], Iterable[PremisEvent]]
EVENT_SOURCES: list[EventSource] = []


def register_event_source(source: EventSource) -> EventSource:
    """Add a source of PREMIS events to every delivery package (for example the disposal of records
    under an approved disposal decision, whose events carry ``kind="disposal"``). Call it from an
    AppConfig.ready(); usable as a decorator."""
    if source not in EVENT_SOURCES:
        EVENT_SOURCES.append(source)
    return source


def screenshot_path(sha256: str, extension: str) -> str:
    return f"representations/{REP_SHOTS}/data/{sha256}.{extension}"


def package_path(pk: int) -> str:
    return f"representations/{REP_PDFA}/data/{pk}.pdf"


@register_event_source
def capture_events(selection: Selection) -> Iterator[PremisEvent]:
    """Each screenshot's capture or upload: when it was taken and by whom (or Kanalvakt's own
    capture), KAU-DIARY-ACTION and KAU-STARTPAGE."""
    shots = selection.screenshots.values_list(
        "pk", "sha256", "extension", "taken_at", "source", "source_url", "purpose", "taken_by"
    )
    people = _people()
    for pk, sha, ext, taken_at, source, url, purpose, taken_by in shots.iterator(chunk_size=2000):
        how = "captured by Kanalvakt" if source == Screenshot.Source.CAPTURE else "uploaded"
        yield PremisEvent(
            identifier=f"capture-screenshot-{pk}",
            kind="capture",
            at=taken_at,
            detail=f"Screenshot ({purpose}) {how}" + (f" of {url}" if url else ""),
            agents=((people(taken_by), "implementer"), (KANALVAKT_AGENT, "executing program")),
            objects=(screenshot_path(sha, ext),),
        )


@register_event_source
def registration_events(selection: Selection) -> Iterator[PremisEvent]:
    """Each diary package registered by the registry (KAU-DIARY-ACTION): when, and its number."""
    people = _people()
    registered = selection.packages.filter(registered_at__isnull=False).values_list(
        "pk", "registered_at", "diary_number", "registered_by"
    )
    for pk, registered_at, number, registered_by in registered.order_by("pk").iterator(chunk_size=2000):
        yield PremisEvent(
            identifier=f"registration-package-{pk}",
            kind="registration",
            at=registered_at,
            detail=f"Registered in the registry (diariet) as {number}",
            agents=((people(registered_by), "implementer"),),
            objects=(package_path(pk),),
        )


@register_event_source
def removal_events(selection: Selection) -> Iterator[PremisEvent]:
    """Each item removed from the platform as prohibited content (KAU-PROHIBITED): the moderation
    log's removal entries. The record itself is kept, and delivered."""
    log = selection.found.get(LOG)
    if log is None:
        return
    people = _people()
    removals = log.filter(action=LogEntry.Action.REMOVED).values_list("pk", "item_id", "at", "actor", "note")
    for pk, item_id, at, actor, note in removals.order_by("at", "pk").iterator(chunk_size=2000):
        yield PremisEvent(
            identifier=f"removal-log-{pk}",
            kind="removal",
            at=at,
            detail="Removed from the platform as prohibited content; the record is kept"
            + (f": {note}" if note else ""),
            agents=((people(actor), "implementer"),),
            objects=(f"item:{item_id}", f"representations/{REP_JSON}/data/records/items.json"),
        )


@register_event_source
def disposal_events(selection: Selection) -> Iterator[PremisEvent]:
    """Each item of the delivery whose contents were destroyed under an approved disposal decision
    (gallring, arkivlagen 10 §): the record and its disposal note are delivered, its contents are not.
    Read from the disposal notes, one event per item."""
    items = selection.found.get(ITEMS)
    if items is None:
        return
    from archive.models import RecordType, Tombstone

    people = _people()
    notes = (
        Tombstone.objects.filter(
            record_type__in=[RecordType.ITEM, RecordType.REGISTERED_ITEM],
            record_id__in=items.filter(disposed_at__isnull=False).values("pk"),
        )
        .select_related("disposal")
        .order_by("disposed_at", "pk")
    )
    for note in notes.iterator(chunk_size=2000):
        yield PremisEvent(
            identifier=f"disposal-{note.pk}",
            kind="disposal",
            at=note.disposed_at,
            detail=f"Contents destroyed under the disposal decision {note.disposal.decision_reference}; "
            "the disposal note is kept",
            agents=((people(note.disposal.decided_by_id), "authorizer"),),
            objects=(f"item:{note.record_id}", f"representations/{REP_JSON}/data/records/items.json"),
        )


def _people() -> Callable[[int | None], PremisAgent]:
    """A person agent by user id, each person read once per source."""
    cache: dict[int, PremisAgent] = {}

    def person(user_id: int | None) -> PremisAgent:
        if user_id is None:
            return KANALVAKT_AGENT
        if user_id not in cache:
            cache[user_id] = PremisAgent.person(User.objects.get(pk=user_id))
        return cache[user_id]

    return person


def _premis_identifier(parent: etree._Element, tag: str, kind: str, value: str) -> None:
    identifier = etree.SubElement(parent, _premis(tag))
    etree.SubElement(identifier, _premis(f"{tag}Type")).text = kind
    etree.SubElement(identifier, _premis(f"{tag}Value")).text = value


def _premis_object(entry: PackageFile) -> etree._Element:
    obj = etree.Element(
        _premis("object"), {f"{{{XSI_NS}}}type": "file"}, nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}
    )
    _premis_identifier(obj, "objectIdentifier", "local", entry.path)
    characteristics = etree.SubElement(obj, _premis("objectCharacteristics"))
    etree.SubElement(characteristics, _premis("compositionLevel")).text = "0"
    fixity = etree.SubElement(characteristics, _premis("fixity"))
    etree.SubElement(fixity, _premis("messageDigestAlgorithm")).text = "SHA-256"
    etree.SubElement(fixity, _premis("messageDigest")).text = entry.sha256
    etree.SubElement(characteristics, _premis("size")).text = str(entry.size)
    designation = etree.SubElement(
        etree.SubElement(characteristics, _premis("format")), _premis("formatDesignation")
    )
    etree.SubElement(designation, _premis("formatName")).text = entry.mimetype
    return obj


def _premis_event(event: PremisEvent) -> etree._Element:
    element = etree.Element(_premis("event"), nsmap={"premis": PREMIS_NS})
    _premis_identifier(element, "eventIdentifier", "local", event.identifier)
    etree.SubElement(element, _premis("eventType")).text = event.kind
    etree.SubElement(element, _premis("eventDateTime")).text = iso(event.at)
    etree.SubElement(
        etree.SubElement(element, _premis("eventDetailInformation")), _premis("eventDetail")
    ).text = event.detail
    etree.SubElement(
        etree.SubElement(element, _premis("eventOutcomeInformation")), _premis("eventOutcome")
    ).text = event.outcome
    for agent, role in event.agents:
        link = etree.SubElement(element, _premis("linkingAgentIdentifier"))
        etree.SubElement(link, _premis("linkingAgentIdentifierType")).text = "local"
        etree.SubElement(link, _premis("linkingAgentIdentifierValue")).text = agent.identifier
        etree.SubElement(link, _premis("linkingAgentRole")).text = role
    for value in event.objects:
        link = etree.SubElement(element, _premis("linkingObjectIdentifier"))
        etree.SubElement(link, _premis("linkingObjectIdentifierType")).text = "local"
        etree.SubElement(link, _premis("linkingObjectIdentifierValue")).text = value
    return element


def _premis_agent(agent: PremisAgent, version: str = "") -> etree._Element:
    element = etree.Element(_premis("agent"), nsmap={"premis": PREMIS_NS})
    _premis_identifier(element, "agentIdentifier", "local", agent.identifier)
    etree.SubElement(element, _premis("agentName")).text = agent.name
    etree.SubElement(element, _premis("agentType")).text = agent.kind
    if version:
        etree.SubElement(element, _premis("agentVersion")).text = version
    return element


def write_premis(
    target: Path,
    files: Iterable[PackageFile],
    selection: Selection,
    *,
    institution: str,
    object_id: str,
    now: datetime,
) -> None:
    """PREMIS 3 into ``target``: every file of the package with its SHA-256 fixity, every event of
    every source (EVENT_SOURCES), the packaging itself, and every agent named by an event."""
    target.parent.mkdir(parents=True, exist_ok=True)
    institution_agent = PremisAgent(f"organization:{institution}", institution, "organization")
    agents: dict[str, PremisAgent] = {
        KANALVAKT_AGENT.identifier: KANALVAKT_AGENT,
        institution_agent.identifier: institution_agent,
    }
    with etree.xmlfile(str(target), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(_premis("premis"), {"version": "3.0"}, nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}):
            for entry in files:
                xf.write(_premis_object(entry))
            packaging = PremisEvent(
                identifier=f"packaging-{object_id}",
                kind="information package creation",
                at=now,
                detail="FGS Paketstruktur 2.0 / E-ARK SIP 2.1 made for the export "
                f"{selection.job.pk}; every file re-hashed (SHA-256) against its recorded fixity",
                agents=(
                    (PremisAgent.person(selection.job.requested_by), "authorizer"),
                    (institution_agent, "submitter"),
                    (KANALVAKT_AGENT, "executing program"),
                ),
            )
            for source in EVENT_SOURCES:
                for event in source(selection):
                    xf.write(_premis_event(event))
                    agents.update((agent.identifier, agent) for agent, _role in event.agents)
            xf.write(_premis_event(packaging))
            agents.update((agent.identifier, agent) for agent, _role in packaging.agents)
            for agent in agents.values():
                xf.write(_premis_agent(agent, software_version() if agent == KANALVAKT_AGENT else ""))

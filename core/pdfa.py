"""Finishing a PDF as PDF/A, for every record Kanalvakt writes as one: the diary package
(archive.pdfa) and the decision record of a new-account request (governance.records). Pure: no ORM,
no clock.

RA-FS 2009:2 names PDF/A among the formats the archive accepts for long-term keeping; PDF/A asks for
embedded fonts (core.pdffonts chooses them per character), XMP metadata, and an output intent. This
module takes the pages a typesetter made and writes them as PDF/A: the page transitions ReportLab
writes are removed, the XMP properties written, the sRGB output intent added, and the bytes validated
(``pikepdf.pdfa.save`` re-reads the file and raises unless the validator, generated from the veraPDF
rules, approves it), so a caller never gets a file that does not pass.

The XMP keeps the exact text wherever XML can hold it: the characters XML 1.0 forbids (NUL and the
other C0 controls but tab and line ends, lone surrogates, U+FFFE and U+FFFF) are written there as
U+FFFD. Dates are written to the second: PDF/A-1 requires the Info dictionary's dates, which have no
fractions of a second, to equal the XMP's.

Flavours: ``"2b"`` (the default) takes Pillow's sRGB profile, an ICC version 4 profile, which PDF/A-2
allows; ``"1b"`` allows only ICC version 2 profiles, so the sRGB version 2 profile shipped with pikepdf
is used there, and PDF/A-1's predefined schemas do not include ``xmp:Label`` (the validator's
preparation drops it).
"""

from __future__ import annotations

import contextlib
import gc
import io
import re
import uuid
from collections.abc import Iterator
from datetime import datetime

import pikepdf
import pikepdf.pdfa
from PIL import ImageCms

FLAVOURS = ("2b", "1b")

# The XMP properties a record may carry, and whether each is an ordered list (rdf:Seq) in XMP.
XMP_FIELDS: dict[str, bool] = {
    "dc:title": False,
    "dc:description": False,
    "dc:source": False,
    "dc:date": True,
    "dc:creator": True,
    "dc:identifier": False,
    "xmp:CreateDate": False,
    "xmp:Label": False,
    "xmpMM:DocumentID": False,
}

# XMP dates (ISO 8601), written to the second.
XMP_DATES = ("dc:date", "xmp:CreateDate")
# What XML 1.0 cannot hold (its Char production), written as U+FFFD in the XMP.
XML_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class PdfaRefused(ValueError):
    """The record cannot be written in the flavour asked for; the message says why."""


def check_request(*, xmp: dict[str, str], flavour: str) -> None:
    """Refuse (``PdfaRefused``) an unknown flavour or XMP property before anything is typeset."""
    if flavour not in FLAVOURS:
        raise PdfaRefused(f"Unknown PDF/A flavour {flavour!r}: use one of {', '.join(FLAVOURS)}.")
    unknown = sorted(set(xmp) - set(XMP_FIELDS))
    if unknown:
        raise PdfaRefused(f"Unknown XMP properties: {', '.join(unknown)}.")


def finish(pdf: pikepdf.Pdf, *, xmp: dict[str, str], flavour: str = "2b") -> bytes:
    """``pdf`` written as PDF/A of ``flavour``, with the XMP properties of ``xmp``.

    An empty value is left out (``dc:identifier`` before a registration number is known);
    ``xmpMM:DocumentID`` defaults to a new UUID. Raises ``PdfaRefused`` for an unknown flavour or
    property, or a file the validator does not approve (with its findings).
    """
    check_request(xmp=xmp, flavour=flavour)
    for page in pdf.pages:
        # ReportLab writes a page transition (/Trans), which the validator does not check; a
        # printed record has no use for it.
        if "/Trans" in page.obj:
            del page.obj["/Trans"]

    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        for key, value in {"xmpMM:DocumentID": f"uuid:{uuid.uuid4()}", **xmp}.items():
            if value:
                text = xmp_text(_to_the_second(value) if key in XMP_DATES else value)
                meta[key] = [text] if XMP_FIELDS[key] else text

    out = io.BytesIO()
    try:
        with _no_collection():
            pikepdf.pdfa.save(pdf, out, flavour, output_intent=_output_intent(flavour))
    except pikepdf.pdfa.PdfaError as exc:
        findings = "; ".join(f"{f.rule}: {f.message}" for f in exc.report.findings[:10])
        raise PdfaRefused(f"The record does not pass PDF/A-{flavour}: {findings}") from exc
    except ValueError as exc:  # an output intent or save setting the flavour refuses
        raise PdfaRefused(f"The record cannot be written as PDF/A-{flavour}: {exc}") from exc
    return out.getvalue()


def finish_bytes(data: bytes, *, xmp: dict[str, str], flavour: str = "2b") -> bytes:
    """``finish`` for the bytes of a PDF a typesetter wrote (ReportLab's ``SimpleDocTemplate``)."""
    check_request(xmp=xmp, flavour=flavour)
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise PdfaRefused(f"The record could not be typeset: {type(exc).__name__}: {exc}") from exc
    return finish(pdf, xmp=xmp, flavour=flavour)


def xmp_text(value: str) -> str:
    """The value as XML can hold it: a character XML 1.0 forbids becomes U+FFFD, visibly, rather
    than being dropped without a trace (as pikepdf would)."""
    return XML_FORBIDDEN.sub("\ufffd", value)


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Collect garbage now, and not during validation. pikepdf's validator records every warning
    raised while it parses a content stream as a finding, and the garbage collector finalising an
    unrelated file left open elsewhere raises a ResourceWarning there: a sound record was refused
    now and then (``pikepdf:content-parse: content stream: unclosed file``)."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _to_the_second(value: str) -> str:
    """An ISO 8601 date and time without its fraction of a second: PDF/A-1 compares the XMP date with
    the Info dictionary's, which has none (ISO 19005-1, 6.7.3). Anything else is left as it is."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if "T" not in value and " " not in value:
        return value  # a date alone
    return moment.replace(microsecond=0).isoformat()


def _output_intent(flavour: str) -> bytes | str:
    if flavour == "1b":
        return "sRGB"  # pikepdf's shipped ICC v2 sRGB profile: PDF/A-1 refuses Pillow's v4 one
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

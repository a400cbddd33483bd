"""The diary package as a PDF/A file (KAU-DIARY-ACTION, KAU-PROHIBITED-EVIDENCE). Pure: no ORM, no clock.

A cover page of the registry fields, typeset with ReportLab in embedded TrueType fonts (so the text
can be searched and copied), then one page per screenshot, placed by img2pdf without re-encoding (a
PNG keeps its pixels, a JPEG its bytes). pikepdf then writes the file as PDF/A: the sRGB output
intent, the XMP metadata, and a validation of the bytes written (``pikepdf.pdfa.save`` re-reads the
file and raises unless the validator approves it), so this module never returns a file that does
not pass.

Whatever a visitor typed, the package is built: each character of the cover is drawn in the first
font of core.pdffonts' chain that has it (DejaVu Sans, then Symbola for emoji and symbols, then Droid
Sans Fallback for Chinese, Japanese and Korean), and a character no font has is drawn as a visible
placeholder. The XMP keeps the exact text wherever XML can hold it: the characters XML 1.0 forbids
(NUL and the other C0 controls but tab and line ends, lone surrogates, U+FFFE and U+FFFF) are written
there as U+FFFD. The CSV and JSON beside the PDF hold every value exactly.

Dates in the XMP are written to the second: PDF/A-1 requires the Info dictionary's dates, which
have no fractions of a second, to equal the XMP's.

img2pdf's own PDF/A option is not used: the files it produces fail validation.

Flavours:

- ``"2b"`` (the default): the output intent is Pillow's sRGB profile (``ImageCms.createProfile``,
  an ICC version 4 profile, which PDF/A-2 allows). Transparent images are allowed.
- ``"1b"``: PDF/A-1 allows only ICC version 2 profiles, so Pillow's profile is refused there; the
  sRGB version 2 profile shipped with pikepdf is used instead. PDF/A-1 forbids transparency, so an
  image with an alpha channel is refused (``PdfaRefused``) rather than flattened here: the package
  shows the archived image as it is, or not at all. PDF/A-1's predefined XMP schemas do not include
  ``xmp:Label``, so the validator's preparation drops it; the label stays on the cover page and in
  the CSV/JSON fields beside the PDF.
"""

from __future__ import annotations

import contextlib
import gc
import io
import re
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime

import img2pdf
import pikepdf
import pikepdf.pdfa
from PIL import Image, ImageCms
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from core import pdffonts

FONT = pdffonts.REGULAR.name

FLAVOURS = ("2b", "1b")

# The XMP properties the package may carry, and whether each is an ordered list (rdf:Seq) in XMP.
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

# The largest page side a PDF reader must support (PDF 1.4 implementation limit, 200 inches).
MAX_PAGE_SIDE = 14_400.0
MARGIN = 50.0


class PdfaRefused(ValueError):
    """The package cannot be written in the flavour asked for; the message says why."""


def build_pdfa(
    *,
    cover_fields: list[tuple[str, str]],
    images: list[bytes],
    xmp: dict[str, str],
    flavour: str = "2b",
) -> bytes:
    """The PDF/A bytes: the cover page(s) of ``cover_fields`` (label, value), then one page per image.

    ``xmp`` maps the XMP properties of ``XMP_FIELDS`` to their values; an empty value is left out
    (``dc:identifier`` before the diary number is known). ``xmpMM:DocumentID`` defaults to a new
    UUID. Raises ``PdfaRefused`` for an unknown flavour, an unknown XMP property, a transparent image
    in PDF/A-1b, pages that cannot be typeset, or a file the validator does not approve (with its
    findings): whatever the text, nothing else.
    """
    if flavour not in FLAVOURS:
        raise PdfaRefused(f"Unknown PDF/A flavour {flavour!r}: use one of {', '.join(FLAVOURS)}.")
    unknown = sorted(set(xmp) - set(XMP_FIELDS))
    if unknown:
        raise PdfaRefused(f"Unknown XMP properties: {', '.join(unknown)}.")
    if flavour == "1b":
        for number, data in enumerate(images, start=1):
            if _has_alpha(data):
                raise PdfaRefused(
                    f"Image {number} has transparency, which PDF/A-1b forbids; use PDF/A-2b or a "
                    "flattened image."
                )

    pdf = pikepdf.new()
    try:
        sources = [pikepdf.open(io.BytesIO(_cover(cover_fields)))]
        if images:
            sources.append(pikepdf.open(io.BytesIO(_image_pages(images))))
    except (ValueError, OSError, img2pdf.ImageOpenError, pikepdf.PdfError) as exc:
        # An image img2pdf cannot place, a font ReportLab cannot read: said as a refusal, so the
        # caller stores nothing and tells the person, rather than failing with a server error.
        raise PdfaRefused(f"The package could not be typeset: {type(exc).__name__}: {exc}") from exc
    for source in sources:
        pdf.pages.extend(source.pages)
    for page in pdf.pages:
        # ReportLab writes a page transition (/Trans), which the validator does not check; a
        # printed record has no use for it.
        if "/Trans" in page.obj:
            del page.obj["/Trans"]

    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        for key, value in {"xmpMM:DocumentID": f"uuid:{uuid.uuid4()}", **xmp}.items():
            if value:
                text = _xmp_text(_to_the_second(value) if key in XMP_DATES else value)
                meta[key] = [text] if XMP_FIELDS[key] else text

    out = io.BytesIO()
    try:
        with _no_collection():
            pikepdf.pdfa.save(pdf, out, flavour, output_intent=_output_intent(flavour))
    except pikepdf.pdfa.PdfaError as exc:
        findings = "; ".join(f"{f.rule}: {f.message}" for f in exc.report.findings[:10])
        raise PdfaRefused(f"The package does not pass PDF/A-{flavour}: {findings}") from exc
    except ValueError as exc:  # an output intent or save setting the flavour refuses
        raise PdfaRefused(f"The package cannot be written as PDF/A-{flavour}: {exc}") from exc
    return out.getvalue()


def _xmp_text(value: str) -> str:
    """The value as XML can hold it: a character XML 1.0 forbids becomes U+FFFD, visibly, rather
    than being dropped without a trace (as pikepdf would)."""
    return XML_FORBIDDEN.sub("\ufffd", value)


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Collect garbage now, and not during validation. pikepdf's validator records every warning
    raised while it parses a content stream as a finding, and the garbage collector finalising an
    unrelated file left open elsewhere raises a ResourceWarning there: a sound package was refused
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


def _has_alpha(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)


def _cover(fields: Sequence[tuple[str, str]]) -> bytes:
    """The cover: one label and value per field, wrapped, on as many A4 pages as it takes; each
    character in a font that has it (core.pdffonts)."""
    pdffonts.chain(bold=True)  # registers the fonts before the canvas names its first one
    width, height = A4
    buffer = io.BytesIO()
    # initialFontName: otherwise ReportLab starts every page in Helvetica, a font it does not embed,
    # which PDF/A forbids.
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, initialFontName=FONT, pageCompression=1)
    text_width = width - 2 * MARGIN
    y = height - MARGIN

    def need(space: float) -> None:
        nonlocal y
        if y - space < MARGIN:
            pdf.showPage()
            y = height - MARGIN

    for label, value in fields:
        label_lines = pdffonts.wrap(label, text_width, 10, bold=True)
        value_lines = pdffonts.wrap(value or "–", text_width, 10)
        need(14 * len(label_lines) + 13 * min(len(value_lines), 3))
        for line in label_lines:
            pdffonts.draw(pdf, MARGIN, y, line, 10)
            y -= 14
        for line in value_lines:
            need(13)
            pdffonts.draw(pdf, MARGIN, y, line, 10)
            y -= 13
        y -= 8
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _page_for_image(width_px: int, height_px: int, _dpi: object) -> tuple[float, float, float, float]:
    """An A4-wide page as tall as the image needs (a full-page screenshot is long), within the
    largest page readers support; the image fills it, its aspect ratio kept."""
    page_width = A4[0]
    page_height = page_width * height_px / width_px
    if page_height > MAX_PAGE_SIDE:
        page_height = MAX_PAGE_SIDE
        page_width = MAX_PAGE_SIDE * width_px / height_px
    return page_width, page_height, page_width, page_height


def _image_pages(images: list[bytes]) -> bytes:
    """One page per image, the image embedded as it is (img2pdf does not re-encode)."""
    result = img2pdf.convert(images, layout_fun=_page_for_image)
    assert result is not None  # convert returns bytes when no output stream is given
    return bytes(result)

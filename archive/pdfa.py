"""The diary package as a PDF/A file (KAU-DIARY-ACTION, KAU-PROHIBITED-EVIDENCE). Pure: no ORM, no clock.

A cover page of the registry fields, typeset with ReportLab in embedded TrueType fonts (so the text
can be searched and copied), then one page per screenshot, placed by img2pdf without re-encoding (a
PNG keeps its pixels, a JPEG its bytes). pikepdf then writes the file as PDF/A (core.pdfa, the step
the decision record shares): the sRGB output intent, the XMP metadata, and a validation of the bytes
written (``pikepdf.pdfa.save`` re-reads the file and raises unless the validator approves it), so
this module never returns a file that does not pass.

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

import io
from collections.abc import Sequence

import img2pdf
import pikepdf
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from core import pdffonts
from core.pdfa import FLAVOURS, XML_FORBIDDEN, XMP_DATES, XMP_FIELDS, PdfaRefused, check_request, finish

# The PDF/A names this module has always offered; they live in core.pdfa, which the decision record
# (governance) uses too and which, below archive in the layers, governance may import.
__all__ = [
    "FLAVOURS",
    "MARGIN",
    "MAX_PAGE_SIDE",
    "XML_FORBIDDEN",
    "XMP_DATES",
    "XMP_FIELDS",
    "PdfaRefused",
    "build_pdfa",
]

FONT = pdffonts.REGULAR.name

# The largest page side a PDF reader must support (PDF 1.4 implementation limit, 200 inches).
MAX_PAGE_SIDE = 14_400.0
MARGIN = 50.0


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
    findings): whatever the text, nothing else. The PDF/A step itself is core.pdfa's, shared with
    the decision record.
    """
    check_request(xmp=xmp, flavour=flavour)
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
    return finish(pdf, xmp=xmp, flavour=flavour)


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

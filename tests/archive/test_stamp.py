"""The date stamp (KAU-DIARY-ACTION: the screenshot "marked with the date"): a caption band below an
untouched copy of the original, in DejaVu Sans so that å, ä and ö are letters and not boxes."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw

from archive import stamp as stamp_module
from archive.services import store_screenshot
from archive.stamp import (
    MIN_WIDTH,
    StampFontMissing,
    caption_lines,
    font,
    render_band,
    stamp,
    stockholm_time,
)
from tests.archive.screenshot_support import NOW, account, image_bytes, make_item, media_root
from tests.conftest import Cast

__all__ = ["account", "make_item", "media_root"]

SHA = hashlib.sha256(b"original").hexdigest()
TAKEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm


def noisy_png(size: tuple[int, int] = (640, 360)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 90).convert("RGB").save(out, "PNG")
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def glyph(character: str) -> bytes:
    """The bitmap the stamp's font draws for one character."""
    canvas = Image.new("L", (48, 48), 0)
    ImageDraw.Draw(canvas).text((8, 4), character, font=font(24), fill=255)
    return canvas.tobytes()


def stamped(data: bytes, **changes: Any) -> bytes:
    fields: dict[str, Any] = {
        "taken_at": TAKEN,
        "account_label": "Institutionen (Instagram, inst_kau)",
        "url": "https://www.instagram.com/p/abc123/",
        "sha256": SHA,
    }
    fields.update(changes)
    return stamp(data, **fields)


def test_the_stamped_copy_is_taller_and_the_original_pixels_are_untouched_kau_diary_action() -> None:
    original = noisy_png()
    result = decoded(stamped(original))
    source = decoded(original)
    assert result.format == "PNG"
    assert result.width == source.width
    assert result.height > source.height
    top = result.crop((0, 0, source.width, source.height))
    assert ImageChops.difference(top, source.convert("RGB")).getbbox() is None


def test_a_narrow_image_gets_a_wider_canvas_and_keeps_its_pixels() -> None:
    original = noisy_png((120, 80))
    result = decoded(stamped(original))
    assert result.width == MIN_WIDTH
    top = result.crop((0, 0, 120, 80))
    assert ImageChops.difference(top, decoded(original).convert("RGB")).getbbox() is None
    assert result.getpixel((300, 40)) == (255, 255, 255)  # beside the picture: white, nothing invented


def test_the_same_inputs_give_the_same_bytes() -> None:
    original = noisy_png()
    assert stamped(original) == stamped(original)
    assert stamped(original) != stamped(original, sha256=hashlib.sha256(b"other").hexdigest())


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "24 nov 2026 10:00"),  # winter: UTC+1
        (datetime(2026, 7, 1, 22, 30, tzinfo=UTC), "2 jul 2026 00:30"),  # summer: UTC+2, the next day
        (datetime(2026, 5, 3, 8, 5, tzinfo=UTC), "3 maj 2026 10:05"),  # Swedish month abbreviation
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 okt 2026 02:30"),  # after the change to winter time
    ],
)
def test_the_date_is_stockholm_time_with_swedish_months(moment: datetime, shown: str) -> None:
    assert stockholm_time(moment) == shown


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        stockholm_time(datetime(2026, 11, 24, 10, 0))


def test_the_caption_names_date_account_address_and_short_hash() -> None:
    lines = caption_lines(
        taken_at=TAKEN, account_label="Konto (Instagram)", url="https://example.se/x", sha256=SHA
    )
    text = "\n".join(lines)
    assert "24 nov 2026 10:00" in text
    assert "Konto (Instagram)" in text
    assert "https://example.se/x" in text
    assert SHA[:16] in text
    assert SHA[:17] not in text


def test_swedish_letters_change_the_band() -> None:
    plain = render_band(["Konto: Institutionen for sprak"], width=600)
    swedish = render_band(["Konto: Institutionen för språk"], width=600)
    assert plain.size == swedish.size
    assert ImageChops.difference(plain, swedish).getbbox() is not None


@pytest.mark.parametrize("letter", ["å", "ä", "ö", "Å", "Ä", "Ö"])
def test_swedish_letters_are_not_tofu(letter: str) -> None:
    """Each letter is drawn from the font, not as the .notdef box a missing glyph gets."""
    notdef = glyph("\ue000")  # a private-use code point: DejaVu Sans has no glyph for it
    assert glyph("\ue001") == notdef  # (two missing glyphs draw the same box)
    assert glyph(letter) != notdef
    base = {"å": "a", "ä": "a", "ö": "o", "Å": "A", "Ä": "A", "Ö": "O"}[letter]
    assert glyph(letter) != glyph(base)


def test_a_long_address_is_wrapped_inside_the_band() -> None:
    url = "https://www.instagram.com/p/" + "x" * 300
    band = render_band(caption_lines(taken_at=TAKEN, account_label="K", url=url, sha256=SHA), width=MIN_WIDTH)
    short = render_band(
        caption_lines(taken_at=TAKEN, account_label="K", url="u", sha256=SHA), width=MIN_WIDTH
    )
    assert band.width == MIN_WIDTH
    assert band.height > short.height  # more lines, none wider than the band


def test_without_the_font_the_stamp_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stamp_module, "FONT_PATH", "/nonexistent/DejaVuSans.ttf")
    font.cache_clear()
    try:
        with pytest.raises(StampFontMissing, match="fonts-dejavu-core"):
            stamped(noisy_png((50, 50)))
    finally:
        font.cache_clear()


@pytest.mark.django_db
def test_stamping_leaves_the_original_file_and_its_hash_unchanged(
    account: Any, cast: Cast, media_root: Path
) -> None:
    data = image_bytes("PNG", size=(300, 200))
    shot = store_screenshot(account, data=data, purpose="item", by=cast["communicator"], now=NOW)
    original = (media_root / shot.image.name).read_bytes()
    copy = (media_root / shot.stamped.name).read_bytes()
    assert hashlib.sha256(original).hexdigest() == shot.sha256
    assert hashlib.sha256(copy).hexdigest() == shot.stamped_sha256
    assert shot.stamped_sha256 != shot.sha256
    assert decoded(original).size == (300, 200)
    result = decoded(copy)
    assert result.height > 200
    assert ImageChops.difference(result.crop((0, 0, 300, 200)), decoded(original)).getbbox() is None
    assert copy == stamp(
        original,
        taken_at=NOW,
        account_label=f"{account.name} (Instagram, {account.handle})",
        url="",
        sha256=shot.sha256,
    )

"""The date stamp on a screenshot (KAU-DIARY-ACTION: a screenshot "marked with the date").

Pure: bytes in, PNG bytes out, no ORM and no clock. The stamp never touches the original: the
picture is copied unchanged into the top of a new, taller canvas and a caption band is drawn below it
with the date and time in Europe/Stockholm, the account, the address and the first 16 hex digits of
the original's SHA-256. The same inputs always give the same bytes.

The band is written in Swedish whatever language the person who caused it uses: it is part of a
record kept and registered by a Swedish authority, and it must read the same for everyone who later
asks for it (KAU-PUBLIC-RECORD). The dates use the Swedish month abbreviations of the ``when`` filter
("24 nov 2026 10:00").

The font is DejaVu Sans, which has å, ä and ö (Pillow's bundled font has none and would draw boxes).
Without it the stamp is refused loudly rather than drawn with missing letters.
"""

from __future__ import annotations

import io
import os
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# As Django's Swedish "M", lower-cased by the ``when`` filter: the same words on the page and the stamp.
MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
MIN_WIDTH = 480  # a narrow image gets white space to its right, so that the band stays readable
BACKGROUND = (255, 255, 255)
BAND = (240, 240, 240)
INK = (20, 20, 20)
RULE = (120, 120, 120)


class StampFontMissing(RuntimeError):
    """DejaVu Sans is not installed: install fonts-dejavu-core (the stamp needs å, ä and ö)."""


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    if not os.path.exists(FONT_PATH):
        raise StampFontMissing(
            f"The date stamp needs DejaVu Sans at {FONT_PATH} (å, ä and ö); install fonts-dejavu-core."
        )
    return ImageFont.truetype(FONT_PATH, size)


def stockholm_time(moment: datetime) -> str:
    """ "24 nov 2026 10:00" in Europe/Stockholm, with Swedish month abbreviations."""
    if moment.tzinfo is None:
        raise ValueError("A naive datetime cannot be stamped: the time zone would be a guess.")
    local = moment.astimezone(STOCKHOLM)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H:%M}"


def caption_lines(*, taken_at: datetime, account_label: str, url: str, sha256: str) -> list[str]:
    """What the band says, one entry a line (before wrapping)."""
    return [
        f"Datum: {stockholm_time(taken_at)} (svensk tid)",
        f"Konto: {account_label or '–'}",
        f"Adress: {url or '–'}",
        f"SHA-256: {sha256[:16]}",
    ]


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` pixels: broken at spaces, and inside a word (a long
    address) only where the word alone is wider than a line."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if face.getlength(candidate) <= width:
            current = candidate
            continue
        if face.getlength(word) <= width:
            lines.append(current)
            current = word
            continue
        # Too long for any line: fill this line, then as many as it takes, character by character.
        rest = candidate
        while face.getlength(rest) > width:
            cut = len(rest) - 1
            while cut > 1 and face.getlength(rest[:cut]) > width:
                cut -= 1
            lines.append(rest[:cut])
            rest = rest[cut:]
        current = rest
    lines.append(current)
    return lines


def render_band(lines: list[str], *, width: int) -> Image.Image:
    """The caption band alone, ``width`` pixels wide."""
    size = max(14, min(28, width // 60))
    face = font(size)
    margin = size
    line_height = round(size * 1.4)
    wrapped = [part for line in lines for part in _wrap(line, face, width - 2 * margin)]
    height = 2 * margin + line_height * len(wrapped)
    band = Image.new("RGB", (width, height), BAND)
    draw = ImageDraw.Draw(band)
    draw.line([(0, 0), (width, 0)], fill=RULE, width=2)
    for number, line in enumerate(wrapped):
        draw.text((margin, margin + number * line_height), line, font=face, fill=INK)
    return band


def stamp(image_bytes: bytes, *, taken_at: datetime, account_label: str, url: str, sha256: str) -> bytes:
    """A PNG of the image with the caption band below it; the image's own pixels are not changed.

    ``image_bytes`` is the stored original (already cleaned by core.images), ``sha256`` its hash.
    """
    with Image.open(io.BytesIO(image_bytes)) as source:
        original = source.convert("RGB")
    width = max(original.width, MIN_WIDTH)
    band = render_band(
        caption_lines(taken_at=taken_at, account_label=account_label, url=url, sha256=sha256), width=width
    )
    canvas = Image.new("RGB", (width, original.height + band.height), BACKGROUND)
    canvas.paste(original, (0, 0))
    canvas.paste(band, (0, original.height))
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()

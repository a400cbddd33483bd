"""The fonts of the PDFs Kanalvakt writes (the diary package's cover, the decision record), and which
font draws each character. Pure: no ORM, no clock.

Visitors type anything: a name with an emoji (``Lisa 🌸 Berg``), Chinese, Arabic, combining marks,
control characters. A PDF/A must embed a font for every character it shows, and a character drawn
with a glyph its font lacks (``.notdef``) fails validation; a PDF in a standard font (Helvetica)
loses everything outside Latin-1. So text is split into runs, each drawn in the first font of this
chain that has a glyph for it (each font's cmap is read once per process):

1. DejaVu Sans (``fonts-dejavu-core``): Latin, Greek, Cyrillic, Arabic, Hebrew, many symbols;
2. Symbola (``fonts-symbola``): emoji and symbols, as outlines (a colour emoji font is bitmaps,
   which ReportLab cannot embed);
3. Droid Sans Fallback (``fonts-droid-fallback``): Chinese, Japanese and Korean.

Other scripts outside DejaVu (Ethiopic, the Indic scripts, Thai, …) take the placeholder; a font
for them is one more line in ``FALLBACKS`` (and its Debian package in the Dockerfile and CI).

A fallback that is not installed is skipped (its characters then take the placeholder). A mark that
continues a character (a combining accent, a joiner, a variation selector, a skin tone) stays in
that character's font where the font has it, so a sequence is not split between fonts.

A character no font has is drawn as a visible placeholder: a C0 control character as its control
picture (NUL as ␀), anything else as U+FFFD (�). An invisible formatting character that no font
has (a direction mark, a tag) is left out, as a reader would not show it either. Only the drawing
changes: the XMP, CSV and JSON beside a PDF keep the exact text.

Right-to-left text (Arabic, Hebrew) is drawn in the order it was typed and Arabic letters in their
isolated forms: ReportLab does not reorder or shape without further libraries. The text itself,
copied from the PDF or read from the files beside it, is exact.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas


@dataclass(frozen=True)
class FontFile:
    """A TrueType font Kanalvakt embeds, by the name ReportLab knows it under."""

    name: str
    path: str


REGULAR = FontFile("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BOLD = FontFile("DejaVuSans-Bold", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
FALLBACKS = (
    FontFile("Symbola", "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"),
    # Not the package's DroidSansFallbackFull.ttf: it lacks the Korean syllables, and ReportLab takes
    # two files with one internal name for one font.
    FontFile("DroidSansFallback", "/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf"),
)
PLACEHOLDER = "\ufffd"
# Where a value breaks into lines. Other control characters are shown, not obeyed.
LINE_BREAKS = re.compile("\r\n|[\n\r\u0085\u2028\u2029]")


@dataclass(frozen=True)
class Run:
    """Consecutive characters drawn in one font."""

    font: str
    text: str


@functools.cache
def _cmap(font: FontFile, *, required: bool) -> frozenset[int] | None:
    """Register the font with ReportLab and return the code points it has a glyph for; None when an
    optional font is not installed. A missing DejaVu raises: nothing can be written without it."""
    if font.name not in pdfmetrics.getRegisteredFontNames():
        if not required and not os.path.exists(font.path):
            return None
        pdfmetrics.registerFont(TTFont(font.name, font.path))
    face = pdfmetrics.getFont(font.name).face
    return frozenset(code for code, glyph in face.charToGlyph.items() if glyph)


def chain(*, bold: bool = False) -> list[tuple[str, frozenset[int]]]:
    """(font name, code points) of the fonts to try, in order; only the installed ones."""
    fonts = [(BOLD, True)] if bold else []
    fonts += [(REGULAR, True), *((font, False) for font in FALLBACKS)]
    found = []
    for font, required in fonts:
        cmap = _cmap(font, required=required)
        if cmap is not None:
            found.append((font.name, cmap))
    return found


def installed_fallbacks() -> list[str]:
    """The names of the fallback fonts found on this machine."""
    return [font.name for font in FALLBACKS if _cmap(font, required=False) is not None]


def _continues(char: str) -> bool:
    """A character that belongs to the one before it: a mark, a joiner or a variation selector, an
    emoji modifier (skin tone)."""
    category = unicodedata.category(char)
    return category in {"Mn", "Mc", "Me", "Cf", "Sk"} or 0x1F3FB <= ord(char) <= 0x1F3FF


def _invisible(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or code in {0x034F, 0x180B, 0x180C, 0x180D, 0x180F}
    )


def _stand_in(char: str, fonts: list[tuple[str, frozenset[int]]]) -> str:
    """What is drawn for a character no font has: its control picture, nothing, or U+FFFD."""
    code = ord(char)
    picture = 0x2400 + code if code < 0x20 else 0x2421 if code == 0x7F else None
    if picture is not None and any(picture in cmap for _name, cmap in fonts):
        return chr(picture)
    if _invisible(char):
        return ""
    return PLACEHOLDER


def runs(text: str, *, bold: bool = False) -> list[Run]:
    """``text`` (one line) as runs of one font each; characters no font has become their stand-in."""
    fonts = chain(bold=bold)
    cmaps = dict(fonts)
    result: list[Run] = []
    current: str | None = None
    buffer: list[str] = []
    for char in text.replace("\t", " "):
        font = _font_for(char, fonts, cmaps, current)
        if font is None:
            char = _stand_in(char, fonts)
            if not char:
                continue
            font = _font_for(char, fonts, cmaps, current) or fonts[0][0]
        if font != current and buffer:
            result.append(Run(current or font, "".join(buffer)))
            buffer = []
        current = font
        buffer.append(char)
    if buffer and current is not None:
        result.append(Run(current, "".join(buffer)))
    return result


def _font_for(
    char: str, fonts: list[tuple[str, frozenset[int]]], cmaps: dict[str, frozenset[int]], current: str | None
) -> str | None:
    code = ord(char)
    if unicodedata.category(char) in {"Cc", "Cs"}:
        return None  # a control character is shown by its stand-in, even where a font maps it
    if current is not None and _continues(char) and code in cmaps[current]:
        return current
    for name, cmap in fonts:
        if code in cmap:
            return name
    return None


def width(line: list[Run], size: float) -> float:
    return sum(pdfmetrics.stringWidth(run.text, run.font, size) for run in line)


def wrap(text: str, max_width: float, size: float, *, bold: bool = False) -> list[list[Run]]:
    """``text`` as lines of runs no wider than ``max_width``: broken at the line breaks it holds, then
    between words, and inside a word only when the word alone is wider than a line (a long name
    without spaces). An empty paragraph is an empty line."""
    lines: list[list[Run]] = []
    for paragraph in LINE_BREAKS.split(text):
        lines.extend(_wrap_paragraph(paragraph, max_width, size, bold=bold))
    return lines


def _wrap_paragraph(text: str, max_width: float, size: float, *, bold: bool) -> list[list[Run]]:
    chars = [(char, run.font) for run in runs(text, bold=bold) for char in run.text]
    # Clusters: a character with the marks, joiners and modifiers that follow it; never split.
    clusters: list[list[tuple[str, str]]] = []
    for char, font in chars:
        if clusters and _continues(char) and clusters[-1][0][0] != " ":
            clusters[-1].append((char, font))
        else:
            clusters.append([(char, font)])
    words: list[list[list[tuple[str, str]]]] = []  # runs of clusters: a word, or the spaces between
    for cluster in clusters:
        is_space = cluster[0][0] == " "
        if words and (words[-1][0][0][0] == " ") == is_space:
            words[-1].append(cluster)
        else:
            words.append([cluster])

    def measure(pieces: list[tuple[str, str]]) -> float:
        return sum(pdfmetrics.stringWidth(char, font, size) for char, font in pieces)

    lines: list[list[tuple[str, str]]] = [[]]
    used = 0.0
    for word in words:
        flat = [piece for cluster in word for piece in cluster]
        needed = measure(flat)
        if word[0][0][0] == " ":
            if lines[-1] or len(lines) == 1:  # spaces that start a wrapped line are dropped
                lines[-1].extend(flat)
                used += needed
            continue
        if used + needed <= max_width:
            lines[-1].extend(flat)
            used += needed
            continue
        if lines[-1]:
            lines.append([])
            used = 0.0
        for cluster in word:  # wider than a line only when it does not fit an empty one
            cluster_width = measure(cluster)
            if lines[-1] and used + cluster_width > max_width:
                lines.append([])
                used = 0.0
            lines[-1].extend(cluster)
            used += cluster_width
    return [_as_runs(line) for line in lines]


def _as_runs(pieces: list[tuple[str, str]]) -> list[Run]:
    end = len(pieces)
    while end and pieces[end - 1][0] == " ":  # a line's trailing spaces take no room
        end -= 1
    return [
        Run(font, "".join(char for char, _font in group))
        for font, group in itertools.groupby(pieces[:end], key=lambda piece: piece[1])
    ]


def draw(canvas: Canvas, x: float, y: float, line: list[Run], size: float) -> None:
    """Draw one line of runs from (x, y), each in its font."""
    for run in line:
        canvas.setFont(run.font, size)
        canvas.drawString(x, y, run.text)
        x += pdfmetrics.stringWidth(run.text, run.font, size)


def markup(text: str, *, bold: bool = False) -> str:
    """``text`` as ReportLab Paragraph markup: escaped, each run in its font, line breaks as
    ``<br/>`` (the Paragraph wraps it)."""
    return "<br/>".join(
        "".join(f'<font face="{run.font}">{escape(run.text)}</font>' for run in runs(line, bold=bold))
        for line in LINE_BREAKS.split(text)
    )

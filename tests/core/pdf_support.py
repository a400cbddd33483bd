"""The text a reader shows on each page of a PDF Kanalvakt writes, read back through each font's
ToUnicode map (imported by the PDF tests of core, archive and governance).

Enough of PDF for ReportLab's output: text placed with Tm/Td/T*, shown with Tj/TJ, in embedded
TrueType subsets with a ToUnicode map or in a standard font (Latin-1). Lines are the baselines,
top to bottom; the pieces of a line are joined left to right.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pikepdf
import pytest


def _destination(hex_text: str) -> str:
    raw = bytes.fromhex(hex_text if len(hex_text) % 2 == 0 else "0" + hex_text)
    if len(hex_text) in {4, 8}:
        return raw.decode("utf-16-be", errors="surrogatepass")
    return chr(int(hex_text, 16))  # ReportLab writes a code point above U+FFFF as such


def to_unicode(font: Any) -> dict[int, str] | None:
    """A font's ToUnicode map (code → text), or None for a font without one."""
    if "/ToUnicode" not in font:
        return None
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.DOTALL):
        for source, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(source, 16)] = _destination(target)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.DOTALL):
        for low, high, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = ord(_destination(target))
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def _decode(data: bytes, mapping: dict[int, str] | None) -> str:
    if mapping is None:
        return data.decode("latin-1")
    return "".join(mapping.get(byte, "\ufffd") for byte in data)


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _times(m: Matrix, n: Matrix) -> Matrix:
    """m times n, in PDF's row-vector convention: m applied first."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _numbers(operands: Any) -> Matrix:
    a, b, c, d, e, f = (float(Decimal(str(value))) for value in operands)
    return (a, b, c, d, e, f)


def page_lines(data: bytes) -> list[list[str]]:
    """Each page as its lines of text, top to bottom (the graphics state's cm, q and Q followed)."""
    pdf = pikepdf.open(io.BytesIO(data))
    pages = []
    for page in pdf.pages:
        maps = {str(name): to_unicode(font) for name, font in page.Resources.get("/Font", {}).items()}
        pieces: list[tuple[float, float, str]] = []
        ctm, stack = IDENTITY, []
        line = IDENTITY
        leading = 0.0
        mapping: dict[int, str] | None = None

        for instruction in pikepdf.parse_content_stream(page):
            operands, op = instruction.operands, str(instruction.operator)
            if op == "q":
                stack.append(ctm)
            elif op == "Q":
                ctm = stack.pop()
            elif op == "cm":
                ctm = _times(_numbers(operands), ctm)
            elif op == "BT":
                line = IDENTITY
            elif op == "Tm":
                line = _numbers(operands)
            elif op in {"Td", "TD"}:
                tx, ty = (float(Decimal(str(value))) for value in operands)
                line = _times((1.0, 0.0, 0.0, 1.0, tx, ty), line)
                if op == "TD":
                    leading = -ty
            elif op == "TL":
                leading = float(Decimal(str(operands[0])))
            elif op == "T*":
                line = _times((1.0, 0.0, 0.0, 1.0, 0.0, -leading), line)
            elif op == "Tf":
                mapping = maps.get(str(operands[0]))
            elif op in {"Tj", "TJ"}:
                items = operands[0] if op == "TJ" else [operands[0]]
                strings = [item for item in items if isinstance(item, pikepdf.String)]
                x, y = _times(line, ctm)[4:]
                pieces.append((y, x, "".join(_decode(bytes(item), mapping) for item in strings)))
        # Pieces shown one after the other without a move share an x: keep them in the order shown.
        lines: dict[float, list[tuple[float, int, str]]] = {}
        for order, (line_y, line_x, piece) in enumerate(pieces):
            lines.setdefault(round(line_y, 1), []).append((line_x, order, piece))
        pages.append(
            [
                "".join(piece for _x, _order, piece in sorted(parts))
                for _y, parts in sorted(lines.items(), reverse=True)
            ]
        )
    return pages


def text(data: bytes) -> str:
    """Every page's lines, one per line."""
    return "\n".join(line for page in page_lines(data) for line in page)


def font_names(data: bytes) -> set[str]:
    """The base names of the fonts the PDF's pages use, without the subset prefix."""
    pdf = pikepdf.open(io.BytesIO(data))
    return {
        str(font.BaseFont).split("+", 1)[-1].lstrip("/")
        for page in pdf.pages
        for font in page.Resources.get("/Font", {}).values()
    }


def require_fallback_fonts() -> None:
    """Skip (fail under KANALVAKT_REQUIRE_SERVICES) unless Symbola and Droid Sans Fallback are
    installed, as the Dockerfile and CI install them: without them, what the PDF draws differs (every
    emoji a placeholder), though it still validates."""
    from core import pdffonts
    from tests.conftest import REQUIRE_SERVICES

    missing = {font.name for font in pdffonts.FALLBACKS} - set(pdffonts.installed_fallbacks())
    if missing:
        message = f"fonts not installed: {', '.join(sorted(missing))} (apt-get install {FONT_PACKAGES})"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)


FONT_PACKAGES = "fonts-symbola fonts-droid-fallback"

"""Every CSV file Kanalvakt writes, in one dialect and under one rule. Pure: no ORM, no clock.

The dialect is the one Swedish Excel opens on a double click: UTF-8 with a byte-order mark (so å, ä
and ö survive), cells separated by semicolons (a comma file lands in column A), every cell in
double quotes (so a semicolon or a line break typed by a visitor stays inside its cell), CRLF line
ends, and a decimal comma in the numbers Kanalvakt computes.

Quoting does not stop a spreadsheet from running ``"=1+1"`` as a formula. So a cell of text whose
first character is a tab or a carriage return, or whose first character after any leading
whitespace is ``=``, ``+``, ``-`` or ``@`` (OWASP's list of formula triggers), is written with a
single quote in front: a visitor's ``=1+1`` is written ``'=1+1`` and ``  =cmd`` is written
``'  =cmd``. Text that already begins with a quote is written as it is, so the CSV cannot tell the
two apart: wherever the exact value matters, the JSON written beside the CSV holds it
(KAU-PUBLIC-RECORD: the record is kept as the visitor wrote it; only its spreadsheet copy is
defused).

Numbers Kanalvakt computes (``int``, ``float``, ``Decimal``: counts, ids, shares) are written as
numbers, a negative one included; the same characters in a ``str`` are text and are neutralised.
Callers pass values with their type, never a number they have already turned into text. A ``date``
is written the Swedish way (``2025-03-01``, SS-ISO 8601), and an aware ``datetime`` as its
Europe/Stockholm wall-clock time to the minute (``2025-03-01 14:05``), which Excel reads as a date.

This module is the only place that calls ``csv.writer`` (a test greps for others).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

DELIMITER = ";"
BOM = "\ufeff"
LINE_END = "\r\n"
# OWASP, "CSV Injection": a cell must not begin with these, after leading whitespace...
FORMULA_TRIGGERS = frozenset("=+-@")
# ...nor with these at all (a tab or CR is where some spreadsheets start reading a formula).
LEADING_CONTROLS = frozenset("\t\r")
NEUTRALISER = "'"
STOCKHOLM = ZoneInfo("Europe/Stockholm")  # as core.calendar; this module stays free of Django


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet must show it: with a single quote in front when it would start a
    formula, otherwise unchanged."""
    if text[:1] in LEADING_CONTROLS or text.lstrip()[:1] in FORMULA_TRIGGERS:
        return NEUTRALISER + text
    return text


def _number(value: float | Decimal) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, Decimal) and not value.is_finite():
        return ""
    return str(value).replace(".", ",")  # Swedish Excel reads a decimal comma


def cell(value: object) -> str:
    """One value as its cell: empty for None, ``true``/``false`` for a boolean, a number as a
    number, a date as ``YYYY-MM-DD`` and an aware datetime in Stockholm time, a list or mapping as
    JSON text, anything else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _number(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("A naive datetime has no place in an export; pass an aware one.")
        return value.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return neutralise(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return neutralise(str(value))


class CsvWriter:
    """Writes rows to an open text stream (a file opened with ``newline=""``, or a StringIO),
    row by row, starting with the byte-order mark."""

    def __init__(self, stream: _Writable, *, bom: bool = True) -> None:
        if bom:
            stream.write(BOM)
        self._writer = csv.writer(stream, delimiter=DELIMITER, quoting=csv.QUOTE_ALL, lineterminator=LINE_END)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """The whole file as text, byte-order mark first."""
    buffer = io.StringIO(newline="")
    CsvWriter(buffer).writerows(rows)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    """The whole file as UTF-8 bytes, for a download or a file in storage."""
    return csv_text(rows).encode("utf-8")

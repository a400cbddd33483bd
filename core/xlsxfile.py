"""Every Excel workbook Kanalvakt writes, under the same rule as its CSV (core.csvfile). Pure: no ORM,
no clock.

A table export is offered as CSV and as an .xlsx workbook, which Excel opens the same way whatever
the computer's regional settings: one sheet, the first row the column headings (in the language of
the interface, as the caller translates them), frozen and with the filter buttons on, and columns
wide enough for their first rows.

Each value keeps its type. Numbers Kanalvakt computes (``int``, ``float``, ``Decimal``) are numbers;
a ``date`` is a date and an aware ``datetime`` is its Europe/Stockholm wall-clock time (Excel has no
time zones: the cell holds the local time, naive, with a date format), so a column of dates sorts
and filters as dates. A boolean is TRUE/FALSE.

Text is always a text cell (``data_type 's'``), never a formula: a visitor's ``=1+1`` is stored as the
four characters ``=1+1``, which Excel shows and never runs. So unlike the CSV no quote is put in
front, and the cell holds exactly what the visitor wrote (KAU-PUBLIC-RECORD), except the control
characters that XML 1.0 cannot carry, which are dropped, and text past Excel's limit of 32,767
characters per cell, which is cut.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

STOCKHOLM = ZoneInfo("Europe/Stockholm")  # as core.calendar; this module stays free of Django
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"  # the Swedish way of writing a date (SS-ISO 8601), as the interface does
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_CELL = 32_767  # Excel's limit of characters in one cell
SHEET_TITLE_MAX = 31  # Excel's limit of characters in a sheet's name
# The columns are sized from the heading and the first rows; the rest are read once, as written.
WIDTH_SAMPLE = 200
MIN_WIDTH, MAX_WIDTH = 8, 60
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def text(value: str) -> str:
    """``value`` as a text cell can hold it: without the control characters XML cannot carry, and no
    longer than Excel's limit."""
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", value)
    return cleaned if len(cleaned) <= MAX_CELL else cleaned[: MAX_CELL - 1] + "…"


def local(moment: datetime) -> datetime:
    """An aware instant as the Stockholm wall-clock time, naive, which is what an Excel cell holds.
    A naive datetime is refused: Kanalvakt never makes one, and guessing its zone would be wrong."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("A naive datetime has no place in an export; pass an aware one.")
    return moment.astimezone(STOCKHOLM).replace(tzinfo=None)


def _number(value: float | Decimal) -> float | Decimal | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return value


def cell(sheet: WriteOnlyWorksheet, value: object, *, bold: bool = False) -> WriteOnlyCell:
    """One value as its cell, typed: empty for None, a boolean, a number, a date or a local date and
    time with a date format, a list or mapping as JSON text, anything else as text, never a formula."""
    if value is None or isinstance(value, bool | int):
        result = WriteOnlyCell(sheet, value=value)
    elif isinstance(value, float | Decimal):
        result = WriteOnlyCell(sheet, value=_number(value))
    elif isinstance(value, datetime):
        result = WriteOnlyCell(sheet, value=local(value))
        result.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        result = WriteOnlyCell(sheet, value=value)
        result.number_format = DATE_FORMAT
    else:
        shown = (
            json.dumps(value, ensure_ascii=False, sort_keys=True)
            if isinstance(value, list | tuple | dict)
            else str(value)
        )
        result = WriteOnlyCell(sheet, value=text(shown))
        # openpyxl reads a string that starts with "=" as a formula; a text cell it stays.
        result.data_type = "s"
    if bold:
        result.font = Font(bold=True)
    return result


def _width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    longest_line = max((len(line) for line in str(value).splitlines()), default=0)
    return longest_line


def column_widths(rows: list[list[object]]) -> list[int]:
    """A width per column, from the longest value of the rows given (heading included), within bounds."""
    count = max((len(row) for row in rows), default=0)
    widths = [MIN_WIDTH] * count
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], min(MAX_WIDTH, _width(value) + 2))
    return widths


def sheet_title(title: str) -> str:
    """A name Excel accepts for a sheet: no ``[]:*?/\\`` and at most 31 characters."""
    return (title.translate(_SHEET_NAME_FORBIDDEN).strip() or "Sheet")[:SHEET_TITLE_MAX]


def xlsx_bytes(rows: Iterable[Iterable[object]], *, title: str) -> bytes:
    """A workbook of one sheet named ``title``: the first row is the heading (bold, frozen, with the
    filter on), every other row a record. Written in openpyxl's write-only mode, row by row."""
    iterator: Iterator[list[object]] = (list(row) for row in rows)
    first = list(islice(iterator, WIDTH_SAMPLE + 1))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    widths = column_widths(first)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    written = 0
    try:
        for number, row in enumerate(_chain(first, iterator)):
            sheet.append([cell(sheet, value, bold=number == 0) for value in row])
            written += 1
    except BaseException:
        sheet.close()  # the sheet's stream is open once a row is written; end it before giving up
        raise
    if written and widths:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(widths))}{written}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _chain(first: list[list[object]], rest: Iterator[list[object]]) -> Iterator[list[object]]:
    yield from first
    yield from rest

"""core.xlsxfile: the Excel workbook every table export offers beside its CSV. Pure: no database.

The workbook is read back with openpyxl, as Excel would read it: the types of the cells, the
Stockholm wall-clock time of an instant, a visitor's formula kept as text (KAU-PUBLIC-RECORD: the
record as the visitor wrote it, and nothing a spreadsheet runs), the heading frozen and filtered.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from core import xlsxfile

HEADING: list[object] = ["namn", "mottagen", "dag", "andel (%)", "antal", "klar"]


def workbook(rows: list[list[object]], title: str = "Svarstider") -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(xlsxfile.xlsx_bytes(rows, title=title)))


def test_values_keep_their_types() -> None:
    sheet = workbook(
        [HEADING, ["Konto", datetime(2026, 1, 15, 12, 5, tzinfo=UTC), date(2026, 3, 1), 12.5, 7, True]]
    ).active
    name, received, day, share, count, done = (cell for cell in sheet[2])
    assert (name.value, name.data_type) == ("Konto", "s")
    assert received.is_date
    assert received.number_format == xlsxfile.DATETIME_FORMAT
    assert day.is_date
    assert day.number_format == xlsxfile.DATE_FORMAT
    assert day.value == datetime(2026, 3, 1)
    assert (share.value, share.data_type) == (12.5, "n")
    assert (count.value, count.data_type) == (7, "n")
    assert done.value is True


@pytest.mark.parametrize(
    ("instant", "wall_clock"),
    [
        (datetime(2026, 1, 15, 12, 5, tzinfo=UTC), datetime(2026, 1, 15, 13, 5)),  # winter: UTC+1
        (
            datetime(2026, 7, 1, 22, 30, tzinfo=UTC),
            datetime(2026, 7, 2, 0, 30),
        ),  # summer: UTC+2, the next day
    ],
)
def test_an_instant_is_written_as_stockholm_wall_clock_time(instant: datetime, wall_clock: datetime) -> None:
    cell = workbook([["när"], [instant]]).active["A2"]
    assert cell.value == wall_clock
    assert cell.value.tzinfo is None


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        xlsxfile.xlsx_bytes([["när"], [datetime(2026, 1, 15, 12, 5)]], title="x")


@pytest.mark.parametrize(
    "hostile", ["=1+1", '=HYPERLINK("http://example.com")', "+1", "-2+3", "@SUM(1)", "\t=1"]
)
def test_a_visitors_formula_is_stored_as_text_exactly_as_written(hostile: str) -> None:
    """KAU-PUBLIC-RECORD: the cell holds what the visitor wrote, as text, never as a formula."""
    data = xlsxfile.xlsx_bytes([["text"], [hostile]], title="x")
    cell = openpyxl.load_workbook(io.BytesIO(data)).active["A2"]
    assert cell.data_type == "s"
    assert cell.value == hostile
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml


def test_numbers_that_are_text_stay_text() -> None:
    cell = workbook([["id"], ["0701234567"]]).active["A2"]
    assert (cell.value, cell.data_type) == ("0701234567", "s")


def test_empty_and_not_finite_numbers_are_empty_cells() -> None:
    sheet = workbook([["a", "b", "c"], [None, float("nan"), Decimal("Infinity")]]).active
    assert [cell.value for cell in sheet[2]] == [None, None, None]


def test_control_characters_are_dropped_and_long_text_is_cut() -> None:
    sheet = workbook([["a", "b"], ["ett\x07två", "x" * 40_000]]).active
    assert sheet["A2"].value == "etttvå"
    assert len(sheet["B2"].value) == xlsxfile.MAX_CELL


def test_lists_are_json_text() -> None:
    assert (
        workbook([["regler"], [["KAU-THREAT", "KAU-DREV"]]]).active["A2"].value
        == '["KAU-THREAT", "KAU-DREV"]'
    )


def test_the_heading_is_bold_frozen_and_filtered() -> None:
    sheet = workbook([HEADING, ["a", None, None, 1, 2, False], ["b", None, None, 3, 4, True]]).active
    assert [cell.value for cell in sheet[1]] == HEADING
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F3"


def test_columns_are_as_wide_as_their_values_within_bounds() -> None:
    sheet = workbook([["id", "text", "när"], [1, "x" * 500, datetime(2026, 1, 1, tzinfo=UTC)]]).active
    widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
    assert widths[0] == xlsxfile.MIN_WIDTH
    assert widths[1] == xlsxfile.MAX_WIDTH
    assert xlsxfile.MIN_WIDTH < widths[2] < xlsxfile.MAX_WIDTH


def test_the_sheet_is_named_within_excels_rules() -> None:
    title = workbook([["a"]], title="Sök: [inlägg]/loggen och mer än trettioett tecken").active.title
    assert title.startswith("Sök   inlägg  loggen")
    assert len(title) == xlsxfile.SHEET_TITLE_MAX
    assert not set(title) & set("[]:*?/\\")
    assert xlsxfile.sheet_title("") == "Sheet"


def test_a_heading_alone_is_a_workbook() -> None:
    sheet = workbook([HEADING]).active
    assert sheet.max_row == 1

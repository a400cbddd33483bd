"""The response-time report (KAU-RESPONSE-DEADLINE) and its export as CSV or Excel.

For the social media lead (every account) and the heads of unit (their units and those below,
KAU-RESP-MANAGER); anyone else is refused with 403. The figures come from moderation.reports.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.calendar import STOCKHOLM
from core.downloads import Format, table_response
from core.http import signed_in
from moderation.report_forms import ReportFilterForm
from moderation.reports import GROUP_ACCOUNT, ResponseReport, may_read_report, report_units, response_report

TEMPLATE = "moderation/report.html"


def _report(request: HttpRequest) -> tuple[ReportFilterForm, ResponseReport | None]:
    user = signed_in(request)
    if not may_read_report(user):
        raise PermissionDenied
    now = timezone.now()
    form = ReportFilterForm(
        request.GET, units=report_units(user), today=timezone.localtime(now, STOCKHOLM).date()
    )
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    report = response_report(
        user, start=data["start"], end=data["end"], unit=data["unit"], group=data["group"], now=now
    )
    return form, report


@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """Median working hours to an answer and the shares dealt with by the due time and by the outer
    limit, per account or per unit, with a chart; bad filters answer 400 with the field named."""
    form, result = _report(request)
    status = 200 if result is not None else 400
    return render(
        request,
        TEMPLATE,
        {"form": form, "report": result, "query": request.GET.urlencode()},
        status=status,
    )


def _number(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def csv_rows(result: ResponseReport) -> Iterable[list[object]]:
    """The report's rows for CSV and Excel: the figures as numbers, the names as text, which
    core.csvfile neutralises where a spreadsheet would read a formula and core.xlsxfile writes as text."""
    yield [
        _("account") if result.group == GROUP_ACCOUNT else _("unit"),
        _("details"),
        _("received"),
        _("answered"),
        _("closed without answer"),
        _("removed"),
        _("still open"),
        _("median working hours to an answer"),
        _("dealt with by the due time"),
        _("counted against the due time"),
        _("share by the due time (%)"),
        _("dealt with by the outer limit"),
        _("counted against the outer limit"),
        _("share by the outer limit (%)"),
    ]
    for row in result.rows_with_total:
        yield [
            row.label,
            row.detail,
            row.received,
            row.answered,
            row.closed,
            row.removed,
            row.open,
            _number(row.median_hours),
            row.due_met,
            row.due_counted,
            _number(row.due_percent),
            row.limit_met,
            row.limit_counted,
            _number(row.limit_percent),
        ]


@require_GET
def report_export(request: HttpRequest, fmt: Format = "csv") -> HttpResponse:
    """The same rows as CSV, in the dialect every CSV of Kanalvakt uses (core.csvfile: what Swedish
    Excel opens), or as an Excel workbook (core.xlsxfile), with the period in the file name. One row
    per account or unit: bounded by nature."""
    form, result = _report(request)
    if result is None:
        return render(request, TEMPLATE, {"form": form, "report": None, "query": ""}, status=400)
    return table_response(
        csv_rows(result),
        fmt=fmt,
        filename=f"svarstider-{result.start.isoformat()}-{result.end.isoformat()}",
        title=_("Response times"),
    )

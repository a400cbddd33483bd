"""The response-time report's filters (GET): the period, the unit and the grouping."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.forms import DayField, PeriodForm, unit_filter_field
from core.models import OrgUnit
from moderation.reports import GROUP_ACCOUNT, GROUP_UNIT, default_period

# A longer period would still be right, only slower: each answer's working hours are counted in Python.
MAX_DAYS = 3 * 366


class ReportFilterForm(PeriodForm):
    """Filters of the report. Empty dates fall back to the last 90 days; the units offered are those
    the person may report on (moderation.reports.report_units). Each day is held to core.bounds, from
    1990 up to a year after ``today`` (PeriodForm)."""

    start = DayField(label=_("From"), required=False, help_text=_("The first day items were received."))
    end = DayField(label=_("To"), required=False, help_text=_("The last day, included."))
    unit = unit_filter_field(queryset=OrgUnit.objects.none(), empty_label=_("All the units you can see"))
    group = forms.ChoiceField(
        label=_("One row per"),
        required=False,
        choices=[(GROUP_ACCOUNT, _("Account")), (GROUP_UNIT, _("Unit"))],
        widget=forms.RadioSelect,
    )

    def __init__(self, data: Any, *, units: QuerySet[OrgUnit], today: date) -> None:
        self.today = today
        start, end = default_period(today)
        # A GET without filters shows the defaults, in the fields as well as in the figures.
        data = data.copy()
        if not data.get("start") and not data.get("end"):
            data["start"], data["end"] = start.isoformat(), end.isoformat()
        if not data.get("group"):
            data["group"] = GROUP_ACCOUNT
        super().__init__(data)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def period_today(self) -> date:
        return self.today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default_start, default_end = default_period(self.today)
        end = data.get("end") or default_end
        start = data.get("start") or (
            end - (default_end - default_start) if data.get("end") else default_start
        )
        if "start" in self.errors or "end" in self.errors:
            return data
        if start > end:
            self.add_error("end", _("The last day cannot come before the first."))
        elif end - start > timedelta(days=MAX_DAYS):
            self.add_error("start", _("Choose a period of at most three years."))
        data.update(start=start, end=end, group=data.get("group") or GROUP_ACCOUNT)
        return data

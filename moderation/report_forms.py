"""The response-time report's filters (GET): the period, the unit and the grouping."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.forms import UnitChoiceField
from core.models import OrgUnit
from moderation.reports import GROUP_ACCOUNT, GROUP_UNIT, default_period

# A longer period would still be right, only slower: each answer's working hours are counted in Python.
MAX_DAYS = 3 * 366


class ReportFilterForm(forms.Form):
    """Filters of the report. Empty dates fall back to the last 90 days; the units offered are those
    the person may report on (moderation.reports.report_units)."""

    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The first day items were received."),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day, included."),
    )
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All the units you can see"),
        help_text=_("Includes the units below it."),
    )
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

    def clean_start(self) -> date | None:
        return self._within_bounds("start")

    def clean_end(self) -> date | None:
        return self._within_bounds("end")

    def _within_bounds(self, name: str) -> date | None:
        value: date | None = self.cleaned_data.get(name)
        if value is not None:  # from 1990 up to a year ahead (core.bounds)
            bounds.check_period_day(value, today=self.today)
        return value

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

"""Forms for owner and deputies, the account's name and address, and absences.

Forms check the format of what is typed; accounts.coverage enforces the rules and saves.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Absence
from core import bounds
from core.forms import PeopleChoiceField, PeoplePicker, PersonChoiceField
from core.models import User


def active_people() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


class PeopleForm(forms.Form):
    """The account owner and the deputies (KAU-RESP-OWNER)."""

    owner = PersonChoiceField(
        label=_("Account owner"),
        queryset=User.objects.none(),
        help_text=_(
            "Watches the account every day and answers for its content (KAU-RESP-OWNER). A new owner "
            "is a major change: a new start-page screenshot is needed (KAU-STARTPAGE)."
        ),
    )
    deputies = PeopleChoiceField(
        label=_("Deputies"),
        queryset=User.objects.none(),
        widget=PeoplePicker,
        help_text=_(
            "At least one, not the owner: they cover absences, holidays included (KAU-RESP-DAILY). "
            "Tick each deputy; the search box finds people by name or e-mail."
        ),
        error_messages={"required": _("An account needs at least one deputy.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = active_people()
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]
        self.fields["deputies"].queryset = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        owner, deputies = data.get("owner"), data.get("deputies")
        if owner is not None and deputies and owner in deputies:
            self.add_error("deputies", _("The account owner cannot also be a deputy."))
        return data


class DetailsForm(forms.Form):
    """The account's name, handle and address, and whether its start page is captured automatically.
    A new name or handle is a major change (KAU-STARTPAGE)."""

    name = forms.CharField(
        label=_("Account name"),
        max_length=200,
        help_text=_("Makes clear which part of the university is speaking (KAU-SENDER)."),
    )
    handle = forms.CharField(
        label=_("Handle"),
        max_length=200,
        required=False,
        help_text=_("The account's name on the platform, such as name_kau."),
    )
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("The link to the account's start page."),
    )
    capture_start_page = forms.BooleanField(
        label=_("Capture the start page automatically"),
        required=False,
        help_text=_(
            "Kanalvakt captures the start page at the address above when a new screenshot is due. Only "
            "where the platform shows the page without signing in; otherwise the owner is reminded to "
            "upload one (KAU-STARTPAGE)."
        ),
    )
    subsidiary = forms.BooleanField(
        label=_("Subsidiary's account"),
        required=False,
        help_text=_(
            "A subsidiary's account: outside the policy's rule on paid advertising (KAU-ADS). Its "
            "campaigns need no approval by the communications department."
        ),
    )

    def __init__(self, *args: Any, may_mark_subsidiary: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # KAU-ADS: only the social media lead, who keeps the registry whole, says whose account it is.
        if not may_mark_subsidiary:
            del self.fields["subsidiary"]


class AbsenceForm(forms.Form):
    """A period away, both days included (KAU-RESP-DAILY)."""

    person = PersonChoiceField(
        label=_("Person"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Whose absence this is. Leave it as yourself to record your own."),
    )
    starts_on = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("The first day you are away."),
    )
    ends_on = forms.DateField(
        label=_("To and including"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("The last day you are away."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Absence.Kind.choices, initial=Absence.Kind.VACATION)
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Optional, for example who covers for you."),
    )

    def __init__(self, *args: Any, choose_person: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if choose_person:
            self.fields["person"].queryset = active_people()  # type: ignore[attr-defined]
        else:
            del self.fields["person"]

    def clean_starts_on(self) -> date:
        return self._within_bounds("starts_on")

    def clean_ends_on(self) -> date:
        return self._within_bounds("ends_on")

    def _within_bounds(self, name: str) -> date:
        value: date = self.cleaned_data[name]
        # KAU-RESP-DAILY: from two years back up to three years ahead (core.bounds), so that the days
        # checked for cover stay a few hundred, not millions.
        bounds.check_absence_day(value, today=timezone.localdate())
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("starts_on"), data.get("ends_on")
        if first is not None and last is not None and last < first:
            self.add_error("ends_on", _("The last day cannot come before the first day."))
        elif first is not None and last is not None:
            try:
                bounds.check_absence_length(first, last)
            except ValidationError as exc:
                self.add_error("ends_on", exc)
        return data

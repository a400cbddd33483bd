"""Forms for ambassadors and bloggers on assignment (KAU-PRIVATE, KTH-BLOG).

Forms check the format of what is typed; accounts.ambassadors enforces the rules and saves.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.ambassador_models import Ambassador
from accounts.models import Account
from core.forms import DayField, DirectSelect, UnitChoiceField, unit_filter_field
from core.models import OrgUnit


class AccountChoiceField(forms.ModelChoiceField):
    widget = DirectSelect

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.platform_label}, {obj.unit.display_name})"


class AmbassadorForm(forms.Form):
    """A proposal: who, which kind, for which unit and account, the period and what they do."""

    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"), required=False, help_text=_("Optional."))
    employed = forms.BooleanField(
        label=_("Employed by the university"),
        required=False,
        help_text=_("Leave unticked for a student or anyone else who is not employed."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Ambassador.Kind.choices)
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        help_text=_("The unit they speak for. Its head approves; you cannot choose the approver."),
    )
    account = AccountChoiceField(
        label=_("Account"),
        queryset=Account.objects.none(),
        required=False,
        empty_label=_("No account (a blogger on the unit's blog)"),
        help_text=_("The unit's account they speak on. Only a blogger may be without one."),
    )
    starts_on = DayField(label=_("From"))
    ends_on = DayField(label=_("To and including"))
    duties = forms.CharField(
        label=_("What they do"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("For example: posts about student life on Instagram once a week."),
    )
    assignment = forms.CharField(
        label=_("Direct assignment from the unit"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
        help_text=_(
            "Required for a person who is not employed: what the unit assigns them, and how it makes "
            "sure the rules are followed (KTH-BLOG)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrgUnit.objects.filter(is_active=True).order_by("path")  # type: ignore[attr-defined]
        self.fields["account"].queryset = (  # type: ignore[attr-defined]
            Account.objects.exclude(status=Account.Status.CLOSED)
            .select_related("unit")
            .order_by("unit__path", "name", "pk")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("starts_on"), data.get("ends_on")
        if first is not None and last is not None and last < first:
            self.add_error("ends_on", _("The last day cannot come before the first day."))
        if not data.get("employed") and not (data.get("assignment") or "").strip():
            self.add_error(
                "assignment",
                _(
                    "A person who is not employed speaks for the unit only on a direct assignment from "
                    "it: write the assignment (KTH-BLOG)."
                ),
            )
        return data


class DecisionForm(forms.Form):
    """The head's decision: approve, or refuse with a reason."""

    action = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=_("Required when you refuse."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for refusing."))
        return data


class EndForm(forms.Form):
    """Ending an approved assignment before its last day."""

    reason = forms.CharField(
        label=_("Reason for ending early"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


STATE_CHOICES = [
    ("", _("All")),
    ("current", _("Current")),
    ("proposed", _("Proposed, awaiting approval")),
    ("ended", _("Ended")),
]


class AmbassadorFilterForm(forms.Form):
    """The list's filters (GET); a value that is not valid is ignored."""

    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)
    unit = unit_filter_field(queryset=OrgUnit.objects.order_by("path"), empty_label=_("All units"))

    def values(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"state": data.get("state") or "", "unit": data.get("unit")}

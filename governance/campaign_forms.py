"""Forms of the campaign register (KAU-ADS). Forms validate input; governance.campaigns saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core.forms import PersonChoiceField, UnitChoiceField
from core.models import OrgUnit, User
from governance.campaign_models import Campaign

DATE_WIDGET = {"format": "%Y-%m-%d", "attrs": {"type": "date"}}


class CampaignForm(forms.ModelForm):
    """A paid campaign: the account, what is marketed, the period, the budget and who runs it."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    run_by = PersonChoiceField(
        label=_("Run by (person)"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("The person at the university who runs the campaign, if any."),
    )

    class Meta:
        model = Campaign
        fields = [
            "account",
            "kind",
            "subject",
            "starts_on",
            "ends_on",
            "budget",
            "run_by",
            "agency",
            "description",
        ]
        widgets = {
            "starts_on": forms.DateInput(**DATE_WIDGET),  # type: ignore[arg-type]
            "ends_on": forms.DateInput(**DATE_WIDGET),  # type: ignore[arg-type]
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "subject": _("The course, programme or service the campaign markets."),
            "budget": _("In Swedish kronor, 0 or more."),
            "agency": _("The agency that runs the campaign, if any."),
            "ends_on": _("The last day of the campaign; not before the first."),
        }

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("starts_on"), data.get("ends_on")
        if first is not None and last is not None and last < first:
            self.add_error("ends_on", _("The campaign cannot end before it starts."))
        if not data.get("run_by") and not (data.get("agency") or "").strip():
            self.add_error("run_by", _("Name who runs the campaign: a person, an agency or both."))
        return data

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def _post_clean(self) -> None:
        # The model is validated by the service, with the person who saves it.
        pass


class DecisionForm(forms.Form):
    """Approve or refuse a campaign awaiting approval (KAU-ADS)."""

    action = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you refuse: the person who filed the campaign reads it."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for refusing the campaign."))
        return data


PHASE_CHOICES = [
    ("", _("All campaigns")),
    ("awaiting", _("Awaiting approval")),
    ("unapproved", _("Started without approval")),
    ("running", _("Running")),
    ("upcoming", _("Upcoming")),
    ("ended", _("Ended")),
]


class CampaignFilterForm(forms.Form):
    """The list's filters (GET). A value that is not valid is ignored."""

    phase = forms.ChoiceField(label=_("Show"), required=False, choices=PHASE_CHOICES)
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.order_by("path"),
        required=False,
        empty_label=_("All units"),
        help_text=_("Includes the units below it."),
    )
    account = forms.ModelChoiceField(
        label=_("Account"), queryset=Account.objects.none(), required=False, empty_label=_("All accounts")
    )

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"phase": data.get("phase") or "", "unit": data.get("unit"), "account": data.get("account")}

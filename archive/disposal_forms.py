"""Forms of the retention schedule, disposal lists and legal holds. They validate; the services save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from archive.models import LegalHold
from moderation.models import Item


class RuleForm(forms.Form):
    """A rule's period (empty: kept for ever) and legal basis."""

    period = forms.IntegerField(
        label=_("Retention period"),
        min_value=1,
        max_value=1200,
        required=False,
        help_text=_("Leave empty to keep for ever (bevaras)."),
    )
    unit = forms.ChoiceField(label=_("Counted in"), choices=[("years", _("years")), ("months", _("months"))])
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=300,
        required=False,
        help_text=_(
            "The regulation or disposal decision, e.g. RA-FS 2021:6 or the university's decision dnr."
        ),
    )
    reason = forms.CharField(label=_("Why the change"), max_length=100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") and not (data.get("legal_basis") or "").strip():
            self.add_error(
                "legal_basis", _("Name the regulation or disposal decision that allows the disposal.")
            )
        return data

    def period_months(self) -> int | None:
        period = self.cleaned_data.get("period")
        if period is None:
            return None
        return int(period) * (12 if self.cleaned_data["unit"] == "years" else 1)


class ApproveForm(forms.Form):
    decision_reference = forms.CharField(
        label=_("Disposal decision (dnr)"), max_length=100, help_text=_("The reference of the decision.")
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label=_("I confirm that the records still on the list are to be destroyed. This cannot be undone."),
        required=True,
    )


class RejectForm(forms.Form):
    note = forms.CharField(label=_("Why the list is rejected"), widget=forms.Textarea(attrs={"rows": 2}))


class HoldForm(forms.Form):
    """What a hold covers: an account, an item, or a period (of one account, or of all)."""

    account = forms.ModelChoiceField(
        label=_("Account"), queryset=Account.objects.order_by("name"), required=False
    )
    item = forms.IntegerField(
        label=_("Item number"), min_value=1, required=False, help_text=_("The number in the item's address.")
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label=_("Reason"), choices=LegalHold.Reason.choices)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The request for public records or the investigation, with its reference."),
    )

    def clean_item(self) -> int | None:
        item = self.cleaned_data.get("item")
        if item is not None and not Item.objects.filter(pk=item).exists():
            raise forms.ValidationError(_("There is no item with that number."))
        return item


class LiftForm(forms.Form):
    reason = forms.CharField(label=_("Why the hold is lifted"), widget=forms.Textarea(attrs={"rows": 2}))

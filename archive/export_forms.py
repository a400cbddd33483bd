"""Forms of the archive's search and exports (KAU-PUBLIC-RECORD). Forms validate; archive.search
reads and archive.exports writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from archive.models import ExportJob
from archive.search import KIND_LABELS, KINDS, REGISTRATION_FILTERS, RULES, Criteria
from core.forms import DayField, DirectSelect, PeriodForm, unit_filter_field
from core.models import OrgUnit


class AccountChoiceField(forms.ModelChoiceField):
    widget = DirectSelect

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.handle})" if obj.handle else str(obj.name)


class SearchForm(PeriodForm):
    """The search for a request for public records: every filter is optional, but one is needed.

    An export "of accounts and a period" is this form with only the account or unit and the period
    filled in.
    """

    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=200,
        help_text=_(
            "Words in a post, an answer, a log note, a request's name, handle, purpose or reason, "
            "a link or a platform id."
        ),
    )
    account = AccountChoiceField(
        label=_("Account"),
        queryset=Account.objects.order_by("name", "pk"),
        required=False,
        empty_label=_("All accounts"),
    )
    unit = unit_filter_field(queryset=OrgUnit.objects.order_by("path"), empty_label=_("All units"))
    author = forms.CharField(
        label=_("Author"),
        required=False,
        max_length=200,
        help_text=_("The visitor who wrote the item (their handle), or who filed a request."),
    )
    # KAU-PUBLIC-RECORD: a period from 1990 up to a year ahead (core.bounds, through PeriodForm).
    start = DayField(label=_("From"), required=False, help_text=_("The first day, included."))
    end = DayField(label=_("To"), required=False, help_text=_("The last day, included."))
    rule = forms.ChoiceField(
        label=_("Policy rule"),
        required=False,
        choices=[("", _("Any rule")), *[(rule, format_lazy("{}: {}", rule, label)) for rule, label in RULES]],
    )
    registration = forms.ChoiceField(
        label=_("Registration"),
        required=False,
        choices=[("", _("Any decision")), *REGISTRATION_FILTERS],
        help_text=_("Registered, awaiting registration, needing none (KAU-DIARY-NONE) or undecided."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Search among"),
        required=False,
        choices=[(kind, KIND_LABELS[kind]) for kind in KINDS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to search everything."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            criteria = self._criteria(data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, errors)
            return data
        if criteria.is_empty:
            raise ValidationError(
                _("Fill in at least one of text, account, unit, author, period, rule or registration."),
                code="empty",
            )
        data["criteria"] = criteria
        return data

    @staticmethod
    def _criteria(data: dict[str, Any]) -> Criteria:
        return Criteria(
            text=(data.get("text") or "").strip(),
            account=data.get("account"),
            unit=data.get("unit"),
            author=(data.get("author") or "").strip(),
            start=data.get("start"),
            end=data.get("end"),
            rule=data.get("rule") or "",
            kinds=tuple(data.get("kinds") or KINDS),
            registration=data.get("registration") or "",
        )

    def criteria(self) -> Criteria:
        """The valid criteria; call after is_valid()."""
        criteria: Criteria = self.cleaned_data["criteria"]
        return criteria


class ExportForm(SearchForm):
    """The same criteria, posted from the search page, with a note of what the export is for and the
    package format: a BagIt bag (the default) or an FGS 2.0 / E-ARK SIP for a delivery to an archive."""

    description = forms.CharField(
        label=_("What the export is for"),
        required=False,
        max_length=300,
        help_text=_("For example the request's reference or the requester. Shown in the list of exports."),
    )
    # Not required: a post without it (an older page, a script) gets the BagIt bag, as before.
    package_format = forms.ChoiceField(
        label=_("Package format"),
        required=False,
        choices=ExportJob.PackageFormat.choices,
        initial=ExportJob.PackageFormat.BAGIT,
        widget=forms.RadioSelect,
        help_text=_(
            "A BagIt bag answers a request for public records. An FGS 2.0 / E-ARK SIP is a delivery "
            "package for an archive, following Riksarkivet's FGS Paketstruktur 2.0."
        ),
    )

    def clean_package_format(self) -> str:
        return str(self.cleaned_data.get("package_format") or ExportJob.PackageFormat.BAGIT)

"""Forms of the consent register (KAU-CONSENT, KAU-CREDIT). They validate the fields; the services in
moderation.consents decide and save."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core import bounds
from core.calendar import local_today
from core.models import OrgUnit
from moderation.consent_files import ACCEPT
from moderation.consents import NOTE_MAX, accounts_for, sees_everything
from moderation.models import AffectedPost, Consent

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
VALID_YEARS_AHEAD = 50


def _today() -> date:
    return local_today(timezone.now())


def _past_day(value: date | None) -> date | None:
    """A day something happened (given, filmed): from 1990 up to today (core.bounds)."""
    if value is not None:
        bounds.check_past_day(value, today=_today(), field=None)
    return value


def _last_day(value: date | None) -> date | None:
    """A consent's last day: not before 1990, and within fifty years."""
    if value is not None and not bounds.EARLIEST_DAY <= value <= date(
        _today().year + VALID_YEARS_AHEAD, 12, 31
    ):
        raise forms.ValidationError(_("Give a day within fifty years from today."))
    return value


def _file_field(*, label: Any, required: bool) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        help_text=_("A PDF, or a PNG, JPEG or WebP image of it, at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class _Where(forms.Form):
    """The accounts and the unit a record is for, among those the person may record for."""

    accounts = forms.ModelMultipleChoiceField(
        label=_("Accounts"),
        queryset=Account.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The accounts that may publish the material."),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Or the unit: every account of the unit may publish it."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accounts = accounts_for(user).order_by("name", "pk")
        self.fields["accounts"].queryset = accounts  # type: ignore[attr-defined]
        units = OrgUnit.objects.filter(is_active=True)
        if not sees_everything(user):
            units = units.filter(Q(pk__in=accounts.values("unit_id")))
        self.fields["unit"].queryset = units.order_by("name")  # type: ignore[attr-defined]


class ConsentForm(_Where):
    """A consent to publication in social media (KAU-CONSENT)."""

    person_name = forms.CharField(label=_("Name of the person"), max_length=200)
    material = forms.CharField(
        label=_("Material"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Which photos or film the consent covers."),
    )
    social_media = forms.BooleanField(
        label=_("The consent covers publication in social media"),
        required=True,
        error_messages={"required": _("The consent must cover publication in social media.")},
    )
    form = forms.ChoiceField(label=_("Given"), choices=Consent.Form.choices, widget=forms.RadioSelect)
    file = _file_field(label=_("Signed form or digital confirmation"), required=True)
    given_on = forms.DateField(label=_("Given on"), widget=DATE)
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=DATE, help_text=_("Leave empty if it has no end.")
    )

    field_order = ["person_name", "material", "social_media", "form", "file", "given_on", "valid_until"]

    def clean_given_on(self) -> date | None:
        return _past_day(self.cleaned_data.get("given_on"))

    def clean_valid_until(self) -> date | None:
        return _last_day(self.cleaned_data.get("valid_until"))


class ConsentEditForm(_Where):
    """The particulars of a consent that may be corrected; the file and how it was given stay."""

    person_name = forms.CharField(label=_("Name of the person"), max_length=200)
    material = forms.CharField(label=_("Material"), widget=forms.Textarea(attrs={"rows": 3}))
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE)

    field_order = ["person_name", "material", "valid_until"]

    def clean_valid_until(self) -> date | None:
        return _last_day(self.cleaned_data.get("valid_until"))


class WithdrawForm(forms.Form):
    """How and when the consent was withdrawn (KAU-CONSENT)."""

    note = forms.CharField(
        label=_("How it was withdrawn"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: by e-mail to the communicator on 3 December."),
    )


class CrowdForm(_Where):
    """A crowd situation (KAU-CONSENT)."""

    place = forms.CharField(label=_("Where"), max_length=200)
    occurred_on = forms.DateField(label=_("When"), widget=DATE)
    how_informed = forms.CharField(
        label=_("How people were informed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Signs at the entrance, an announcement, and how they could object."),
    )
    objections = forms.CharField(
        label=_("Objections"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    field_order = ["place", "occurred_on", "how_informed", "objections"]

    def clean_occurred_on(self) -> date | None:
        return _past_day(self.cleaned_data.get("occurred_on"))


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Objection"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who objected and what was done about it."),
    )


class CreditForm(_Where):
    """A photographer's credit and agreement (KAU-CREDIT)."""

    photographer = forms.CharField(label=_("Photographer"), max_length=200)
    credit_line = forms.CharField(
        label=_("Credit line"), max_length=200, required=False, help_text=_("Shown next to the image.")
    )
    no_credit_agreement = forms.CharField(
        label=_("Agreement instead of credit"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when it is agreed that the photographer is not named."),
    )
    agreed_social_media = forms.BooleanField(
        label=_("The photographer agreed to publication in social media"),
        required=True,
        error_messages={"required": _("The photographer must have agreed to publication in social media.")},
    )
    file = _file_field(label=_("The agreement as a file"), required=False)
    agreement_note = forms.CharField(
        label=_("The agreement"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when no file is kept."),
    )

    field_order = [
        "photographer",
        "credit_line",
        "no_credit_agreement",
        "agreed_social_media",
        "file",
        "agreement_note",
    ]


class PlannedPostForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    planned_for = forms.DateField(label=_("Planned for"), widget=DATE)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    has_image = forms.BooleanField(label=_("It has a photo or film"), required=False, initial=True)

    def clean_planned_for(self) -> date | None:
        value = self.cleaned_data.get("planned_for")
        if value is not None:
            bounds.check_period_day(value, today=_today())
        return value

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts_for(user).order_by("name", "pk")  # type: ignore[attr-defined]


class LinkForm(forms.Form):
    """Link a post to a record of the register: one of them, by number, among those one may see."""

    record = forms.ChoiceField(label=_("Record to link"))

    def __init__(self, *args: Any, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record"].choices = choices  # type: ignore[attr-defined]


class PublishedForm(forms.Form):
    publication = forms.ChoiceField(label=_("Published as"))

    def __init__(self, *args: Any, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["publication"].choices = choices  # type: ignore[attr-defined]


class HandledForm(forms.Form):
    """What was done with a post after its consent was withdrawn (KAU-CONSENT)."""

    outcome = forms.ChoiceField(
        label=_("What was done"), choices=AffectedPost.Outcome.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the post is kept."),
    )


class RegisterFilterForm(forms.Form):
    """The register's filter and search (GET); a value that is not valid is ignored."""

    STATES = [
        ("", _("All")),
        ("valid", _("Valid")),
        ("expiring", _("Expiring within 30 days")),
        ("withdrawn", _("Withdrawn")),
    ]
    state = forms.ChoiceField(label=_("Show"), choices=STATES, required=False)
    q = forms.CharField(label=_("Search by name"), required=False, max_length=200)

"""Forms of the account registry. Forms validate input; accounts.services saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.flags import all_flags
from accounts.models import Account, Platform
from core.forms import PeopleChoiceField, PeoplePicker, PersonChoiceField, UnitChoiceField
from core.models import OrgUnit, User
from core.outbound import validate_public_url

SORT_CHOICES = [
    ("name", _("Name, A–Ö")),
    ("-name", _("Name, Ö–A")),
    ("unit", _("Unit, A–Ö")),
    ("-unit", _("Unit, Ö–A")),
    ("platform", _("Platform")),
    ("-platform", _("Platform, reversed")),
    ("status", _("Status")),
    ("-status", _("Status, reversed")),
    ("-registered", _("Registered, newest first")),
    ("registered", _("Registered, oldest first")),
    ("followup", _("Follow-up due, earliest first")),
    ("-followup", _("Follow-up due, latest first")),
]


class RegistryFilterForm(forms.Form):
    """The registry's filters, search and order (GET). A value that is not valid is ignored."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Name, handle, or the name of the owner or a deputy."),
    )
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.order_by("path"),
        required=False,
        empty_label=_("All units"),
        help_text=_("Includes the units below it."),
    )
    platform = forms.ChoiceField(
        label=_("Platform"), required=False, choices=[("", _("All platforms")), *Platform.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Account.Status.choices]
    )
    flag = forms.ChoiceField(label=_("Compliance flag"), required=False)
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The flags are registered by the apps when they are ready, so they are read per form.
        self.fields["flag"].choices = [  # type: ignore[attr-defined]
            ("", _("With or without flags")),
            ("any", _("Any flag")),
            *[(flag.key, format_lazy("{}: {}", flag.rule, flag.label)) for flag in all_flags()],
        ]

    def values(self) -> dict[str, Any]:
        """The valid filters, as keyword arguments of accounts.selectors.registry."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "unit": data.get("unit"),
            "platform": data.get("platform") or "",
            "status": data.get("status") or "",
            "flag": data.get("flag") or "",
            "query": data.get("q") or "",
            "sort": data.get("sort") or "name",
        }


class AccountRegisterForm(forms.ModelForm):
    """A channel that existed before Kanalvakt, registered directly by the communications department
    (KAU-START-COMMS), with its owner and deputies (KAU-RESP-OWNER)."""

    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
        help_text=_("The unit whose head answers for the account (KAU-RESP-MANAGER)."),
    )
    owner = PersonChoiceField(
        label=_("Account owner"),
        queryset=User.objects.filter(is_active=True),
        help_text=_("Watches the account every day and answers for its content (KAU-RESP-OWNER)."),
    )
    url = forms.URLField(
        label=_("Address"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("The address of the account's page, starting with https://."),
        validators=[validate_public_url],  # an address Kanalvakt could never capture is refused here
    )
    deputies = PeopleChoiceField(
        label=_("Deputies"),
        queryset=User.objects.filter(is_active=True),
        widget=PeoplePicker,
        help_text=_("At least one, not the owner: they cover absences, holidays included (KAU-RESP-OWNER)."),
    )

    # KAU-PRIVATE, KTH-PRIVATE: the registry holds accounts with the university as sender only.
    private_account = forms.TypedChoiceField(
        label=_("Is this an employee's private account?"),
        choices=[("no", _("No, the university is the sender")), ("yes", _("Yes, it is a private account"))],
        widget=forms.RadioSelect,
        help_text=_(
            "Only accounts with the university as sender are registered. Staff avoid private accounts in "
            "their job, and the university's logo is never used in private contexts."
        ),
    )

    class Meta:
        model = Account
        fields = [
            "unit",
            "platform",
            "platform_other",
            "name",
            "handle",
            "url",
            "owner",
            "deputies",
            "status",
        ]
        help_texts = {
            "platform_other": _("Only when the platform is “Other”."),
            "handle": _("The account's user name on the platform, without @."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Closing is a workflow of its own (KAU-CLOSE); a channel is registered as in use or paused.
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, label)
            for value, label in Account.Status.choices
            if value in (Account.Status.ACTIVE, Account.Status.PAUSED)
        ]

    def clean_private_account(self) -> str:
        answer: str = self.cleaned_data["private_account"]
        if answer == "yes":
            # KAU-PRIVATE: a private account hampers the handling of public records, and university
            # accounts serve work purposes only; KTH-PRIVATE: official presence signals the connection
            # clearly, and the logo is never used in private contexts. Nothing is stored.
            raise forms.ValidationError(
                _(
                    "A private account is not registered. The registry holds only accounts with the "
                    "university as sender, used for work. Staff avoid using private accounts in their job, "
                    "since it hampers the handling of public records (KAU-PRIVATE), and the university's "
                    "logo is never used in private contexts (KTH-PRIVATE)."
                ),
                code="private_account",
            )
        return answer

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("platform") == Platform.OTHER and not data.get("platform_other", "").strip():
            self.add_error("platform_other", _("Name the platform."))
        owner, deputies = data.get("owner"), data.get("deputies")
        if owner is not None and deputies is not None and owner in deputies:
            self.add_error("deputies", _("The account owner cannot also be a deputy."))
        handle = (data.get("handle") or "").strip().removeprefix("@")
        if (
            handle
            and data.get("platform")
            and data.get("status") != Account.Status.CLOSED
            and Account.objects.filter(platform=data["platform"], handle=handle)
            .exclude(status=Account.Status.CLOSED)
            .exists()
        ):
            # Named here, on the field, rather than as the database constraint's general message.
            self.add_error("handle", _("An open account on this platform already has this handle."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "unit": data["unit"],
            "platform": data["platform"],
            "platform_other": data["platform_other"].strip() if data["platform"] == Platform.OTHER else "",
            "name": data["name"],
            "handle": data["handle"].strip().removeprefix("@"),
            "url": data["url"],
            "owner": data["owner"],
            "deputies": list(data["deputies"]),
            "status": data["status"],
        }


class ConfirmForm(forms.Form):
    """What the owner, a deputy or the communications department confirms on an account."""

    WHAT = [
        ("notice", _("The public-records notice is in place (KAU-INFORM)")),
        ("sender", _("Sender and profile follow the profile guide (KAU-SENDER)")),
    ]

    what = forms.ChoiceField(label=_("What you confirm"), choices=WHAT)

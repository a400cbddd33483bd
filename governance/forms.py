from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core import bounds
from core.forms import PeopleChoiceField, PeoplePicker, PersonChoiceField, UnitChoiceField
from core.models import InstitutionSettings, OrgUnit, User
from governance.completeness import CHECKLIST_FIELDS, CONTENT_FIELDS, MIN_WORDS, SUBMIT_FIELDS
from governance.models import AccountRequest, Audience, PriorityArea

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DaysOffField(forms.CharField):
    """The institution's extra days off: one date a line, written YYYY-MM-DD; stored as a sorted list
    of ISO dates without repeats (KAU-RESPONSE-DEADLINE)."""

    widget = forms.Textarea(attrs={"rows": 6, "cols": 14, "autocomplete": "off", "spellcheck": "false"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(day) for day in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        # KAU-RESPONSE-DEADLINE: every day within core.bounds' window, and at most DAYS_OFF_MAX of
        # them, as every deadline and every working time shown is counted on this list.
        first, last = bounds.day_off_window(timezone.localdate())
        days: set[date] = set()
        bad: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if len(bad) >= 20 or len(days) > bounds.DAYS_OFF_MAX:
                break  # enough to say what is wrong; the rest of a long paste is not read
            line = line.strip()
            if not line:
                continue
            try:
                if len(line) != 10:
                    raise ValueError(line)
                day = date.fromisoformat(line)
            except ValueError:
                bad.append(
                    _("Line %(number)d, “%(line)s”, is not a date written YYYY-MM-DD.")
                    % {"number": number, "line": line[:40]}
                )
                continue
            if not first <= day <= last:
                bad.append(
                    _("Line %(number)d, %(line)s, is not between %(first)s and %(last)s.")
                    % {
                        "number": number,
                        "line": line,
                        "first": bounds.format_day(first),
                        "last": bounds.format_day(last),
                    }
                )
                continue
            days.add(day)
        if bad:
            raise forms.ValidationError(bad, code="invalid_date")
        if len(days) > bounds.DAYS_OFF_MAX:
            raise forms.ValidationError(
                _("At most %(limit)d extra days off can be set."),
                code="too_many",
                params={"limit": bounds.DAYS_OFF_MAX},
            )
        return [day.isoformat() for day in sorted(days)]


class InstitutionSettingsForm(forms.ModelForm):
    extra_days_off = DaysOffField(
        label=_("Extra days off"),
        required=False,
        help_text=_(
            "The institution's own closed days besides weekends and Swedish holidays, one date a line, "
            "written YYYY-MM-DD (for example 2026-12-28). No working hours count on them; open items "
            "get new deadlines when you save (KAU-RESPONSE-DEADLINE)."
        ),
    )

    class Meta:
        model = InstitutionSettings
        fields = [
            "institution_name",
            "social_media_address",
            "security_officer_address",
            "registry_address",
            "response_due_hours",
            "response_limit_hours",
            "extra_days_off",
            "startpage_interval_months",
            "followup_interval_months",
            "threat_reacknowledge_hours",
            "take_expires_hours",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        due, limit = data.get("response_due_hours"), data.get("response_limit_hours")
        if due is not None and limit is not None and due > limit:
            self.add_error("response_limit_hours", _("The limit cannot come before the due time."))
        return data


def _action(*choices: tuple[str, StrOrPromise]) -> forms.ChoiceField:
    """Which of a form's buttons was pressed: each button posts its own value."""
    return forms.ChoiceField(choices=list(choices), widget=forms.HiddenInput)


def _text(label: StrOrPromise, *, rows: int, **options: Any) -> forms.CharField:
    """A written answer of a few lines."""
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **options)


def _checkboxes(label: StrOrPromise, **options: Any) -> forms.MultipleChoiceField:
    """Any number of the choices, or none: one checkbox each."""
    return forms.MultipleChoiceField(
        label=label, widget=forms.CheckboxSelectMultiple, required=False, **options
    )


class AccountRequestForm(forms.ModelForm):
    """The request and its strategy document. Saving a draft checks only the format of what is
    filled in; submitting asks governance.completeness for everything the policy requires."""

    # KAU-PRIVATE: shown above the form; a request is for an account with the university as sender.
    private_account_notice = _(
        "A request is for an account with the university as sender, used for work purposes only. "
        "Private accounts are not registered: staff avoid using private accounts in their job, since "
        "it hampers the handling of public records (KAU-PRIVATE)."
    )

    unit = UnitChoiceField(label=_("Requesting unit"), queryset=OrgUnit.objects.none())
    areas = _checkboxes(
        _("Priority areas"),
        choices=PriorityArea.choices,
        help_text=_("Which of the university's priority areas does the account serve? (KAU-AREA)"),
    )
    audiences = _checkboxes(
        _("Audiences"),
        choices=Audience.choices,
        help_text=_("Staff and students include prospective ones; partners include funders. (KAU-AUDIENCE)"),
    )
    proposed_owner = PersonChoiceField(
        label=_("Account owner"),
        queryset=User.objects.none(),
        required=False,
        help_text=_(
            "Watches the account every day and answers for its content (KAU-RESP-OWNER, KAU-RESP-DAILY)."
        ),
    )
    proposed_deputies = PeopleChoiceField(
        label=_("Deputies"),
        queryset=User.objects.none(),
        required=False,
        widget=PeoplePicker,
        help_text=_("At least one, not the owner: they cover absences, holidays included (KAU-RESP-OWNER)."),
    )
    blogger = PersonChoiceField(label=_("Blogger (employee)"), queryset=User.objects.none(), required=False)
    existing_account = forms.ModelChoiceField(
        label=_("Existing account"),
        queryset=Account.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _(
                "The account has received its strategy document meanwhile; this draft is not needed."
            )
        },
    )
    blogger_assigning_unit = UnitChoiceField(
        label=_("Unit that assigns the blogger"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_(
            "Only for a blogger who is not employed: the unit that gives the direct assignment (KTH-BLOG)."
        ),
    )

    class Meta:
        model = AccountRequest
        fields = list(AccountRequest.REQUESTER_FIELDS)
        labels = {
            "platform_other": _("Other platform"),
            "name": _("Account name"),
            "handle": _("Handle"),
            "sender_type": _("Sender type"),
            "profile_picture": _("Profile picture"),
            "purpose": _("Purpose and goal"),
            "checklist_audience": _("1. Who do you want to reach?"),
            "checklist_purpose": _(
                "2. What is the purpose of the communication, and how does it connect to the unit's goals?"
            ),
            "checklist_goals": _("3. What should the audience know, feel and do?"),
            "checklist_staffing": _(
                "4. How is the work shared among staff, and how is activity covered when staff change?"
            ),
            "checklist_resources": _("5. Has a resource inventory been made? What did it show?"),
            "content_strategy": _("Content strategy"),
            "editorial_goals": _("Editorial plan: purpose and goals"),
            "editorial_stakeholders": _("Editorial plan: audiences and stakeholders"),
            "planned_frequency": _("Planned frequency"),
            "resource_hours_per_week": _("Hours per week set aside"),
            "resource_people": _("Who does the work"),
            "terms_checked": _(
                "I have checked the platform's terms of use against "
                "the university's interests, brand and values"
            ),
            "terms_note": _("What the check found"),
            "blogger_external_name": _("Blogger who is not employed"),
        }
        help_texts = {
            "platform_other": _("Only when the platform is “Other”."),
            "name": _("The name must make clear which part of the university is speaking (KAU-SENDER)."),
            "handle": _(
                "The user name on the platform, e.g. civing_kau. For Instagram "
                "the profile guide often asks for the form name_kau."
            ),
            "sender_type": _("Which row of the profile guide the account belongs to (KAU-PROFILE-GUIDE)."),
            "profile_picture": _(
                "The university is the sender: the profile picture is normally its logo (KAU-SENDER)."
            ),
            "purpose": _(
                "A clear purpose and goal, linked to the university's "
                "mission and overall strategy (KAU-START-PURPOSE)."
            ),
            "checklist_audience": _("Target groups, as precisely as you can (Målgrupp)."),
            "checklist_purpose": _("Why the account exists and which of the unit's goals it serves (Syfte)."),
            "checklist_goals": _("Communicative goals: what the audience should know, feel and do."),
            "checklist_staffing": _(
                "Who publishes, who answers, and how the account keeps going when someone leaves."
            ),
            "checklist_resources": _(
                "Time, people, skills and material available for the account (resursinventering)."
            ),
            "content_strategy": _(
                "What you will publish and why: engaging, relevant, correct and credible (KAU-CONTENT)."
            ),
            "editorial_goals": _("The editorial plan's purpose and goals."),
            "editorial_stakeholders": _("Who the content is for, and who else has a stake in it."),
            "planned_frequency": _("For example: three posts a week, stories on event days."),
            "resource_hours_per_week": _(
                "Time set aside before the channel starts, for the formal "
                "requirements and for quality (KTH-RESOURCES)."
            ),
            "resource_people": _("Names or roles of the people who do the work."),
            "terms_note": _("KTH-TERMS: for example what the terms say about rights to published material."),
        }
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "checklist_audience": forms.Textarea(attrs={"rows": 3}),
            "checklist_purpose": forms.Textarea(attrs={"rows": 3}),
            "checklist_goals": forms.Textarea(attrs={"rows": 3}),
            "checklist_staffing": forms.Textarea(attrs={"rows": 3}),
            "checklist_resources": forms.Textarea(attrs={"rows": 3}),
            "content_strategy": forms.Textarea(attrs={"rows": 4}),
            "editorial_goals": forms.Textarea(attrs={"rows": 3}),
            "editorial_stakeholders": forms.Textarea(attrs={"rows": 3}),
            "resource_people": forms.Textarea(attrs={"rows": 2}),
            "terms_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = OrgUnit.objects.filter(is_active=True).order_by("path")
        people = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        # Only accounts without a strategy document can get one through a request.
        self.fields["existing_account"].queryset = Account.objects.filter(request__isnull=True)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["blogger_assigning_unit"].queryset = units  # type: ignore[attr-defined]
        for name in ("proposed_owner", "proposed_deputies", "blogger"):
            self.fields[name].queryset = people  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["proposed_deputies"] = list(self.instance.proposed_deputies.all())
        # The page counts words as they are typed, against what submitting asks (KAU-START-CHECKLIST).
        for name in (*CHECKLIST_FIELDS, *CONTENT_FIELDS):
            self.fields[name].widget.attrs["data-min-words"] = str(MIN_WORDS)
        # What submitting asks for is marked from the start, though a draft may lack it; a group of
        # checkboxes says so in its legend, a single input also to assistive technology.
        for name in SUBMIT_FIELDS:
            field = self.fields[name]
            field.needed_to_submit = True  # type: ignore[attr-defined]
            if not isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs["aria-required"] = "true"

    def _post_clean(self) -> None:
        # The service applies the data and validates the model; the form only checks its own fields.
        pass

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["platform_other"] = data["platform_other"] if data["platform"] == "other" else ""
        return data


class ReviewForm(forms.Form):
    action = _action(("accept", _("Accept")), ("return", _("Return for changes")))
    advice = _text(
        _("Advice from the communications department"),
        rows=4,
        help_text=_(
            "Does a channel for this need already exist? Does the "
            "account follow the profile guide? (KAU-START-COMMS)"
        ),
    )
    accepted_deviations = _checkboxes(_("Deviations from the profile guide accepted"))

    def __init__(self, *args: Any, deviations: list[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accepted_deviations"].choices = [(d["code"], d["message"]) for d in deviations]  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    """The head's decision. It cannot be undone, so the head ticks that they mean it before either
    button counts (KAU-START-APPROVAL)."""

    action = _action(("approve", _("Approve")), ("reject", _("Reject")))
    reason = _text(
        _("Reason for the decision"),
        rows=3,
        help_text=_("A sentence is enough; it goes into the decision record."),
    )
    confirm = forms.BooleanField(
        label=_("I have read the request and understand that the decision is final and cannot be undone."),
        error_messages={"required": _("Tick the box to confirm the decision: it cannot be undone.")},
    )


class DiscardForm(forms.Form):
    """Discarding a draft cannot be undone: the requester ticks that they mean it."""

    confirm = forms.BooleanField(
        label=_("Yes, discard this draft. It cannot be undone."),
        error_messages={"required": _("Tick the box to confirm that the draft is to be discarded.")},
    )


class CommentForm(forms.Form):
    comment = _text(_("Comment"), rows=3)


class WithdrawForm(forms.Form):
    comment = _text(_("Why is the request withdrawn?"), rows=2, required=False)

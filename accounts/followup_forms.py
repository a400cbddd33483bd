"""Forms for follow-up and closing (KAU-FOLLOWUP, KAU-CLOSE). Forms validate; accounts.followup saves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.dateformat import format as date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.figures import FIGURES, Prefill, sign_prefill, unsign_prefill
from accounts.followup import MAX_INTERVAL_MONTHS, MIN_INTERVAL_MONTHS
from accounts.models import HAND, FigureSource, FollowUp
from core import bounds

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _day(day: date) -> str:
    return date_format(day, "j M Y").lower()


def _one_of(label: StrOrPromise, choices: Sequence[tuple[str, Any]]) -> forms.ChoiceField:
    """A required choice shown as radio buttons: every option in sight, none picked in advance."""
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect)


class FollowUpForm(forms.Form):
    """A follow-up: the statistics, the policy's two checklist questions, value against resources
    and a decision (KAU-FOLLOWUP)."""

    period_end = forms.DateField(
        label=_("Period up to and including"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day the statistics cover. Leave empty for today."),
    )
    followers = forms.IntegerField(
        label=_("Followers"), min_value=0, help_text=_("Followers or subscribers at the end of the period.")
    )
    posts = forms.IntegerField(label=_("Posts in the period"), min_value=0)
    reactions = forms.IntegerField(
        label=_("Reactions in the period"), min_value=0, help_text=_("Likes, shares and other reactions.")
    )
    comments = forms.IntegerField(label=_("Comments in the period"), min_value=0)
    traffic = _one_of(_("Traffic compared with the previous period"), FollowUp.Traffic.choices)
    reaches_audiences = _one_of(_("Do we reach the audiences we want to reach?"), FollowUp.Answer.choices)
    keeps_up = _one_of(_("Can we keep up the frequency and monitoring required?"), FollowUp.Answer.choices)
    value_estimate = forms.CharField(
        label=_("Value against the resources it takes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What does the account give the university, and what does it cost in time and money?"),
    )
    decision = _one_of(_("Decision"), FollowUp.Decision.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What changes, if any, and who does what."),
    )

    # What the form pre-filled, signed (accounts.figures): the service marks a figure kept as given
    # with where it came from, and any other as typed by hand (KAU-FOLLOWUP).
    prefill = forms.CharField(widget=forms.HiddenInput, required=False)

    statistics = ("period_end", "followers", "posts", "reactions", "comments", "traffic")
    checklist = ("reaches_audiences", "keeps_up")
    evaluation = ("value_estimate", "decision", "note")

    def __init__(
        self, *args: Any, today: date, account_id: int, prefill: Prefill | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.account_id = account_id
        self.fields["period_end"].widget.attrs["max"] = today.isoformat()
        for name in FIGURES:
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})
        if not self.is_bound and prefill is not None and prefill.figures:
            self.initial.update({name: figure.value for name, figure in prefill.figures.items()})
            self.initial["prefill"] = sign_prefill(prefill, account_id=account_id)
        # The pre-fill shown again with the person's answer when the form comes back with a problem.
        self.shown = (
            prefill if not self.is_bound else unsign_prefill(self.data.get("prefill"), account_id=account_id)
        )
        self._mark_sources()

    def _mark_sources(self) -> None:
        """Each figure says where its value came from (KAU-FOLLOWUP): the platform's readings with
        their days, Kanalvakt's own count, or nothing given, to be typed by hand."""
        given = self.shown.figures if self.shown is not None else {}
        for name in FIGURES:
            field = self.fields[name]
            figure = given.get(name)
            source = figure.source if figure is not None else HAND
            field.widget.attrs["data-figure-source"] = source
            if figure is None:
                note = _("Not given by the platform: type the figure.") if given else ""
            elif figure.source == FigureSource.COUNTED or not figure.read_on:
                note = _("Counted in Kanalvakt from what came in from the platform in the period.")
            elif len(figure.read_on) == 1:
                note = _("From the platform: the reading of %(day)s.") % {"day": _day(figure.read_on[0])}
            else:
                note = _(
                    "From the platform: the difference between the readings of %(first)s and %(last)s."
                ) % {"first": _day(figure.read_on[0]), "last": _day(figure.read_on[-1])}
            if note:
                field.help_text = format_lazy("{} {}", field.help_text, note) if field.help_text else note

    def clean_prefill(self) -> Prefill | None:
        return unsign_prefill(self.cleaned_data.get("prefill"), account_id=self.account_id)

    def clean_period_end(self) -> date | None:
        value: date | None = self.cleaned_data.get("period_end")
        if value is not None and value > self.today:
            raise forms.ValidationError(_("The period cannot end in the future."))
        if value is not None:  # KAU-FOLLOWUP: a day from 1990 up to today (core.bounds)
            bounds.check_past_day(value, today=self.today)
        return value

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The form's parts, each a fieldset on the page."""
        return [
            (_("Statistics"), [self[name] for name in self.statistics]),
            (_("The follow-up checklist"), [self[name] for name in self.checklist]),
            (_("Evaluation and decision"), [self[name] for name in self.evaluation]),
        ]


class IntervalForm(forms.Form):
    """The account's own follow-up interval, or none to use the institution's."""

    months = forms.IntegerField(
        label=_("Follow-up interval for this account (months)"),
        required=False,
        min_value=MIN_INTERVAL_MONTHS,
        max_value=MAX_INTERVAL_MONTHS,
    )

    def __init__(self, *args: Any, institution_months: int, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "interval")
        super().__init__(*args, **kwargs)
        self.fields["months"].help_text = _(
            "Leave empty to use the institution's interval, now %(months)s months."
        ) % {"months": institution_months}


class StartClosingForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the account being closed?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the account's history, which stays in the registry."),
    )


class CloseAccountForm(forms.Form):
    """Closing cannot be undone: whoever closes the account ticks that they mean it (KAU-CLOSE)."""

    confirm = forms.BooleanField(
        label=_("I understand that the account is closed for good and can no longer be changed."),
        error_messages={"required": _("Tick the box to confirm that the account is to be closed.")},
    )


class CommentingForm(forms.Form):
    commenting = forms.ChoiceField(
        label=_("Commenting on the account"),
        choices=[
            ("off", _("Commenting is switched off")),
            ("not_possible", _("The platform does not allow switching commenting off")),
        ],
        widget=forms.RadioSelect,
        help_text=_(
            "If nobody can regularly watch incoming comments, switch commenting off where "
            "the platform allows it, or confirm that it does not."
        ),
    )

"""Forms of crisis mode (KAU-CRISIS): declaring, logging a publication, a crisis's saved reply and
ending. Forms validate and name the field; moderation.crisis saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from moderation.forms import time_done_field

_https = [
    URLValidator(schemes=["https"], message=_("Give a full https address, e.g. https://www.kau.se/kris."))
]


class DeclareForm(forms.Form):
    """A crisis: its title, what happened, and the website's link, required (KTH-COMPLEMENT)."""

    title = forms.CharField(label=_("Title"), max_length=160)
    what_happened = forms.CharField(
        label=_("What happened"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A few sentences; the details are on the website."),
    )
    website_url = forms.CharField(
        label=_("Link to the information on the university's website"),
        max_length=500,
        validators=_https,
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url"}),
        help_text=_(
            "Required: the social channels complement the website, the intranet and the press releases, "
            "and every post points here (KTH-COMPLEMENT, KAU-ACCESS)."
        ),
    )
    intranet_url = forms.CharField(
        label=_("Link to the information on the intranet"),
        max_length=500,
        required=False,
        validators=_https,
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )


class LogForm(forms.Form):
    """What one account published during the crisis, where and when (KAU-CRISIS)."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    where = forms.CharField(
        label=_("Where"),
        max_length=200,
        help_text=_("E.g. a post on Instagram, a story, a pinned post."),
    )
    url = forms.CharField(
        label=_("Link to what was published"), max_length=500, required=False, validators=_https
    )
    text = forms.CharField(
        label=_("What was published"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    published_at = time_done_field(_("Published at"))

    prefix = "log"

    def __init__(self, *args: Any, accounts: list[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Account.objects.filter(pk__in=[account.pk for account in accounts]).order_by(
            "name", "pk"
        )


class CrisisReplyForm(forms.Form):
    """A saved reply of the crisis, offered first on every item while it is active (KAU-CRISIS)."""

    title = forms.CharField(label=_("Title"), max_length=120)
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Point to the website, where the information is (KTH-COMPLEMENT)."),
    )

    prefix = "reply"


class EndForm(forms.Form):
    """Ending a crisis: a short summary is required (KAU-CRISIS)."""

    summary = forms.CharField(
        label=_("Summary"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What happened, what was published and what was learned. It stays with the record."),
    )

    prefix = "end"

"""Forms of the diary pages: building a package, recording its registration number and correcting it
(KAU-DIARY-ACTION). Forms validate the input; archive.registration decides and saves."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from archive.diary_numbers import CORRECTION_REASON_MAX, DIARY_NUMBER_MAX
from moderation.models import Item


def default_subject(item: Item) -> str:
    """A subject (ärendemening) to start from: what came in, from whom, on which account."""
    what = item.get_classification_display() if item.classification else item.get_kind_display()
    return _("%(what)s from %(author)s on %(account)s (%(platform)s)") % {
        "what": what,
        "author": item.author,
        "account": item.account.name,
        "platform": item.account.platform_label,
    }


class PackageForm(forms.Form):
    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=300,
        help_text=gettext_lazy("The short subject (ärendemening) the registry enters."),
    )
    secrecy = forms.CharField(
        label=gettext_lazy("Secrecy marking"),
        max_length=300,
        required=False,
        help_text=gettext_lazy(
            "Where secrecy applies: the provision and what it covers. Leave empty when none applies."
        ),
    )

    @classmethod
    def for_item(cls, item: Item) -> PackageForm:
        return cls(initial={"subject": default_subject(item)}, prefix="package")


class RegisterForm(forms.Form):
    diary_number = forms.CharField(
        label=gettext_lazy("Registration number"),
        max_length=DIARY_NUMBER_MAX,
        help_text=gettext_lazy("The number the registry gave the package (diarienummer)."),
    )
    confirm_duplicate = forms.BooleanField(
        label=gettext_lazy("Another package has this number: I have checked it, and they share it"),
        required=False,
    )


class CorrectionForm(forms.Form):
    """A wrongly entered registration number corrected, with the reason (KAU-DIARY-ACTION)."""

    diary_number = forms.CharField(
        label=gettext_lazy("Correct registration number"),
        max_length=DIARY_NUMBER_MAX,
        help_text=gettext_lazy("The number the registry gave the package (diarienummer)."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        max_length=CORRECTION_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Shown in the package's history, for example what was entered wrongly."),
    )
    confirm_duplicate = forms.BooleanField(
        label=gettext_lazy("Another package has this number: I have checked it, and they share it"),
        required=False,
    )

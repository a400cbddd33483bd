"""The start-page upload form (KAU-STARTPAGE)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.forms import DayField
from core.images import MAX_BYTES
from core.uploads import screenshot_field, too_large_message


class StartpageUploadForm(forms.Form):
    """A screenshot of the channel's start page and the day it was taken.

    The form only checks that a file came and is not too large to read; whether it is an image
    Kanalvakt keeps is core.images' decision, made in the service, and its reason is shown on the
    file field.
    """

    image = screenshot_field(
        label=_("Screenshot of the start page"),
        help_text=_("A PNG, JPEG or WebP image of the channel's start page as visitors see it."),
    )
    taken_on = DayField(
        label=_("Day the screenshot was taken"),
        required=False,
        help_text=_("Leave it empty for a screenshot taken today."),
    )

    def clean_taken_on(self) -> date | None:
        value: date | None = self.cleaned_data.get("taken_on")
        if value is not None:  # KAU-STARTPAGE: a day from 1990 up to today (core.bounds)
            bounds.check_past_day(value, today=timezone.localdate())
        return value

    def clean_image(self) -> object:
        upload = self.cleaned_data["image"]
        if upload is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(too_large_message())
        return upload

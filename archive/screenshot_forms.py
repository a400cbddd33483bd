"""Forms of the screenshot pages: an upload of the post and its replies (KAU-DIARY-ACTION)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.images import MAX_BYTES
from core.uploads import screenshot_field
from moderation.forms import StockholmDateTimeField


class ItemScreenshotForm(forms.Form):
    """A screenshot of an item's post and its replies.

    A plain file field: whether it is an image, and of which type, is decided by core.images,
    which decodes it, never by its name or its declared type.
    """

    prefix = "shot"

    image = screenshot_field(
        label=_("Screenshot of the post and its replies"),
        help_text=_("A PNG, JPEG or WebP image as it appears on the platform, at most %(limit)d MB.")
        % {"limit": MAX_BYTES // (1024 * 1024)},
    )
    taken_at = StockholmDateTimeField(
        label=_("Taken"),
        required=False,
        help_text=_("Swedish time. Leave empty for now."),
    )

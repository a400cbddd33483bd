"""Forms of the screenshot pages: an upload of the post and its replies (KAU-DIARY-ACTION)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from moderation.forms import ScreenshotUploadForm, screenshot_upload_field


class ItemScreenshotForm(ScreenshotUploadForm):
    """A screenshot of an item's post and its replies."""

    prefix = "shot"

    image = screenshot_upload_field(
        label=_("Screenshot of the post and its replies"),
        help_text=_("A PNG, JPEG or WebP image as it appears on the platform, at most %(limit)d MB."),
    )

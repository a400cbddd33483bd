"""Forms of the screenshot pages: the one upload of an item's post and its replies (KAU-DIARY-ACTION),
which also keeps the evidence before prohibited content is removed (KAU-PROHIBITED-EVIDENCE)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from moderation.forms import ScreenshotUploadForm, screenshot_upload_field


class ItemScreenshotForm(ScreenshotUploadForm):
    """A screenshot of an item's post and its replies."""

    prefix = "shot"

    image = screenshot_upload_field(
        label=_("Screenshot of the post and its replies"),
        help_text=_("A PNG, JPEG or WebP image as it appears on the platform, at most %(limit)d MB."),
    )

    as_evidence = forms.BooleanField(
        label=_("Keep it as evidence of prohibited content (KAU-PROHIBITED-EVIDENCE)"),
        required=False,
        help_text=_("Tick when the content is prohibited and will be removed: the removal needs it."),
    )

    field_order = ["image", "taken_at", "as_evidence"]

    @classmethod
    def for_item(cls, item: Any, **kwargs: Any) -> ItemScreenshotForm:
        """A fresh upload, proposed as evidence when the item is marked prohibited and has none yet."""
        proposed = bool(item.prohibited) and not item.evidence_id
        return cls(initial={"as_evidence": proposed}, **kwargs)

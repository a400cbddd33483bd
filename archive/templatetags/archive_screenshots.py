"""Template tags of the item page's screenshot section (templates/archive/includes/item_screenshots.html)."""

from __future__ import annotations

from typing import Any

from django import template

from archive.models import Screenshot
from archive.screenshot_forms import ItemScreenshotForm

register = template.Library()


@register.simple_tag
def item_screenshots(item: Any) -> list[Screenshot]:
    """The item's screenshots of the post and replies and its evidence, oldest first: one query."""
    return list(
        Screenshot.objects.filter(
            item=item, purpose__in=[Screenshot.Purpose.ITEM, Screenshot.Purpose.EVIDENCE]
        )
        .select_related("taken_by")
        .order_by("taken_at", "pk")
    )


@register.simple_tag
def item_screenshot_form(item: Any = None) -> ItemScreenshotForm:
    """The item page's one uploader, fresh; proposed as evidence for an item marked prohibited."""
    return ItemScreenshotForm.for_item(item) if item is not None else ItemScreenshotForm()

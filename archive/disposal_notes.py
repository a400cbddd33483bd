"""The disposal note shown where a destroyed record was (gallringsnotering): on the item page, a line
saying when the item was disposed of and under which decision. Registered with moderation.sections in
ArchiveConfig.ready()."""

from __future__ import annotations

from typing import Any

from archive.models import Tombstone
from moderation.models import Item
from moderation.sections import ItemSection


def item_disposal_section(user: Any, item: Item) -> ItemSection | None:
    """For a disposed item, its note and decision: one query, none for an item that is kept."""
    if item.disposed_at is None:
        return None
    tombstone = (
        Tombstone.objects.filter(record_type__in=["item", "registered_item"], record_id=item.pk)
        .select_related("disposal")
        .first()
    )
    if tombstone is None:
        return None
    return ItemSection("archive/disposal/item_note.html", {"tombstone": tombstone})

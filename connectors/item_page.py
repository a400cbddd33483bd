"""The item page's section: what became of the item's answer or removal on the platform."""

from __future__ import annotations

from typing import Any

from connectors.models import Outgoing
from moderation.models import Item
from moderation.sections import ItemSection
from moderation.selectors import may_moderate


def outgoing_section(user: Any, item: Item) -> ItemSection | None:
    """Each answer or removal sent (or to be sent) to the platform, with its status, the platform's
    link or reason, and the check and try-again buttons for the item's moderators. One query (none
    more for the moderator check, which reads the item's account already loaded)."""
    rows = list(
        Outgoing.objects.filter(item=item).select_related("requested_by").order_by("requested_at", "pk")
    )
    if not rows:
        return None
    return ItemSection(
        template="connectors/item_section.html",
        context={"item": item, "rows": rows, "may_act": may_moderate(user, item.account)},
    )

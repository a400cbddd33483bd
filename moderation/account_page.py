"""The account's unanswered items on the account page, registered with accounts.sections in
ModerationConfig.ready()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import Account
from accounts.sections import AccountSection
from moderation.models import Item
from moderation.selectors import may_read_account_items

DETAIL_ITEMS = 10


def items_section(user: Any, account: Account, now: datetime) -> AccountSection | None:
    """The first unanswered items, earliest limit first, for those moderation lets read them: the
    communications department and the registrar see the account, not what visitors wrote to it
    (KAU-PUBLIC-RECORD). Two queries at most."""
    if not may_read_account_items(user, account):
        return None
    # Earliest limit first: the limit follows the due time, so the order of the open-items index
    # (item_open_due_idx: account, due time) is the order of the limits.
    unanswered = Item.objects.unanswered().filter(account=account).order_by("due_at", "pk")
    items = list(unanswered[: DETAIL_ITEMS + 1])
    return AccountSection(
        "moderation/includes/account_items.html",
        {
            "items": items[:DETAIL_ITEMS],
            # Counted no further than the page shows: no COUNT(*) over the items table.
            "item_count": min(len(items), DETAIL_ITEMS),
            "items_more": len(items) > DETAIL_ITEMS,
        },
    )

"""Who may see what in the archive."""

from __future__ import annotations

from accounts.models import Account
from archive.models import Screenshot
from core.models import User
from moderation.selectors import items_visible_to, may_read_account_items


def may_see_screenshot(user: User, shot: Screenshot) -> bool:
    """The one gate for a kept screenshot, its original and its date-stamped copy.

    A screenshot of an item is seen by whoever reads the item (moderation.selectors). A start-page
    screenshot is seen by whoever sees the account's start pages (archive.startpage), the
    communications department and the registrar included. Any other screenshot of an account is seen
    by those who read the account's inbox.
    """
    if shot.item_id is not None:
        return items_visible_to(user).filter(pk=shot.item_id).exists()
    if shot.purpose == Screenshot.Purpose.STARTPAGE:
        from archive.startpage import may_view_startpages

        return Account.objects.visible_to(user).filter(pk=shot.account_id).exists() and may_view_startpages(
            user, shot.account
        )
    return may_read_account_items(user, shot.account)

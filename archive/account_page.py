"""The start-page row of the account page (KAU-STARTPAGE), registered with accounts.sections in
ArchiveConfig.ready()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import Account
from accounts.sections import AccountSection
from archive.models import Screenshot
from archive.startpage import may_record, may_view_startpages


def startpage_fact(user: Any, account: Account, now: datetime) -> AccountSection:
    """The last start-page screenshot: its date for everyone who sees the account; the latest kept
    picture and a link to them all for those who see the account's start pages. One query at most."""
    can_view = may_view_startpages(user, account)
    latest = (
        # A picture disposed of (gallring) has no file left to show.
        Screenshot.objects.filter(account=account, purpose=Screenshot.Purpose.STARTPAGE, disposed_at=None)
        .order_by("-taken_at", "-pk")
        .first()
        if can_view
        else None
    )
    return AccountSection(
        "archive/includes/account_startpage.html",
        {
            "startpage_latest": latest,
            "can_view_startpages": can_view,
            "can_record_startpage": account.status != Account.Status.CLOSED and may_record(user, account),
        },
    )

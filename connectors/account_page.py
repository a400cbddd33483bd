"""The account's connection on the account page, registered with accounts.sections in
connectors.registrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import Account
from accounts.sections import AccountSection
from connectors.models import Connection
from connectors.services import connectable, may_connect


def connection_fact(user: Any, account: Account, now: datetime) -> AccountSection | None:
    """The live connection and its health, with a link to connect or manage it, for everyone who sees
    the account; nothing for an account of a platform Kanalvakt has no connector for. One query."""
    if not connectable(account):
        return None
    connection = Connection.objects.filter(account=account, disconnected_at__isnull=True).first()
    return AccountSection(
        "connectors/includes/account_connection.html",
        {
            "connection": connection,
            # The owner and deputies are prefetched on the account page: no query of its own.
            "can_change": account.status != Account.Status.CLOSED and may_connect(user, account),
        },
    )

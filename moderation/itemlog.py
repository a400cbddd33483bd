"""The moderation log: what each change to an item appends, in the same transaction as the change
(KAU-PUBLIC-RECORD), and the lock each change takes on its item first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.models import User
from moderation.models import Item, LogEntry

SNAPSHOT_FIELDS = (
    "status",
    "classification",
    "prohibited",
    "pile_on_risk",
    "threat",
    "requires_registration",
    "registration",
    "answer",
    "close_reason",
    "evidence_id",
)


def snapshot(item: Item) -> dict[str, Any]:
    """The item's triage and state as the log keeps them, before and after each action."""
    values = {name: getattr(item, name) for name in SNAPSHOT_FIELDS}
    values["prohibited"] = sorted(values["prohibited"])
    return values


def log_action(
    item: Item,
    action: str,
    *,
    by: User | None,
    now: datetime,
    before: dict[str, Any] | None = None,
    note: str = "",
) -> LogEntry:
    """Append an action to the item's log, with its state before (when given) and after."""
    return LogEntry.objects.create(
        item=item, action=action, actor=by, at=now, note=note, before=before or {}, after=snapshot(item)
    )


def locked_item(item: Item | int) -> Item:
    """The item, locked for the change about to be made, with its account and the account's unit."""
    pk = item if isinstance(item, int) else item.pk
    return Item.objects.select_for_update(of=("self",)).select_related("account", "account__unit").get(pk=pk)

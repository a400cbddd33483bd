"""Every change to moderation items goes through here."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.models import Account
from core.history import record
from core.models import User
from governance.models import InstitutionSettings
from moderation.deadlines import response_deadlines
from moderation.models import Item


@transaction.atomic
def log_item(
    account: Account,
    *,
    kind: str,
    author: str,
    text: str,
    received_at: datetime,
    by: User | None,
    url: str = "",
    platform_id: str = "",
) -> Item:
    """Log an incoming post, comment or message and fix its deadlines (KAU-RESPONSE-DEADLINE)."""
    institution = InstitutionSettings.objects.get_solo()
    due_at, limit_at = response_deadlines(
        received_at,
        due_hours=institution.response_due_hours,
        limit_hours=institution.response_limit_hours,
    )
    item = Item(
        account=account,
        kind=kind,
        author=author,
        text=text,
        received_at=received_at,
        url=url,
        platform_id=platform_id,
        due_at=due_at,
        limit_at=limit_at,
        logged_by=by,
    )
    item.full_clean()
    record(item, by=by, reason="logged")
    item.save()
    return item


@transaction.atomic
def mark_handled(item: Item, *, by: User | None, now: datetime) -> Item:
    """Record that an item has been answered or otherwise dealt with."""
    locked = Item.objects.select_for_update().get(pk=item.pk)
    if locked.handled_at is None:
        locked.handled_at, locked.handled_by = now, by
        record(locked, by=by, reason="handled")
        locked.save(update_fields=["handled_at", "handled_by"])
    return locked

"""Who is handling an item ("I'm handling this") and the bulk actions of "my queue".

A moderator takes an item so that the others on the account see it is in hand, and by whom; they
release it, or it is released when the item is answered, closed or removed (services._finish), or it
lapses by itself after the institution's ``take_expires_hours`` (Item.holder, read at read time:
nothing sweeps it). Each take and release is a line in the item's log (KAU-PUBLIC-RECORD).

The bulk actions run one service call per item inside one transaction: every item or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.history import record
from core.models import InstitutionSettings, User
from moderation.itemlog import locked_item, log_action
from moderation.models import Item, LogEntry
from moderation.services import close_item, require_moderator, require_open


def expires_hours() -> int:
    """How long a take holds (core.InstitutionSettings.take_expires_hours)."""
    return InstitutionSettings.objects.get_solo().take_expires_hours


@transaction.atomic
def take_item(item: Item, *, by: User, now: datetime) -> Item:
    """``by`` is handling the item from now. Taking an item someone else holds takes it over; the log
    names whom it was taken from. Taking one's own take again renews it."""
    locked = locked_item(item)
    require_moderator(by, locked)
    require_open(locked)
    holder = locked.holder(now, expires_hours())
    note = ""
    if holder is not None and holder.pk != by.pk:
        note = _("Taken over from %(name)s.") % {"name": holder}
    locked.taken_by, locked.taken_at = by, now
    record(locked, by=by, reason="taken")
    locked.save(update_fields=["taken_by", "taken_at"])
    log_action(locked, LogEntry.Action.TAKEN, by=by, now=now, note=note)
    return locked


@transaction.atomic
def release_item(item: Item, *, by: User, now: datetime) -> Item:
    """Nobody is handling the item any more. Any moderator of the account may release it (the holder
    may be away); releasing an item nobody holds changes nothing and logs nothing."""
    locked = locked_item(item)
    require_moderator(by, locked)
    holder = locked.holder(now, expires_hours())
    if locked.taken_by_id is None:
        return locked
    note = "" if holder is None or holder.pk == by.pk else _("Released for %(name)s.") % {"name": holder}
    locked.taken_by, locked.taken_at = None, None
    record(locked, by=by, reason="released")
    locked.save(update_fields=["taken_by", "taken_at"])
    if holder is not None:  # a lapsed take was already released in everyone's eyes: no line for it
        log_action(locked, LogEntry.Action.RELEASED, by=by, now=now, note=note)
    return locked


@transaction.atomic
def take_items(items: Sequence[Item], *, by: User, now: datetime) -> list[Item]:
    """Take every item, or none if one is refused."""
    return [take_item(item, by=by, now=now) for item in items]


@transaction.atomic
def close_items(items: Sequence[Item], *, reason: str, by: User, now: datetime) -> list[Item]:
    """Close every item as needing no answer, with the same reason, or none if one is refused."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the items need no answer.")})
    return [close_item(item, reason=reason, by=by, now=now) for item in items]

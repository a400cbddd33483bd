"""The registration decision of an item, as a decision of its own (KAU-DIARY-NONE, KAU-DIARY-ACTION).

KAU-DIARY-NONE: most questions and comments need no registration (general questions about studies
or research); they may stay in the platform's own archive provided they can be found and handed out
on request. Deciding so records who decided, when, optionally why, and where the item is found on
the platform (its link, or a note when it has none); Kanalvakt's own copy (the item, its log and,
for its screenshots, the archive's fixity ledger) is the item itself, found by its number.

KAU-DIARY-ACTION: an item that requires action is registered. A question decided as needing no
registration can turn out to need action: deciding "required" later is allowed and logged, and the
archive's diary packages read ``Item.requires_registration`` as before (kept in step with the
decision by registration_models.set_decision).

Every decision is one line in the item's log (LogEntry.Action.REGISTRATION), in the same
transaction as the change (KAU-PUBLIC-RECORD).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.calendar import STOCKHOLM
from core.history import record
from core.models import User
from moderation.itemlog import locked_item, log_action, snapshot
from moderation.models import Item, LogEntry
from moderation.registration_models import REGISTRATION_FIELDS, Registration, set_decision
from moderation.services import proposes_registration, require_moderator

REASON_MOST = 2000
FOUND_AT_MOST = 1000


def default_found_at(item: Item) -> str:
    """Where the item is found in the platform's own archive (KAU-DIARY-NONE): its link, or, when it
    has none, the account, the author and the time it was received, by which it is found there."""
    if item.url:
        return item.url
    received = timezone.localtime(item.received_at, STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    return _(
        "No link: on %(platform)s, in the account %(account)s, written by %(author)s, received %(received)s."
    ) % {
        "platform": item.account.platform_label,
        "account": item.account.name,
        "author": item.author,
        "received": received,
    }


def _refusal(item: Item, decision: str, found_at: str, reason: str) -> ValidationError | None:
    """Why the decision is refused, on the field it concerns, or None."""
    if decision not in Registration.values or decision == Registration.UNDECIDED:
        return ValidationError({"decision": _("Choose whether the item needs registration.")})
    if len(reason) > REASON_MOST:
        return ValidationError(
            {"reason": _("Keep the reason under %(most)d characters.") % {"most": REASON_MOST}}
        )
    if decision != Registration.NOT_NEEDED:
        return None
    if len(found_at) > FOUND_AT_MOST:
        return ValidationError(
            {"found_at": _("Keep the note under %(most)d characters.") % {"most": FOUND_AT_MOST}}
        )
    if item.disposed_at is not None:
        return ValidationError({"decision": _("The item's contents were disposed of: it cannot be found.")})
    if item.registration == Registration.REQUIRED:
        return ValidationError(
            {
                "decision": _(
                    "The item is marked as requiring registration (KAU-DIARY-ACTION). If that was a "
                    "mistake, untick it under Classify first."
                )
            }
        )
    # KAU-DIARY-ACTION: critical posts and posts that break laws or rules are registered.
    action = proposes_registration(item.classification, item.prohibited)
    if action or item.threat or item.status == Item.Status.REMOVED:
        return ValidationError(
            {
                "decision": _(
                    "Criticism, threats and prohibited content require registration (KAU-DIARY-ACTION): "
                    "they cannot be decided as needing none."
                )
            }
        )
    return None


@transaction.atomic
def decide_registration(
    item: Item | int,
    *,
    decision: str,
    by: User,
    now: datetime,
    reason: str = "",
    found_at: str = "",
) -> Item:
    """Decide whether the item is registered: "not_needed" (KAU-DIARY-NONE) or "required"
    (KAU-DIARY-ACTION), with who, when, why and, for "not_needed", where it is found on the platform
    (its link by default). Only the account's moderators decide; a refusal changes nothing. Deciding
    the same again with the same words changes nothing and logs nothing."""
    locked = locked_item(item)
    require_moderator(by, locked)
    reason, found_at = reason.strip(), found_at.strip()
    if decision == Registration.NOT_NEEDED and not found_at:
        found_at = default_found_at(locked)
    refused = _refusal(locked, decision, found_at, reason)
    if refused is not None:
        raise refused
    if (
        locked.registration == decision
        and locked.registration_reason == reason
        and locked.registration_found_at == (found_at if decision == Registration.NOT_NEEDED else "")
    ):
        return locked
    before = snapshot(locked)
    set_decision(locked, decision, by=by, now=now, reason=reason, found_at=found_at)
    record(locked, by=by, reason=f"registration: {decision}")
    locked.save(update_fields=REGISTRATION_FIELDS)
    rule = "KAU-DIARY-NONE" if decision == Registration.NOT_NEEDED else "KAU-DIARY-ACTION"
    parts = [f"{Registration(decision).label} ({rule})."]
    if decision == Registration.NOT_NEEDED:
        parts.append(_("Found at: %(where)s") % {"where": found_at})
    if reason:
        parts.append(_("Why: %(reason)s") % {"reason": reason})
    log_action(locked, LogEntry.Action.REGISTRATION, by=by, now=now, before=before, note=" ".join(parts))
    return locked


def decide_no_registration(
    item: Item | int, *, by: User, now: datetime, reason: str = "", found_at: str = ""
) -> Item:
    """KAU-DIARY-NONE: the item needs no registration; it stays in the platform's archive, found at
    ``found_at`` (its link by default), and in Kanalvakt as the item itself."""
    return decide_registration(
        item, decision=Registration.NOT_NEEDED, by=by, now=now, reason=reason, found_at=found_at
    )


@transaction.atomic
def decide_no_registration_items(items: Sequence[Item], *, by: User, now: datetime) -> list[Item]:
    """KAU-DIARY-NONE for every chosen item, each with its own default where-found note, or for none
    if one is refused (the bulk action of "my queue")."""
    return [decide_no_registration(item, by=by, now=now) for item in items]


# --- Live figures ----------------------------------------------------------------------------------------


def _month_start(now: datetime) -> datetime:
    local = timezone.localtime(now, STOCKHOLM)
    return datetime.combine(local.date().replace(day=1), time.min, tzinfo=STOCKHOLM)


def no_registration_this_month(now: datetime) -> int:
    """KAU-DIARY-NONE: items decided as needing no registration this calendar month (Stockholm), up
    to ``now`` (item_no_registration_idx)."""
    return Item.objects.filter(
        registration=Registration.NOT_NEEDED,
        registration_decided_at__gte=_month_start(now),
        registration_decided_at__lte=now,
    ).count()


def handled_undecided(now: datetime) -> int:
    """KAU-DIARY-NONE: items dealt with by ``now`` whose registration nobody has decided."""
    return Item.objects.filter(
        registration=Registration.UNDECIDED, handled_at__isnull=False, handled_at__lte=now
    ).count()

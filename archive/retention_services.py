"""The one write path of the retention schedule and of legal holds (arkivlagen 10 §, RA-FS 2021:6).

The archivist (the registrar/archivist role, ``archive.manage_retention``) sets each rule's period and
legal basis; every change is a new version in the rule's history, and a disposal names the versions it
followed. Holds (``archive.place_legal_hold``) are placed and lifted, never deleted.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from archive.models import LegalHold, RetentionRule
from core.history import record
from core.models import User

MANAGE = "archive.manage_retention"
HOLD = "archive.place_legal_hold"


def may_manage(user: User) -> bool:
    """Whether the person keeps the retention schedule and decides on disposals (the archivist)."""
    return bool(user.is_active and user.has_perm(MANAGE))


def may_hold(user: User) -> bool:
    """Whether the person places and lifts legal holds (the archivist and the social media lead)."""
    return bool(user.is_active and (user.has_perm(HOLD) or user.has_perm(MANAGE)))


@transaction.atomic
def update_rule(
    rule_id: int, *, period_months: int | None, legal_basis: str, by: User, reason: str, now: datetime
) -> RetentionRule:
    """Set a rule's retention period (None: kept for ever) and its legal basis, as a new version.

    A period needs a legal basis (arkivlagen 10 §: disposal only under a regulation or decision)."""
    if not may_manage(by):
        raise PermissionDenied
    legal_basis = legal_basis.strip()
    if period_months is not None and period_months <= 0:
        raise ValidationError(
            {"period": _("A period is at least one month; leave it empty to keep for ever.")}
        )
    if period_months is not None and not legal_basis:
        raise ValidationError(
            {"legal_basis": _("Name the regulation or disposal decision that allows the disposal.")}
        )
    rule = RetentionRule.objects.select_for_update().get(pk=rule_id)
    rule.period_months, rule.legal_basis = period_months, legal_basis
    rule.updated_at, rule.updated_by = now, by
    record(rule, by=by, reason=reason or "schedule changed")
    rule.save()
    return rule


@transaction.atomic
def place_hold(
    *,
    account_id: int | None,
    item_id: int | None,
    start: date | None,
    end: date | None,
    reason: str,
    description: str,
    by: User,
    now: datetime,
) -> LegalHold:
    """Place a legal hold (gallringsspärr) on an account, an item or a period (optionally of one
    account). From now on no proposal lists what it covers, and an approved disposal skips it."""
    if not may_hold(by):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if account_id is None and item_id is None and start is None:
        errors["account"] = _("Choose an account, an item or a period to hold.")
    if (start is None) != (end is None):
        errors["end" if start is not None else "start"] = _("A period needs both its first and its last day.")
    elif start is not None and end is not None and start > end:
        errors["end"] = _("The last day comes before the first.")
    if not description.strip():
        errors["description"] = _("Say what the hold is for (the request or the investigation).")
    if reason not in LegalHold.Reason.values:
        errors["reason"] = _("Choose a reason.")
    if errors:
        raise ValidationError(errors)
    hold = LegalHold(
        account_id=account_id,
        item_id=item_id,
        start=start,
        end=end,
        reason=reason,
        description=description.strip(),
        placed_at=now,
        placed_by=by,
    )
    record(hold, by=by, reason="hold placed")
    hold.save()
    return hold


@transaction.atomic
def lift_hold(hold_id: int, *, reason: str, by: User, now: datetime) -> LegalHold:
    """Lift a hold, with the reason; the hold stays on record with who lifted it and when."""
    if not may_hold(by):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the hold is lifted.")})
    hold = LegalHold.objects.select_for_update().get(pk=hold_id)
    if hold.lifted_at is not None:
        raise ValidationError(_("The hold has already been lifted."))
    hold.lifted_at, hold.lifted_by, hold.lift_reason = now, by, reason.strip()
    record(hold, by=by, reason="hold lifted")
    hold.save()
    return hold

"""The registration decision of an item (KAU-DIARY-ACTION, KAU-DIARY-NONE): its choices and the named
conditions the item's constraints, the archive's search and the live figures share. The fields are
on moderation.models.Item; the decision is written by moderation.registration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Registration(models.TextChoices):
    """Whether an item is registered (*diarieförs*), as its own decision with who and when.

    KAU-DIARY-ACTION: an item that requires action is registered (``Item.requires_registration``
    stays true exactly for these). KAU-DIARY-NONE: most questions and comments need no registration;
    they stay in the platform's own archive, provided they can be found and handed out on request.
    An item nobody has decided on is undecided, whether or not it has been dealt with.
    """

    UNDECIDED = "undecided", _("Undecided")
    REQUIRED = "required", _("Requires registration")
    NOT_NEEDED = "not_needed", _("Needs no registration")


def flag_agrees() -> Q:
    """``requires_registration`` is true exactly when the decision is "required" (the archive's
    diary packages read the flag; the decision says who decided and when)."""
    return Q(requires_registration=True, registration=Registration.REQUIRED) | (
        Q(requires_registration=False) & ~Q(registration=Registration.REQUIRED)
    )


def not_needed_is_decided() -> Q:
    """KAU-DIARY-NONE: "needs no registration" is a decision of its own, made at a known instant."""
    return ~Q(registration=Registration.NOT_NEEDED) | Q(registration_decided_at__isnull=False)


REGISTRATION_FIELDS = [
    "requires_registration",
    "registration",
    "registration_decided_by",
    "registration_decided_at",
    "registration_reason",
    "registration_found_at",
]


def set_decision(
    item: Any, decision: str, *, by: Any, now: datetime, reason: str = "", found_at: str = ""
) -> None:
    """Set the item's decision and keep ``requires_registration`` in step (no saving: the caller
    saves ``REGISTRATION_FIELDS`` and logs). Undecided names nobody: nobody has decided."""
    item.registration = decision
    item.requires_registration = decision == Registration.REQUIRED
    decided = decision != Registration.UNDECIDED
    item.registration_decided_by = by if decided else None
    item.registration_decided_at = now if decided else None
    item.registration_reason = reason if decided else ""
    item.registration_found_at = found_at if decision == Registration.NOT_NEEDED else ""


def follow_triage(item: Any, requires_registration: bool, *, by: Any, now: datetime) -> None:
    """KAU-DIARY-ACTION read from the triage's "requires registration": ticked makes the decision
    "required" (the decision a question can turn out to need later); unticked takes a "required"
    back to undecided and leaves a "needs no registration" (KAU-DIARY-NONE) as it was."""
    if requires_registration and item.registration != Registration.REQUIRED:
        set_decision(item, Registration.REQUIRED, by=by, now=now)
    elif not requires_registration and item.registration == Registration.REQUIRED:
        set_decision(item, Registration.UNDECIDED, by=by, now=now)

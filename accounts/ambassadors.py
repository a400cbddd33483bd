"""Student ambassadors and bloggers on assignment (KAU-PRIVATE, KTH-PRIVATE, KTH-BLOG).

People who speak for a unit without being its official voice: a student ambassador on the unit's
Instagram, a blogger on its blog. They are proposed by a communicator, an account owner or a head,
approved by the head of the unit (KTH-BLOG: bloggers are approved by the authorised manager), and
shown on the public list of official accounts in a section of their own that says they speak from
their own perspective and are not official spokespersons (KAU-PRIVATE). A person who is not employed
speaks only on a direct assignment from the unit, whose text is kept (KTH-BLOG).

Every state change is one function here; nothing is ever deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.ambassador_models import Ambassador, AmbassadorQuerySet
from accounts.models import Account
from core.calendar import local_today
from core.history import record
from core.models import OrgUnit, User
from core.notifications import notify
from core.roles import Role, has_role
from core.todo import TodoSection
from core.units import approvers_on_paths, in_subtrees, unit_paths_headed_by

# An assignment runs at most two years (a leap day among them) and starts within a year: propose it
# again to continue. Bounds keep a typing mistake (year 20260) out of the public list.
MAX_DAYS = 731
STARTS_WITHIN_DAYS = 366


# --- Who decides, who sees, who acts ---------------------------------------------------------------


def approvers_for(ambassadors: Iterable[Ambassador]) -> dict[int, User | None]:
    """Who approves each proposal, in one query for any number (KTH-BLOG): the head of the unit, or
    the nearest head above, by the same rule as new-account requests (core.units.approvers_on_paths)."""
    return approvers_on_paths(
        {ambassador.pk: (ambassador.unit.path, ambassador.proposed_by_id) for ambassador in ambassadors}
    )


def approver_for(ambassador: Ambassador) -> User | None:
    return approvers_for([ambassador])[ambassador.pk]


def _approver_for_unit(unit: OrgUnit, proposer: User) -> User | None:
    """Who would approve a proposal by ``proposer`` for ``unit``: read before anything is stored."""
    return approvers_on_paths({0: (unit.path, proposer.pk)})[0]


def _sees_all(user: Any) -> bool:
    """The social media lead and the communications department see every assignment."""
    return has_role(user, Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD)


def visible_to(user: Any) -> AmbassadorQuerySet:
    """Every assignment ``user`` may see, as one filter: all for the lead and the communications
    department; otherwise those of the units they head and below, those they proposed, and those on
    an account they own or deputise for."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Ambassador.objects.none()
    if _sees_all(user):
        return Ambassador.objects.all()
    kept = Q(account__owner=user) | Q(
        account_id__in=Account.deputies.through.objects.filter(user=user).values("account_id")
    )
    return Ambassador.objects.filter(Q(proposed_by=user) | kept | in_subtrees(unit_paths_headed_by(user)))


def may_propose(user: Any) -> bool:
    """Communicators, account owners and deputies, heads of unit, the communications department and
    the social media lead propose; the registrar, the security officer and others do not."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if has_role(user, Role.COMMUNICATOR, Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD):
        return True
    return bool(unit_paths_headed_by(user)) or Account.objects.kept_by(user).exists()


def may_decide(user: Any, ambassador: Ambassador) -> bool:
    approver = approver_for(ambassador)
    return approver is not None and approver.pk == getattr(user, "pk", None)


def may_end(user: Any, ambassador: Ambassador) -> bool:
    """The head of the unit (or of a unit above), the proposer, the lead and the communications
    department may end an assignment early."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if _sees_all(user) or ambassador.proposed_by_id == user.pk:
        return True
    return any(ambassador.unit.path.startswith(path) for path in unit_paths_headed_by(user))


# --- Changes ---------------------------------------------------------------------------------------


def _check_period(starts_on: date, ends_on: date, *, today: date) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if ends_on < starts_on:
        errors["ends_on"] = _("The last day cannot come before the first day.")
    elif ends_on < today:
        errors["ends_on"] = _("The period has already ended.")
    elif (ends_on - starts_on).days + 1 > MAX_DAYS:
        errors["ends_on"] = _("An assignment runs at most two years; propose it again to continue.")
    if starts_on > today + timedelta(days=STARTS_WITHIN_DAYS):
        errors["starts_on"] = _("The period starts within a year from today.")
    return errors


@transaction.atomic
def propose_ambassador(
    *,
    name: str,
    email: str,
    employed: bool,
    kind: str,
    unit: OrgUnit,
    account: Account | None,
    starts_on: date,
    ends_on: date,
    duties: str,
    assignment: str,
    by: User,
    now: datetime,
) -> Ambassador:
    """Propose a student ambassador, a blogger or another voice for ``unit`` (KAU-PRIVATE, KTH-BLOG).

    The head of the unit is told and approves; the proposer cannot pick the approver. A person who is
    not employed needs the unit's direct assignment (KTH-BLOG); a student ambassador or another voice
    speaks on one of the unit's accounts, a blogger may write on the unit's blog without one.
    """
    if not may_propose(by):
        raise PermissionDenied
    errors = _check_period(starts_on, ends_on, today=local_today(now))
    if kind not in Ambassador.Kind.values:
        errors["kind"] = _("Choose a kind.")
    if not name.strip():
        errors["name"] = _("Give the person's name.")
    if not duties.strip():
        errors["duties"] = _("Say what they do.")
    if not employed and not assignment.strip():
        errors["assignment"] = _(
            "A person who is not employed speaks for the unit only on a direct assignment from it: "
            "write the assignment (KTH-BLOG)."
        )
    if not unit.is_active:
        errors["unit"] = _("The unit is no longer active.")
    if account is None and kind != Ambassador.Kind.BLOGGER:
        errors["account"] = _("Choose the account they speak on.")
    if account is not None:
        if account.status == Account.Status.CLOSED:
            errors["account"] = _("The account is closed.")
        elif not account.unit.is_within(unit):
            errors["account"] = _("The account belongs to another unit.")
    if "unit" not in errors and _approver_for_unit(unit, by) is None:
        errors["unit"] = _("The unit has no head who could approve; ask the communications department.")
    if errors:
        raise ValidationError(errors)
    ambassador = Ambassador(
        name=name.strip(),
        email=email.strip(),
        employed=employed,
        kind=kind,
        unit=unit,
        account=account,
        starts_on=starts_on,
        ends_on=ends_on,
        duties=duties.strip(),
        assignment=assignment.strip(),
        status=Ambassador.Status.PROPOSED,
        proposed_at=now,
        proposed_by=by,
    )
    record(ambassador, by=by, reason="proposed")
    ambassador.save()
    approver = approver_for(ambassador)
    notify(
        kind="ambassador_proposed",
        key=f"ambassador:{ambassador.pk}:proposed",
        recipients=[approver] if approver is not None else [],
        subject=gettext_lazy("%(name)s is proposed to speak for %(unit)s: your decision"),
        subject_params={"name": ambassador.name, "unit": unit.name},
        template="emails/ambassador_proposed.txt",
        context={"ambassador": ambassador},
        url=ambassador.get_absolute_url(),
    )
    return ambassador


def _locked(ambassador: Ambassador) -> Ambassador:
    return (
        Ambassador.objects.select_for_update(of=("self",))
        .select_related("unit", "proposed_by")
        .get(pk=ambassador.pk)
    )


def _decide(ambassador: Ambassador, *, approve: bool, by: User, reason: str, now: datetime) -> Ambassador:
    ambassador = _locked(ambassador)
    if not may_decide(by, ambassador):
        raise PermissionDenied
    if ambassador.status != Ambassador.Status.PROPOSED:
        raise ValidationError(_("Only a proposal awaiting approval can be decided."))
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for refusing.")})
    if approve and ambassador.ends_on < local_today(now):
        raise ValidationError(_("The period has already ended; propose a new one."))
    ambassador.status = Ambassador.Status.APPROVED if approve else Ambassador.Status.REFUSED
    ambassador.decided_at, ambassador.decided_by, ambassador.decision_reason = now, by, reason.strip()
    record(ambassador, by=by, reason="approved" if approve else "refused")
    ambassador.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    notify(
        kind="ambassador_decided",
        key=f"ambassador:{ambassador.pk}:decided",
        recipients=[ambassador.proposed_by],
        subject=gettext_lazy("Decided: %(name)s for %(unit)s"),
        subject_params={"name": ambassador.name, "unit": ambassador.unit.name},
        template="emails/ambassador_decided.txt",
        context={"ambassador": ambassador, "approved": approve},
        url=ambassador.get_absolute_url(),
    )
    return ambassador


@transaction.atomic
def approve_ambassador(ambassador: Ambassador, *, by: User, reason: str = "", now: datetime) -> Ambassador:
    """The head of the unit approves (KTH-BLOG: the authorised manager approves bloggers); the
    proposer is told. From the first day of the period they are on the public list (KAU-PRIVATE)."""
    return _decide(ambassador, approve=True, by=by, reason=reason, now=now)


@transaction.atomic
def refuse_ambassador(ambassador: Ambassador, *, by: User, reason: str, now: datetime) -> Ambassador:
    """The head of the unit refuses, with a reason (KTH-BLOG); the proposer is told."""
    return _decide(ambassador, approve=False, by=by, reason=reason, now=now)


@transaction.atomic
def end_ambassador(ambassador: Ambassador, *, by: User, reason: str, now: datetime) -> Ambassador:
    """End an approved assignment before its last day, with a reason; it leaves the public list at
    once (KAU-PRIVATE) and is kept with its history."""
    ambassador = _locked(ambassador)
    if not may_end(by, ambassador):
        raise PermissionDenied
    if ambassador.status != Ambassador.Status.APPROVED or ambassador.ends_on < local_today(now):
        raise ValidationError(_("Only an approved assignment that has not ended can be ended early."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for ending early.")})
    ambassador.status = Ambassador.Status.ENDED
    ambassador.ended_at, ambassador.ended_by, ambassador.end_reason = now, by, reason.strip()
    record(ambassador, by=by, reason="ended early")
    ambassador.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    return ambassador


# --- The start page and the policy page ------------------------------------------------------------


def todo_ambassadors(user: Any, now: datetime) -> TodoSection | None:
    """The start page of a head: proposals whose approver, by the organisation tree, is this person
    (KTH-BLOG). Two queries besides the person's headed units."""
    if not getattr(user, "is_authenticated", False):
        return None
    paths = unit_paths_headed_by(user)
    if not paths:
        return None
    candidates = list(
        Ambassador.objects.awaiting_approval()
        .filter(in_subtrees(paths))
        .select_related("unit", "proposed_by", "account")
        .order_by("proposed_at", "pk")[:500]
    )
    approvers = approvers_for(candidates)
    rows = [a for a in candidates if (approver := approvers[a.pk]) is not None and approver.pk == user.pk]
    if not rows:
        return None
    return TodoSection(
        key="ambassadors-decide",
        title=gettext_lazy("Ambassadors and bloggers awaiting your approval"),
        empty="",
        template="accounts/ambassador_todo.html",
        rows=rows,
    )


def count_current(now: datetime) -> int:
    """Live figure (KAU-PRIVATE, KTH-BLOG): approved ambassadors and bloggers whose period includes
    today, as the public list shows them."""
    return Ambassador.objects.current(local_today(now)).count()


def count_awaiting_approval(now: datetime) -> int:
    """Live figure (KTH-BLOG): proposals awaiting the head's approval."""
    return Ambassador.objects.awaiting_approval().count()

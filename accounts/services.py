"""Every change to the account registry goes through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.dates import add_months
from accounts.models import Account
from accounts.selectors import is_owner_or_deputy
from core.history import record
from core.models import InstitutionSettings, OrgUnit, User
from core.roles import Role, has_role

# --- Who may act on the registry ----------------------------------------------------------------------
# The views ask these to show an action or answer 403; the services ask them again before they write.


def may_register(user: Any) -> bool:
    """The communications department and the social media lead register accounts that existed
    before Kanalvakt directly (KAU-START-COMMS: the department knows every account)."""
    return bool(getattr(user, "is_active", False)) and has_role(
        user, Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD
    )


def may_confirm(user: Any, account: Account) -> bool:
    """The owner and deputies, the communications department and the social media lead confirm the
    public-records notice (KAU-INFORM) and sender and profile (KAU-SENDER)."""
    if not getattr(user, "is_active", False):
        return False
    return has_role(user, Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD) or is_owner_or_deputy(user, account)


def may_record_startpage(user: Any, account: Account) -> bool:
    """KAU-STARTPAGE: "the account owner takes a screenshot of the channel's start page", so the
    owner and the deputies record start-page screenshots; heads, the communications department, the
    social media lead and the registrar see them (archive.startpage.may_view_startpages)."""
    return bool(getattr(user, "is_active", False)) and is_owner_or_deputy(user, account)


@transaction.atomic
def register_account(
    *,
    unit: OrgUnit,
    platform: str,
    name: str,
    owner: User,
    deputies: Sequence[User],
    by: User | None,
    handle: str = "",
    url: str = "",
    platform_other: str = "",
    status: str = Account.Status.ACTIVE,
    now: datetime | None = None,
    reason: str = "registered",
) -> Account:
    """Enter an account in the registry with its owner and deputies (KAU-RESP-OWNER).

    An account has an owner and at least one deputy, all different active people.
    """
    if status == Account.Status.CLOSING:
        # KAU-CLOSE: closing is a workflow (accounts.closing.start_closing), never a starting state.
        raise ValidationError({"status": _("An account is closed through the closing workflow.")})
    deputy_list = list(dict.fromkeys(deputies))
    if not deputy_list:
        raise ValidationError({"deputies": _("An account needs at least one deputy.")})
    if owner in deputy_list:
        raise ValidationError({"deputies": _("The account owner cannot also be a deputy.")})
    inactive = [person for person in [owner, *deputy_list] if not person.is_active]
    if inactive:
        raise ValidationError(
            _("Owner and deputies must be active people: %(names)s.")
            % {"names": ", ".join(map(str, inactive))}
        )
    now = now or timezone.now()
    institution = InstitutionSettings.objects.get_solo()
    account = Account(
        unit=unit,
        platform=platform,
        platform_other=platform_other,
        name=name,
        handle=handle,
        url=url,
        owner=owner,
        status=status,
        registered_by=by if by is not None and by.is_authenticated else None,
        # KAU-FOLLOWUP: the first follow-up falls one interval after registration.
        followup_due_on=add_months(timezone.localdate(now), institution.followup_interval_months),
        closed_at=now if status == Account.Status.CLOSED else None,
        closed_by=by if status == Account.Status.CLOSED and by is not None and by.is_authenticated else None,
    )
    account.full_clean()
    record(account, by=by, reason=reason)
    account.save()
    account.deputies.set(deputy_list)
    return account


@transaction.atomic
def register_existing_account(
    *,
    by: User,
    unit: OrgUnit,
    platform: str,
    name: str,
    owner: User,
    deputies: Sequence[User],
    handle: str = "",
    url: str = "",
    platform_other: str = "",
    status: str = Account.Status.ACTIVE,
    now: datetime,
) -> Account:
    """The communications department registers a channel that existed before Kanalvakt
    (KAU-START-COMMS), with its owner and deputies (KAU-RESP-OWNER).

    No new-account request lies behind it, so its strategy document is missing (KAU-START-CHECKLIST)
    until one is written and approved for it.
    """
    if not may_register(by):
        raise PermissionDenied
    return register_account(
        unit=unit,
        platform=platform,
        platform_other=platform_other,
        name=name,
        handle=handle,
        url=url,
        owner=owner,
        deputies=deputies,
        status=status,
        by=by,
        now=now,
        reason="registered directly",
    )


def _locked_for_confirmation(account_id: int, *, by: User) -> Account:
    account = Account.objects.select_for_update(of=("self",)).select_related("unit").get(pk=account_id)
    if not may_confirm(by, account):
        raise PermissionDenied
    if account.status == Account.Status.CLOSED:
        raise ValidationError(_("The account is closed: there is nothing more to confirm."))
    return account


@transaction.atomic
def confirm_notice(account_id: int, *, by: User, now: datetime) -> Account:
    """Confirm that the account tells visitors their messages are public records and that posts
    breaking the law may be removed (KAU-INFORM)."""
    account = _locked_for_confirmation(account_id, by=by)
    account.notice_confirmed_at, account.notice_confirmed_by = now, by
    record(account, by=by, reason="notice confirmed")
    account.save(update_fields=["notice_confirmed_at", "notice_confirmed_by"])
    return account


@transaction.atomic
def confirm_sender(account_id: int, *, by: User, now: datetime) -> Account:
    """Confirm that sender and profile follow the profile guide (KAU-SENDER, KAU-PROFILE-GUIDE)."""
    account = _locked_for_confirmation(account_id, by=by)
    account.sender_confirmed_at, account.sender_confirmed_by = now, by
    record(account, by=by, reason="sender confirmed")
    account.save(update_fields=["sender_confirmed_at", "sender_confirmed_by"])
    return account


class StartPageProof(Protocol):
    """What the registry reads of a kept screenshot (archive.models.Screenshot)."""

    @property
    def taken_at(self) -> datetime: ...

    def is_startpage_of(self, account_id: int) -> bool: ...

    def is_capture(self) -> bool: ...


@transaction.atomic
def record_startpage(
    account_id: int, *, screenshot: StartPageProof, by: User | None, now: datetime
) -> Account:
    """Record a kept start-page screenshot as the account's latest (KAU-STARTPAGE).

    The screenshot is the proof: only a start-page ``Screenshot`` of this account, already kept by
    archive.services, is recorded (archive.startpage calls this after keeping it). The account owner
    and the deputies take it; ``by`` is None only for Kanalvakt's own capture by the daily job. A
    screenshot taken at or after a major change (owner, name, handle) answers it, so the need for a
    new one is cleared. A screenshot in the future is refused.
    """
    account = Account.objects.select_for_update(of=("self",)).select_related("unit").get(pk=account_id)
    if by is None:
        # Nobody but Kanalvakt itself records without a person: its own capture of the public page.
        if not screenshot.is_capture():
            raise PermissionDenied
    elif not may_record_startpage(by, account):
        raise PermissionDenied
    if account.status == Account.Status.CLOSED:
        raise ValidationError(_("The account is closed: there is nothing more to confirm."))
    if not screenshot.is_startpage_of(account.pk):
        raise ValidationError(_("This is not a screenshot of the account's start page."))
    taken_at = screenshot.taken_at
    if taken_at > now:
        raise ValidationError({"taken_at": _("The screenshot cannot be taken at a time still to come.")})
    # An older screenshot recorded late never hides a newer one (KAU-STARTPAGE).
    account.last_startpage_at = max(account.last_startpage_at or taken_at, taken_at)
    fields = ["last_startpage_at"]
    needed = account.startpage_needed_since
    if needed is not None and taken_at >= needed:
        account.startpage_needed_since = None
        fields.append("startpage_needed_since")
    record(account, by=by, reason="start-page screenshot recorded")
    account.save(update_fields=fields)
    return account

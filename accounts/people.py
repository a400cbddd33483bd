"""Owner, deputies, major changes and people who have left (KAU-RESP-OWNER, KAU-RESP-MANAGER).

Every account has an owner and at least one deputy, all still active (KAU-RESP-OWNER). A change of
owner, a rename or a new handle is a major change that asks for a new start-page screenshot
(KAU-STARTPAGE). Who may change owner, deputies and the account's name is decided by ``can_manage``:
the head of the account's unit or of a unit above it (KAU-RESP-MANAGER), and the social media lead.
Views and services both ask it. When a person leaves, the head of unit and the social media lead of
each account they kept are told once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.coverage import WATCHED, people_of
from accounts.models import Account
from accounts.selectors import manages_account as can_manage
from core.history import record
from core.models import Notification, User
from core.notifications import notify
from core.roles import Role, has_role
from core.units import active_heads, nearest_head

# --- Owner, deputies and major changes -----------------------------------------------------------------


def _mark_major_change(account: Account, *, now: datetime) -> None:
    """KAU-STARTPAGE: a major change asks for a new start-page screenshot.

    An earlier request that no screenshot has answered yet is kept, so the registry can tell how long
    the screenshot has been waited for.
    """
    pending = account.startpage_needed_since is not None and (
        account.last_startpage_at is None or account.last_startpage_at < account.startpage_needed_since
    )
    if not pending:
        account.startpage_needed_since = now


def _refuse_closed(account: Account) -> None:
    if account.status == Account.Status.CLOSED:
        raise ValidationError(_("A closed account is kept as it was and cannot be changed."))


@transaction.atomic
def change_people(
    account: Account, *, owner: User, deputies: Sequence[User], by: User, now: datetime
) -> Account:
    """Make ``owner`` the account owner and ``deputies`` its deputies (KAU-RESP-OWNER).

    Only the head of the account's unit (or of a unit above) and the social media lead may do it.
    There is always at least one deputy, the owner is not a deputy, and all are active people. A new
    owner is a major change: a new start-page screenshot is needed (KAU-STARTPAGE). The history row
    holds the owner and the deputies together, with who made the change.
    """
    account = Account.objects.select_for_update(of=("self",)).select_related("unit").get(pk=account.pk)
    if not can_manage(by, account):
        raise PermissionDenied
    _refuse_closed(account)
    deputy_list = list(dict.fromkeys(deputies))
    errors: dict[str, list[str]] = {}
    if not owner.is_active:
        errors.setdefault("owner", []).append(
            _("%(name)s is no longer active and cannot be the account owner.") % {"name": owner}
        )
    if not deputy_list:
        errors.setdefault("deputies", []).append(_("An account needs at least one deputy."))
    if owner in deputy_list:
        errors.setdefault("deputies", []).append(_("The account owner cannot also be a deputy."))
    inactive = [person for person in deputy_list if not person.is_active]
    if inactive:
        errors.setdefault("deputies", []).append(
            _("Deputies must be active people: %(names)s.") % {"names": ", ".join(map(str, inactive))}
        )
    if errors:
        raise ValidationError(errors)

    owner_changed = owner.pk != account.owner_id
    current = set(account.deputies.values_list("pk", flat=True))
    deputies_changed = current != {person.pk for person in deputy_list}
    if not owner_changed and not deputies_changed:
        return account
    account.owner = owner
    if owner_changed:
        _mark_major_change(account, now=now)
    reasons = [
        reason
        for reason, changed in (("owner changed", owner_changed), ("deputies changed", deputies_changed))
        if changed
    ]
    record(account, by=by, reason=", ".join(reasons))
    if deputies_changed:
        # One history row for the whole change: the deputies are written without a row of their own
        # (simple-history would write one per removal and one per addition), and the save below
        # records the owner and the new deputies together, with who and why.
        account.skip_history_when_saving = True  # type: ignore[attr-defined]
        try:
            account.deputies.set(deputy_list)
        finally:
            del account.skip_history_when_saving  # type: ignore[attr-defined]
    account.save()
    return account


@transaction.atomic
def change_details(
    account: Account,
    *,
    name: str,
    handle: str,
    url: str,
    by: User,
    now: datetime,
    capture_start_page: bool | None = None,
    subsidiary: bool | None = None,
) -> Account:
    """Rename the account, change its handle or its address, or whether Kanalvakt captures its start
    page by itself.

    The same people as for owner and deputies may do it. A new name or handle is a major change: a new
    start-page screenshot is needed (KAU-STARTPAGE). A new address alone is not. Automatic capture
    (``capture_start_page``; None leaves it as it is) suits only a platform that shows the start page
    without signing in; the daily start-page job then captures it when one is due.

    ``subsidiary`` (None leaves it as it is) marks a subsidiary's account, outside the rule on paid
    advertising (KAU-ADS); only the social media lead, who keeps the registry whole, changes it.
    """
    account = Account.objects.select_for_update(of=("self",)).select_related("unit").get(pk=account.pk)
    if not can_manage(by, account):
        raise PermissionDenied
    _refuse_closed(account)
    name, handle, url = name.strip(), handle.strip(), url.strip()
    major = name != account.name or handle != account.handle
    capture = account.capture_start_page if capture_start_page is None else capture_start_page
    capture_changed = capture != account.capture_start_page
    subsidiary_now = account.subsidiary if subsidiary is None else subsidiary
    subsidiary_changed = subsidiary_now != account.subsidiary
    if subsidiary_changed and not has_role(by, Role.SOCIAL_MEDIA_LEAD):
        # KAU-ADS: whether the rule on paid advertising applies is not the account's own choice.
        raise PermissionDenied
    if not major and url == account.url and not capture_changed and not subsidiary_changed:
        return account
    if (
        handle
        and Account.objects.exclude(pk=account.pk)
        .exclude(status=Account.Status.CLOSED)
        .filter(platform=account.platform, handle=handle)
        .exists()
    ):
        raise ValidationError({"handle": _("Another open account on this platform already has this handle.")})
    address_changed = url != account.url
    account.name, account.handle, account.url = name, handle, url
    account.capture_start_page = capture
    account.subsidiary = subsidiary_now
    if major:
        _mark_major_change(account, now=now)
        # KAU-SENDER: the confirmation vouched for the old name and handle; the new ones need their own.
        account.sender_confirmed_at, account.sender_confirmed_by = None, None
    account.full_clean()
    reasons = [
        reason
        for reason, changed in (
            ("renamed", major),
            ("address changed", address_changed and not major),
            ("start-page capture changed", capture_changed),
            ("subsidiary changed", subsidiary_changed),
        )
        if changed
    ]
    record(account, by=by, reason=", ".join(reasons))
    account.save()
    return account


# --- People who have left ------------------------------------------------------------------------------


def _social_media_leads() -> list[User]:
    return list(User.objects.filter(groups__name=Role.SOCIAL_MEDIA_LEAD.value, is_active=True).distinct())


def _report_departures(accounts: Iterable[Account], *, only: User | None = None) -> int:
    """Tell the head of unit and the social media lead, once per (account, person), that an owner or a
    deputy of an active account is no longer active (KAU-RESP-OWNER)."""
    pairs = [
        (account, person)
        for account in accounts
        for person in people_of(account)
        if not person.is_active and (only is None or person.pk == only.pk)
    ]
    if not pairs:
        return 0
    heads = active_heads()
    leads = _social_media_leads()

    # The pairs already reported, in one query on exact keys (the unique index serves it), so that a
    # steady state costs no query per pair.
    def told(account: Account) -> list[User]:
        head = nearest_head(account.unit.path, heads)
        return [*([head] if head else []), *leads]

    keys = {
        f"person-left:{account.pk}:{person.pk}:{recipient.pk}": (account.pk, person.pk)
        for account, person in pairs
        for recipient in told(account)
    }
    done = {
        keys[key] for key in Notification.objects.filter(key__in=list(keys)).values_list("key", flat=True)
    }
    pending = [(account, person) for account, person in pairs if (account.pk, person.pk) not in done]
    if not pending:
        return 0
    count = 0
    for account, person in pending:
        role = gettext_lazy("account owner") if person.pk == account.owner_id else gettext_lazy("deputy")
        rows = notify(
            kind="person_deactivated",
            key=f"person-left:{account.pk}:{person.pk}",
            recipients=told(account),
            subject=gettext_lazy("%(person)s has left, and %(name)s needs a new %(role)s"),
            subject_params={"person": str(person), "name": account.name, "role": role},
            template="emails/person_deactivated.txt",
            context={"account": account, "person": person, "role": role},
            url=reverse("accounts:people", args=[account.pk]),
        )
        if rows:
            count += 1
    return count


def _accounts_with_inactive_people(person: User | None = None) -> list[Account]:
    if person is not None:
        accounts = Account.objects.kept_by(person)
    else:
        inactive_deputy = Account.deputies.through.objects.filter(user__is_active=False)
        accounts = Account.objects.filter(
            Q(owner__is_active=False) | Q(pk__in=inactive_deputy.values("account_id"))
        )
    return list(
        accounts.filter(WATCHED).select_related("owner", "unit").prefetch_related("deputies").order_by("pk")
    )


def flag_deactivated_people(*, now: datetime) -> int:
    """The hourly job (KAU-RESP-OWNER): for every active account whose owner or a deputy is no longer
    active, tell the head of unit and the social media lead, once per (account, person). Returns the
    number of (account, person) reported now. The registry's flag is computed from ``is_active``."""
    return _report_departures(_accounts_with_inactive_people())


@transaction.atomic
def deactivate_person(person: User, *, by: User | None, now: datetime) -> User:
    """Deactivate a person who has left (people are never deleted), and tell at once the head of unit and
    the social media lead of every active account they owned or deputised for (KAU-RESP-OWNER).

    For the administration: ``by`` is a staff member, or None for the system itself.
    """
    if by is not None and not (by.is_active and (by.is_staff or by.is_superuser)):
        raise PermissionDenied
    person = User.objects.select_for_update().get(pk=person.pk)
    if person.is_active:
        person.is_active = False
        record(person, by=by, reason="deactivated")
        person.save(update_fields=["is_active"])
    _report_departures(_accounts_with_inactive_people(person), only=person)
    return person

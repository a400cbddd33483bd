"""Every change to the account registry goes through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.dates import add_months
from accounts.models import Account
from core.history import record
from core.models import User
from governance.models import InstitutionSettings, OrgUnit


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
) -> Account:
    """Enter an account in the registry with its owner and deputies (KAU-RESP-OWNER).

    An account has an owner and at least one deputy, all different active people.
    """
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
    )
    account.full_clean()
    record(account, by=by, reason="registered")
    account.save()
    account.deputies.set(deputy_list)
    return account

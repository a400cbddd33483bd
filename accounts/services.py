"""Every change to the account registry goes through here."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Account
from core.history import record
from core.models import User
from governance.models import OrgUnit


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
    account = Account(
        unit=unit,
        platform=platform,
        platform_other=platform_other,
        name=name,
        handle=handle,
        url=url,
        owner=owner,
        status=status,
    )
    account.full_clean()
    record(account, by=by, reason="registered")
    account.save()
    account.deputies.set(deputy_list)
    return account

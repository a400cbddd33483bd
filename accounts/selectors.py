"""What a given person may see of the account registry."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Account, AccountGroupObjectPermission, AccountUserObjectPermission
from core.models import User
from governance.selectors import unit_paths_headed_by


def accounts_visible_to(user: User) -> QuerySet[Account]:
    """Every account ``user`` may see, as one filter.

    The communications department, the social media lead and the registry see every account. Anyone
    else sees the accounts they own or deputise for, the accounts of the units they head and of every
    unit below those (KAU-RESP-MANAGER), and any account granted to them through django-guardian.
    """
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.has_perm("accounts.view_all_accounts"):
        return Account.objects.all()
    condition = (
        Q(owner=user)
        | Q(pk__in=Account.deputies.through.objects.filter(user=user).values("account_id"))
        | Q(
            pk__in=AccountUserObjectPermission.objects.filter(
                user=user, permission__codename="view_account"
            ).values("content_object_id")
        )
        | Q(
            pk__in=AccountGroupObjectPermission.objects.filter(
                group__in=user.groups.all(), permission__codename="view_account"
            ).values("content_object_id")
        )
    )
    for path in unit_paths_headed_by(user):
        condition |= Q(unit__path__startswith=path)
    return Account.objects.filter(condition)

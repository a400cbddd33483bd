"""The registry's flag for the strategy document (KAU-START-CHECKLIST), registered with
accounts.flags in GovernanceConfig.ready(): the approved new-account request is the document."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.flags import Flag, Moment
from governance.models import AccountRequest


def kau_start_checklist(moment: Moment) -> Q:
    """KAU-START-CHECKLIST: no approved new-account request, and so no strategy document."""
    return Q(
        ~Exists(
            AccountRequest.objects.filter(account_id=OuterRef("pk"), status=AccountRequest.Status.APPROVED)
        )
    )


STRATEGY = Flag(
    "strategy",
    "KAU-START-CHECKLIST",
    _("No strategy document"),
    _(
        "Every account has a strategy document built on the checklist. Write it as a new-account "
        "request for this account; it is in place when the request is approved."
    ),
    kau_start_checklist,
    short=_("Strategy"),
)

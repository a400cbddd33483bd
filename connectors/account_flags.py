"""The registry's flag for a connection that needs attention (KAU-RESP-DAILY), registered with
accounts.flags in connectors.registrations."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.flags import Flag, Moment
from connectors.models import Connection


def kau_resp_daily_connection(moment: Moment) -> Q:
    """KAU-RESP-DAILY: a live connection needs attention (token expired or revoked, a permission
    missing, the page unpublished, no token): comments and messages may be going unseen."""
    return Q(
        Exists(
            Connection.objects.filter(
                account_id=OuterRef("pk"),
                disconnected_at__isnull=True,
                health=Connection.Health.ATTENTION,
            )
        )
    )


CONNECTION = Flag(
    "connection",
    "KAU-RESP-DAILY",
    _("Connection needs attention"),
    _(
        "Every account is watched daily. The account's connection to the platform needs attention, so "
        "comments and messages may be going unseen: open the connection page and reconnect or replace "
        "the token."
    ),
    kau_resp_daily_connection,
    short=_("Connection"),
)

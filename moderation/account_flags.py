"""The registry's flag for late answers (KAU-RESPONSE-DEADLINE), registered with accounts.flags in
ModerationConfig.ready()."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.flags import Flag, Moment
from moderation.models import Item


def kau_response_deadline(moment: Moment) -> Q:
    """KAU-RESPONSE-DEADLINE: an unanswered question or comment is past its outer limit."""
    return Q(
        Exists(
            Item.objects.filter(account_id=OuterRef("pk"), handled_at__isnull=True, limit_at__lte=moment.now)
        )
    )


RESPONSE = Flag(
    "response",
    "KAU-RESPONSE-DEADLINE",
    _("Unanswered past the limit"),
    _(
        "Questions and comments are handled within 24–48 working hours. At least one is still "
        "unanswered after its outer limit."
    ),
    kau_response_deadline,
    short=_("Unanswered"),
)

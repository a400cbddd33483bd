"""Demo items decided as needing no registration (KAU-DIARY-NONE): general questions and comments that
stay in the platform's own archive, found by their link, and in Kanalvakt as the item with its log."""

from __future__ import annotations

from datetime import datetime, timedelta

from moderation.models import Item, Registration
from moderation.registration import decide_no_registration

# The demo items (demo.moderation) that are general questions or comments, with why.
GENERAL = {
    "demo-fri-2": "En fråga om föreläsningsbilder: allmän, kräver ingen åtgärd.",
    "demo-sun-1": "Ett grattis; inget att diarieföra.",
    "demo-hol-3": "En allmän fråga om öppettider.",
}


def seed_no_registration(*, now: datetime) -> int:
    """Decide, as the account owner, that the general demo items need no registration, soon after
    each was dealt with. Items already decided are left as they are. Returns how many were decided."""
    decided = 0
    items = Item.objects.filter(platform_id__in=GENERAL, registration=Registration.UNDECIDED).select_related(
        "account", "account__owner"
    )
    for item in items.order_by("pk"):
        owner = item.account.owner
        if owner is None:
            continue
        at = min(now, (item.handled_at or now) + timedelta(minutes=5))
        decide_no_registration(item, by=owner, now=at, reason=GENERAL[item.platform_id])
        decided += 1
    return decided

"""The start page's list of the person's answers and removals that were not done on the platform.

The start page has a budget of eight queries, spent already by the lists every person sees. This
list is rare (it needs a refusal or a time-out), so it costs no query at all unless a hint in the
shared cache says the person may have something in it: the hint is set whenever one of their actions
is refused or left unknown (connectors.outgoing), and cleared when the list finds nothing. A lost hint
hides the list only; the person was told by e-mail and the item page shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from connectors.models import Outgoing
from core.todo import TodoSection

SHOWN = 20
HINT_FOR_A_MONTH = 31 * 24 * 3600


def _hint(user_id: int) -> str:
    return f"connectors:unposted:{user_id}"


def note_unposted(user_id: int) -> None:
    """One of the person's actions was refused or left unknown: look on their start page."""
    cache.set(_hint(user_id), True, HINT_FOR_A_MONTH)


def todo_outgoing(user: Any, now: datetime) -> TodoSection | None:
    """Refused or unknown outcomes of what the person answered or removed: one query."""
    if not getattr(user, "is_authenticated", False) or not cache.get(_hint(user.pk)):
        return None
    rows = list(
        Outgoing.objects.filter(
            requested_by=user, status__in=[Outgoing.Status.FAILED, Outgoing.Status.UNKNOWN]
        )
        .select_related("item", "item__account")
        .order_by("-requested_at", "-pk")[:SHOWN]
    )
    if not rows:
        cache.delete(_hint(user.pk))
        return None
    return TodoSection(
        key="outgoing",
        title=_("Not done on the platform"),
        empty=_("Everything you answered or removed was done on the platform."),
        template="connectors/todo_outgoing.html",
        rows=rows,
    )

"""The start page's list of the person's answers and removals that were not done on the platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from connectors.models import Outgoing
from core.todo import TodoSection

SHOWN = 20


def todo_outgoing(user: Any, now: datetime) -> TodoSection | None:
    """Refused or unknown outcomes of what the person answered or removed: one query."""
    if not getattr(user, "is_authenticated", False):
        return None
    rows = list(
        Outgoing.objects.filter(
            requested_by=user, status__in=[Outgoing.Status.FAILED, Outgoing.Status.UNKNOWN]
        )
        .select_related("item", "item__account")
        .order_by("-requested_at", "-pk")[:SHOWN]
    )
    if not rows:
        return None
    return TodoSection(
        key="outgoing",
        title=_("Not done on the platform"),
        empty=_("Everything you answered or removed was done on the platform."),
        template="connectors/todo_outgoing.html",
        rows=rows,
    )

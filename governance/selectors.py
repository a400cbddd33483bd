"""Read-side queries of the organisation tree."""

from __future__ import annotations

from django.db.models import QuerySet

from core.models import User
from governance.models import OrgUnit


def unit_paths_headed_by(user: User) -> list[str]:
    """The tree paths of the units ``user`` heads, read once per request and kept on the user."""
    cached: list[str] | None = getattr(user, "_kanalvakt_headed_paths", None)
    if cached is None:
        cached = list(OrgUnit.objects.filter(head=user, is_active=True).values_list("path", flat=True))
        user._kanalvakt_headed_paths = cached  # type: ignore[attr-defined]
    return cached


def units_in_tree_order() -> QuerySet[OrgUnit]:
    """Every unit, ordered so that each follows its parent, with its head in the same query."""
    return OrgUnit.objects.select_related("head").order_by("path")

"""Reading the organisation tree: sub-trees, the units a person heads, and the head who answers.

A unit's ``path`` lists the primary keys from the root ("/1/4/9/"), so "this unit and everything
below it" is one prefix match on an indexed column, and "the nearest head above" is a walk back
along the path over heads read in one query. Every app reads the tree through these functions.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

from django.db.models import Q, QuerySet

from core.models import OrgUnit, User

K = TypeVar("K", bound=Hashable)


def path_ids(path: str) -> list[int]:
    """The primary keys on a unit's path, from the root down to the unit itself."""
    return [int(part) for part in path.strip("/").split("/") if part]


def in_subtrees(paths: Iterable[str], *, field: str = "unit") -> Q:
    """Rows whose ``field`` (a unit, or a lookup to one such as ``account__unit``) lies in any of the
    sub-trees rooted at ``paths``. Matches nothing when ``paths`` is empty."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__path__startswith": path})
    return condition


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


def active_heads(unit_ids: Iterable[int] | None = None) -> dict[int, User]:
    """The active head of each active unit (of ``unit_ids``, or of every unit), in one query."""
    units = OrgUnit.objects.filter(is_active=True, head__isnull=False, head__is_active=True)
    if unit_ids is not None:
        units = units.filter(pk__in=set(unit_ids))
    return {unit.pk: unit.head for unit in units.select_related("head") if unit.head is not None}


def nearest_head(path: str, heads: Mapping[int, User]) -> User | None:
    """The head of the unit at ``path`` or, where it has none, of the nearest unit above
    (KAU-RESP-MANAGER). ``heads`` comes from :func:`active_heads`."""
    for unit_id in reversed(path_ids(path)):
        head = heads.get(unit_id)
        if head is not None:
            return head
    return None


def heads_for_paths(paths: Mapping[K, str]) -> dict[K, User | None]:
    """The manager answering for each key's unit (KAU-RESP-MANAGER): the head of the unit at its
    path, or the nearest active head above. One query for any number of keys."""
    heads = active_heads({unit_id for path in paths.values() for unit_id in path_ids(path)})
    return {key: nearest_head(path, heads) for key, path in paths.items()}


def approvers_on_paths(paths: Mapping[K, tuple[str, int | None]]) -> dict[K, User | None]:
    """Who decides what a person asks for a unit (KAU-START-APPROVAL for new accounts, KTH-BLOG for
    ambassadors and bloggers), for each key's ``(unit path, asked by)``, in one query for any number.

    The approver follows from the organisation tree, never from the asker's choice: the head of the
    unit, or, where the asker is that head (or the unit has none), the head of the nearest unit above.
    Nobody decides on their own asking, and no one who reports to the asker does: when the asker heads
    a unit on the path, the walk starts above the highest such unit (a dean filing for a department is
    decided above the faculty)."""
    # Heads who have left count too, for "the asker heads a unit on the path"; only active ones decide.
    units = OrgUnit.objects.filter(
        pk__in={unit_id for path, _by in paths.values() for unit_id in path_ids(path)},
        is_active=True,
        head__isnull=False,
    )
    heads = {unit.pk: unit.head for unit in units.select_related("head") if unit.head is not None}
    result: dict[K, User | None] = {}
    for key, (path, asked_by) in paths.items():
        ids = path_ids(path)
        headed = [i for i, unit_id in enumerate(ids) if unit_id in heads and heads[unit_id].pk == asked_by]
        candidates = ids[: headed[0]] if headed else ids
        deciders = [heads[i] for i in reversed(candidates) if i in heads and heads[i].is_active]
        result[key] = next((head for head in deciders if head.pk != asked_by), None)
    return result

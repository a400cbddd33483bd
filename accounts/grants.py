"""Extra grants through django-guardian, as part of a "who may see" filter.

The registry and the requests keep their grants in direct-foreign-key tables (one for people, one
for groups); both read them the same way, so a list and a detail page ask the same question.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q


def granted_to(
    user: Any,
    *,
    codename: str,
    user_grants: models.Manager[Any],
    group_grants: models.Manager[Any],
) -> Q:
    """The rows granted ``codename`` to ``user``, directly or through one of their groups: one
    subquery each, to be OR-ed into a single ``filter(Q(...) | Q(...))``. ``user_grants`` and
    ``group_grants`` are the managers of the model's two guardian tables."""
    return Q(
        pk__in=user_grants.filter(user=user, permission__codename=codename).values("content_object_id")
    ) | Q(
        pk__in=group_grants.filter(group__in=user.groups.all(), permission__codename=codename).values(
            "content_object_id"
        )
    )

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.banners import banners_for
from core.navigation import navigation_for
from core.roles import roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "nav_items": navigation_for(user, request.path) if user is not None else [],
        "user_roles": sorted(roles_of(user), key=lambda role: role.label) if user is not None else [],
    }


def banners(request: HttpRequest) -> dict[str, Any]:
    """The banners registered by the apps (core.banners), on signed-in pages only."""
    return {"banners": banners_for(request)}

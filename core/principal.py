"""Who the signed-in person is, read in one query per request.

Every page asks the same three things of the person: their roles (groups), their model permissions
(through their groups and directly) and the units they head. Asked one by one, Django's permission
backend, ``core.roles.roles_of`` and ``core.units.unit_paths_headed_by`` cost four queries
on every page before it reads anything of its own. ``PrincipalMiddleware`` reads all of it in one
``UNION ALL`` and leaves it where each of them looks first: the backend's permission caches and the
two ``_kanalvakt_`` attributes on the user. What it reads is exactly what they would have read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, F, Value
from django.db.models.functions import Concat
from django.http import HttpRequest, HttpResponse

from core.models import OrgUnit, remembered_settings


def load_principal(user: Any) -> None:
    """Fill the person's role, permission and headed-unit caches with one query. Superusers are left
    to the backend (it grants them every permission by reading them all); inactive people have no
    permissions, as Django's backend says, but their roles and units are read the same."""
    if not getattr(user, "is_authenticated", False) or hasattr(user, "_kanalvakt_roles"):
        return
    codename = Concat(F("content_type__app_label"), Value("."), F("codename"), output_field=CharField())
    rows = (
        Group.objects.filter(user=user)
        .annotate(part=Value("g", output_field=CharField()), value=F("name"))
        .order_by()
        .values_list("part", "value")
        .union(
            Permission.objects.filter(user=user)
            .annotate(part=Value("u", output_field=CharField()), value=codename)
            .order_by()
            .values_list("part", "value"),
            Permission.objects.filter(group__user=user)
            .annotate(part=Value("p", output_field=CharField()), value=codename)
            .order_by()
            .values_list("part", "value"),
            OrgUnit.objects.filter(head=user, is_active=True)
            .annotate(part=Value("h", output_field=CharField()), value=F("path"))
            .order_by()
            .values_list("part", "value"),
            all=True,
        )
    )
    found: dict[str, set[str]] = {"g": set(), "u": set(), "p": set(), "h": set()}
    for part, value in rows:
        found[part].add(value)

    from core.roles import Role  # core.roles imports the models' apps; keep this module light

    user._kanalvakt_roles = frozenset(role for role in Role if role.value in found["g"])
    user._kanalvakt_headed_paths = sorted(found["h"])
    if not user.is_superuser:
        active = user.is_active
        user._user_perm_cache = found["u"] if active else set()
        user._group_perm_cache = found["p"] if active else set()
        user._perm_cache = (found["u"] | found["p"]) if active else set()


class PrincipalMiddleware:
    """Read the signed-in person's roles, permissions and headed units once, before the view; and
    keep the institution's settings row for the request once it is read (governance.models)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            load_principal(user)
        with remembered_settings():
            return self.get_response(request)

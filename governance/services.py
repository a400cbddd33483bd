"""Every change to the organisation tree and the institution settings goes through here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from core.history import record
from core.models import User
from core.roles import Role
from governance.models import InstitutionSettings, OrgUnit


@transaction.atomic
def create_unit(
    *,
    name: str,
    code: str,
    kind: str,
    parent: OrgUnit | None,
    head: User | None,
    by: User | None,
    name_en: str = "",
) -> OrgUnit:
    """Add a unit to the organisation tree, with its head (KAU-START-APPROVAL)."""
    unit = OrgUnit(name=name, name_en=name_en, code=code, kind=kind, parent=parent, head=None, path="")
    record(unit, by=by, reason="created")
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    if head is not None:
        set_unit_head(unit, head=head, by=by)
    return unit


@transaction.atomic
def set_unit_head(unit: OrgUnit, *, head: User | None, by: User | None) -> OrgUnit:
    """Make ``head`` the manager with operational responsibility for ``unit``.

    The head-of-unit role follows: a person who heads a unit is in the group, one who heads none is not.
    """
    previous = unit.head
    unit.head = head
    record(unit, by=by, reason="head changed")
    unit.save(update_fields=["head"])
    group, _created = Group.objects.get_or_create(name=Role.HEAD_OF_UNIT.value)
    if head is not None:
        head.groups.add(group)
    if previous is not None and previous != head and not previous.headed_units.exists():
        previous.groups.remove(group)
    return unit


@transaction.atomic
def update_institution_settings(*, by: User, **fields: Any) -> InstitutionSettings:
    """Change the institution's settings; history keeps who changed what."""
    current = InstitutionSettings.objects.select_for_update().get(
        pk=InstitutionSettings.objects.get_solo().pk
    )
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    record(current, by=by, reason="settings changed")
    current.save()
    return current

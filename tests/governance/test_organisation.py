"""The organisation tree, heads of unit and the institution settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.models import InstitutionSettings, OrgUnit
from core.roles import Role
from governance import services
from tests.conftest import Cast


def test_units_carry_their_path_from_the_root(cast: Cast) -> None:
    department = cast.units["department"]
    faculty, university = cast.units["faculty"], cast.units["university"]
    assert department.path == f"/{university.pk}/{faculty.pk}/{department.pk}/"
    assert department.is_within(faculty)
    assert not faculty.is_within(department)
    assert list(department.ancestors()) == [university, faculty]


def test_heading_a_unit_gives_the_head_role_and_losing_the_last_takes_it(cast: Cast) -> None:
    head = cast["head_of_unit"]
    assert head.groups.filter(name=Role.HEAD_OF_UNIT.value).exists()
    services.set_unit_head(cast.units["department"], head=cast["outsider"], by=cast["social_media_lead"])
    assert not head.groups.filter(name=Role.HEAD_OF_UNIT.value).exists()
    assert cast["outsider"].groups.filter(name=Role.HEAD_OF_UNIT.value).exists()
    latest = cast.units["department"].history.latest()
    assert latest.history_user == cast["social_media_lead"]
    assert latest.history_change_reason == "head changed"


def test_institution_settings_have_the_policy_defaults(db: None) -> None:
    current = InstitutionSettings.objects.get_solo()
    assert current.social_media_address == "socialamedier@kau.se"
    assert (current.response_due_hours, current.response_limit_hours) == (24, 48)
    assert current.startpage_interval_months == 6


def test_settings_refuse_a_due_time_after_the_limit(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        services.update_institution_settings(by=cast["social_media_lead"], response_due_hours=60)
    assert InstitutionSettings.objects.get_solo().response_due_hours == 24


def test_there_is_only_one_settings_row(db: None) -> None:
    InstitutionSettings.objects.get_solo()
    with pytest.raises(IntegrityError), transaction.atomic():
        InstitutionSettings.objects.create(pk=2)


def test_a_unit_cannot_be_its_own_parent(cast: Cast) -> None:
    unit = cast.units["department"]
    unit.parent = unit
    with pytest.raises(IntegrityError), transaction.atomic():
        unit.save()


def test_records_cannot_be_deleted_in_the_admin(admin_client: Any, cast: Cast) -> None:
    from django.urls import reverse

    unit = cast.units["other"]
    response = admin_client.get(reverse("admin:core_orgunit_delete", args=[unit.pk]))
    assert response.status_code == 403
    admin_client.post(
        reverse("admin:core_orgunit_changelist"),
        {"action": "delete_selected", "_selected_action": [unit.pk]},
    )
    assert OrgUnit.objects.filter(pk=unit.pk).exists()

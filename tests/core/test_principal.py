"""core.principal reads a person's roles, permissions and headed units in one query, and leaves exactly
what Django's permission backend, roles_of and unit_paths_headed_by would have read one by one."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import User
from core.principal import load_principal
from core.roles import roles_of
from core.units import unit_paths_headed_by
from tests.conftest import Cast


def _fresh(pk: int) -> User:
    return User.objects.get(pk=pk)


@pytest.mark.parametrize(
    "person",
    [
        "communicator",
        "head_of_unit",
        "dean",
        "communications",
        "social_media_lead",
        "registrar",
        "security_officer",
        "outsider",
        "staff",
    ],
)
def test_one_query_reads_what_the_backend_and_the_selectors_would(cast: Cast, person: str) -> None:
    direct = Permission.objects.get(codename="view_heartbeat")
    cast["outsider"].user_permissions.add(direct)  # a permission given to the person, not the role

    expected_user = _fresh(cast[person].pk)
    expected = (
        expected_user.get_all_permissions(),
        roles_of(expected_user),
        unit_paths_headed_by(expected_user),
    )

    loaded = _fresh(cast[person].pk)
    with CaptureQueriesContext(connection) as queries:
        load_principal(loaded)
        got = (loaded.get_all_permissions(), roles_of(loaded), unit_paths_headed_by(loaded))
    assert len(queries) == 1
    assert got == expected
    if person == "outsider":
        assert "core.view_heartbeat" in got[0]


def test_an_inactive_person_has_no_permissions(cast: Cast) -> None:
    person: Any = _fresh(cast["social_media_lead"].pk)
    person.is_active = False
    load_principal(person)
    assert person.get_all_permissions() == set()
    assert not person.has_perm("core.change_institutionsettings")

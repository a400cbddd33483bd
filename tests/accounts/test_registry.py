"""Who sees which account (KAU-RESP-MANAGER, KAU-RESP-OWNER), and the registry's query count."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accounts import services
from accounts.selectors import accounts_visible_to
from tests.conftest import Cast


def test_visibility_follows_ownership_the_unit_tree_and_roles(cast: Cast, make_account: Any) -> None:
    department = make_account(name="Institutionens konto")
    other = make_account(unit="other", owner="other_head", deputies=("outsider",), name="Andra kontot")

    def visible(person: str) -> set[str]:
        return set(accounts_visible_to(cast[person]).values_list("name", flat=True))

    assert visible("communicator") == {department.name}  # owner
    assert visible("deputy") == {department.name}  # deputy
    assert visible("head_of_unit") == {department.name}  # head of the account's unit
    assert visible("dean") == {department.name, other.name}  # head of a unit above
    assert visible("other_head") == {other.name}
    assert (
        visible("communications")
        == visible("social_media_lead")
        == visible("registrar")
        == {
            department.name,
            other.name,
        }
    )
    assert visible("security_officer") == set()

    assign_perm("view_account", cast["security_officer"], other)  # an extra grant on one object
    assert visible("security_officer") == {other.name}

    from django.contrib.auth.models import Group

    assign_perm("view_account", Group.objects.get(name="security_officer"), department)  # a grant to a role
    assert visible("security_officer") == {department.name, other.name}


def test_an_inactive_person_sees_nothing(cast: Cast, make_account: Any) -> None:
    make_account()
    cast["communicator"].is_active = False
    assert not accounts_visible_to(cast["communicator"]).exists()


def test_an_account_needs_an_owner_and_a_different_deputy(cast: Cast) -> None:
    """KAU-RESP-OWNER: every account has an owner and at least one deputy."""
    unit = cast.units["department"]
    with pytest.raises(ValidationError) as no_deputy:
        services.register_account(
            unit=unit, platform="instagram", name="A", owner=cast["communicator"], deputies=[], by=None
        )
    assert set(no_deputy.value.message_dict) == {"deputies"}
    with pytest.raises(ValidationError) as owner_as_deputy:
        services.register_account(
            unit=unit,
            platform="instagram",
            name="A",
            owner=cast["communicator"],
            deputies=[cast["communicator"]],
            by=None,
        )
    assert set(owner_as_deputy.value.message_dict) == {"deputies"}
    cast["deputy"].is_active = False
    cast["deputy"].save()
    with pytest.raises(ValidationError):
        services.register_account(
            unit=unit,
            platform="instagram",
            name="A",
            owner=cast["communicator"],
            deputies=[cast["deputy"]],
            by=None,
        )
    from accounts.models import Account

    assert not Account.objects.exists()


def test_registry_list_makes_the_same_number_of_queries_for_1_and_30_accounts(
    client: Any, cast: Cast, make_account: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(cast["social_media_lead"])
    make_account()
    client.get(reverse("accounts:list"))  # warm the session and the content-type cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("accounts:list")).status_code == 200
    for _ in range(29):
        make_account()
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("accounts:list"))
    assert len(response.context["page"].object_list) == 30


def test_registry_list_shows_only_what_the_person_may_see(client: Any, cast: Cast, make_account: Any) -> None:
    make_account(name="Synligt konto")
    make_account(unit="other", owner="other_head", deputies=("outsider",), name="Osynligt konto")
    client.force_login(cast["communicator"])
    body = client.get(reverse("accounts:list")).content.decode()
    assert "Synligt konto" in body
    assert "Osynligt konto" not in body

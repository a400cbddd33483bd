"""Private accounts are never registered (KAU-PRIVATE, KTH-PRIVATE): the registration form asks, and a
yes is refused on its field with the reason, storing nothing."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from accounts.models import Account
from tests.accounts.test_registry_views import register_data
from tests.conftest import Cast
from tests.support import in_english


def test_kau_private_kth_private_an_employees_private_account_is_refused_with_the_reason(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast["communications"])
    response = in_english(client).post(
        reverse("accounts:register"), register_data(cast, private_account="yes")
    )
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["private_account"])
    assert "private account is not registered" in errors
    assert "KAU-PRIVATE" in errors
    assert "KTH-PRIVATE" in errors
    assert "public records" in errors
    assert not Account.objects.exists()


def test_kau_private_the_question_must_be_answered(client: Client, cast: Cast) -> None:
    client.force_login(cast["communications"])
    data: dict[str, Any] = register_data(cast)
    del data["private_account"]
    response = client.post(reverse("accounts:register"), data)
    assert response.status_code == 400
    assert "private_account" in response.context["form"].errors
    assert not Account.objects.exists()


def test_kau_private_an_account_with_the_university_as_sender_is_registered(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast["communications"])
    body = in_english(client).get(reverse("accounts:register")).content.decode()
    assert "Is this an employee&#x27;s private account?" in body
    response = client.post(reverse("accounts:register"), register_data(cast, private_account="no"))
    assert response.status_code == 302
    assert Account.objects.get().name == "Fysikens Facebooksida"

"""The new-account request form says what a request is for (KAU-PRIVATE): an account with the university
as sender; private accounts are not registered."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.support import in_english


def test_kau_private_the_request_form_explains_that_private_accounts_are_not_registered(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast["communicator"])
    body = in_english(client).get(reverse("governance:request_create")).content.decode()
    assert 'data-rule="KAU-PRIVATE"' in body
    assert "A request is for an account with the university as sender" in body
    assert "Private accounts are not registered" in body

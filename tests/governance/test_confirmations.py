"""Decisions that cannot be undone ask for a confirmation that works without JavaScript: approving
or rejecting a request (KAU-START-APPROVAL) and closing an account (KAU-CLOSE). Unconfirmed, they
are refused with the box named, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Account
from governance.models import AccountRequest, RequestEvent
from tests.conftest import Cast
from tests.governance.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_an_unconfirmed_decision_changes_nothing(client: Client, cast: Cast, action: str) -> None:
    req = make_request(cast, state="reviewed")
    accounts, events = Account.objects.count(), RequestEvent.objects.count()
    client.force_login(cast["head_of_unit"])
    url = reverse("governance:request_decide", args=[req.pk])
    with translation.override("en"):
        response = client.post(url, {"action": action, "reason": "Väl förberett."}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert set(response.context["decision_form"].errors) == {"confirm"}
    assert AccountRequest.objects.get(pk=req.pk).status == "reviewed"
    assert (Account.objects.count(), RequestEvent.objects.count()) == (accounts, events)


@pytest.mark.parametrize(("action", "outcome"), [("approve", "approved"), ("reject", "rejected")])
def test_a_confirmed_decision_is_made(client: Client, cast: Cast, action: str, outcome: str) -> None:
    req = make_request(cast, state="reviewed")
    client.force_login(cast["head_of_unit"])
    url = reverse("governance:request_decide", args=[req.pk])
    response = client.post(url, {"action": action, "reason": "Väl förberett.", "confirm": "on"})
    assert response.status_code == 302
    assert AccountRequest.objects.get(pk=req.pk).status == outcome


def test_the_decision_form_carries_a_required_confirmation(client: Client, cast: Cast) -> None:
    req = make_request(cast, state="reviewed")
    client.force_login(cast["head_of_unit"])
    body = client.get(req.get_absolute_url()).content.decode()
    form = body.split(f'action="{reverse("governance:request_decide", args=[req.pk])}"', 1)[1].split(
        "</form>"
    )[0]
    assert 'type="checkbox" name="confirm"' in form
    assert "required" in form.split('name="confirm"', 1)[1].split(">", 1)[0]


def _closable(cast: Cast, make_account: Any) -> Account:
    from tests.accounts.test_closing import in_closing

    account = in_closing(make_account(), cast, commenting="off", screenshot=True)
    return Account.objects.get(pk=account.pk)


def test_an_unconfirmed_closing_changes_nothing(client: Client, cast: Cast, make_account: Any) -> None:
    account = _closable(cast, make_account)
    client.force_login(cast["head_of_unit"])
    url = reverse("accounts:closing", args=[account.pk])
    assert 'name="close-confirm"' in client.get(url).content.decode()
    response = client.post(url, {"step": "close"})
    assert response.status_code == 400
    assert set(response.context["close_form"].errors) == {"confirm"}
    assert Account.objects.get(pk=account.pk).status == "closing"
    response = client.post(url, {"step": "close", "close-confirm": "on"})
    assert response.status_code == 302
    assert Account.objects.get(pk=account.pk).status == "closed"

"""A subsidiary's account is marked in the registry: outside the rule on paid advertising (KAU-ADS)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import people
from tests.conftest import Cast
from tests.support import in_english

pytestmark = pytest.mark.django_db


def details(account: Any, **extra: Any) -> dict[str, Any]:
    return {"name": account.name, "handle": account.handle, "url": "", **extra}


def test_kau_ads_the_lead_marks_a_subsidiarys_account_and_the_account_page_says_so(
    client: Any, cast: Cast, make_account: Any
) -> None:
    account = make_account()
    client.force_login(cast["social_media_lead"])
    in_english(client)
    url = reverse("accounts:details", args=[account.pk])
    assert "subsidiary" in client.get(url).context["form"].fields
    response = client.post(url, details(account, subsidiary="on"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.subsidiary
    assert account.history.latest().history_change_reason == "subsidiary changed"
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "data-subsidiary" in page
    assert "outside the policy's rule on paid advertising (KAU-ADS)" in page


def test_kau_ads_a_head_of_unit_cannot_mark_the_account_a_subsidiarys(
    client: Any, cast: Cast, make_account: Any
) -> None:
    """Whether the rule on paid advertising applies is not the account's own choice."""
    account = make_account()
    client.force_login(cast["head_of_unit"])
    url = reverse("accounts:details", args=[account.pk])
    assert "subsidiary" not in client.get(url).context["form"].fields
    client.post(url, details(account, subsidiary="on"))
    account.refresh_from_db()
    assert not account.subsidiary
    with pytest.raises(PermissionDenied):
        people.change_details(
            account, name=account.name, handle=account.handle, url="", subsidiary=True,
            by=cast["head_of_unit"], now=timezone.now(),
        )  # fmt: skip
    account.refresh_from_db()
    assert not account.subsidiary

"""manage.py seed_demo makes a believable university, once."""

from __future__ import annotations

from datetime import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account
from core.models import User
from core.roles import Role
from governance.models import AccountRequest, OrgUnit
from moderation.deadlines import STOCKHOLM
from moderation.models import Item


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_role_and_state(settings: object) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (User.objects.count(), OrgUnit.objects.count(), Account.objects.count(), Item.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (
        User.objects.count(),
        OrgUnit.objects.count(),
        Account.objects.count(),
        Item.objects.count(),
    ) == counts

    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role
    assert set(Account.objects.values_list("status", flat=True)) == set(Account.Status.values)
    assert {"facebook_page", "instagram", "linkedin", "youtube", "blog"} <= set(
        Account.objects.values_list("platform", flat=True)
    )
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.COMMUNICATIONS).exists()
    assert set(AccountRequest.objects.values_list("status", flat=True)) == set(AccountRequest.Status.values)
    approved = AccountRequest.objects.get(status=AccountRequest.Status.APPROVED)
    assert approved.account is not None
    assert approved.events.count() >= 4
    assert "demo-anna-2026" in out.getvalue()
    # Items around a weekend: one received on a Saturday is due only after the weekend.
    saturday_item = Item.objects.get(platform_id="demo-sat-1")
    received, due = (
        saturday_item.received_at.astimezone(STOCKHOLM),
        saturday_item.due_at.astimezone(STOCKHOLM),
    )
    assert received.weekday() == 5
    assert due.weekday() in {1, 2, 3, 4}
    assert due.time() == time(0, 0)  # a full working day, counted from 00:00 of the next one


@pytest.mark.django_db
def test_seed_demo_refuses_production(settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()

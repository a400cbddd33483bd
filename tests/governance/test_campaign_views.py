"""The campaign register's pages (KAU-ADS); every role against every page is in the access table."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core.calendar import local_today
from governance import campaigns
from governance.campaign_models import Campaign
from tests.conftest import Cast
from tests.support import in_english

pytestmark = pytest.mark.django_db


def filed(
    cast: Cast, account: Any, *, starts_in: int = 7, subject: str = "Kurs i fysik", submit: bool = True
) -> Campaign:
    today = local_today(timezone.now())
    campaign = campaigns.save_campaign_draft(
        None, by=cast["communicator"], now=timezone.now(),
        data={
            "account": account, "kind": "course", "subject": subject,
            "starts_on": today + timedelta(days=starts_in), "ends_on": today + timedelta(days=starts_in + 14),
            "budget": Decimal("1000"), "run_by": cast["communicator"], "agency": "", "description": "",
        },
    )  # fmt: skip
    if submit:
        campaigns.submit_campaign(campaign.pk, by=cast["communicator"], now=timezone.now())
    return campaign


def form_data(account: Any, **extra: Any) -> dict[str, Any]:
    today = local_today(timezone.now())
    data = {
        "account": account.pk,
        "kind": "programme",
        "subject": "Sjuksköterskeprogrammet",
        "starts_on": (today + timedelta(days=10)).isoformat(),
        "ends_on": (today + timedelta(days=40)).isoformat(),
        "budget": "20000",
        "run_by": "",
        "agency": "Byrån AB",
        "description": "",
    }
    data.update(extra)
    return data


def test_kau_ads_a_communicator_files_a_draft_and_bad_input_names_the_field(
    client: Any, cast: Cast, make_account: Any
) -> None:
    account = make_account()
    client.force_login(cast["communicator"])
    in_english(client)
    bad = client.post(reverse("governance:campaign_create"), form_data(account, ends_on="2020-01-01"))
    assert bad.status_code == 400
    assert "ends_on" in bad.context["form"].errors
    negative = client.post(reverse("governance:campaign_create"), form_data(account, budget="-5"))
    assert negative.status_code == 400
    assert "budget" in negative.context["form"].errors
    assert not Campaign.objects.exists()
    response = client.post(reverse("governance:campaign_create"), form_data(account))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == campaign.get_absolute_url()
    assert (campaign.status, campaign.created_by) == (Campaign.Status.DRAFT, cast["communicator"])


def test_kau_ads_the_approver_refuses_only_with_a_reason(client: Any, cast: Cast, make_account: Any) -> None:
    campaign = filed(cast, make_account())
    client.force_login(cast["communications"])
    in_english(client)
    url = reverse("governance:campaign_decide", args=[campaign.pk])
    response = client.post(url, {"action": "refuse", "reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["decision_form"].errors
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SUBMITTED
    assert client.post(url, {"action": "refuse", "reason": "Utanför budget."}).status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.REFUSED
    # Deciding twice is a conflict and changes nothing.
    again = client.post(url, {"action": "approve", "reason": ""})
    assert again.status_code == 409
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.REFUSED


def test_kau_ads_a_subsidiarys_account_says_no_approval_is_needed(
    client: Any, cast: Cast, make_account: Any
) -> None:
    from accounts import people

    account = make_account()
    people.change_details(
        account, name=account.name, handle=account.handle, url="", subsidiary=True,
        by=cast["social_media_lead"], now=timezone.now(),
    )  # fmt: skip
    campaign = filed(cast, account, submit=False)
    client.force_login(cast["communicator"])
    in_english(client)
    response = client.post(reverse("governance:campaign_submit", args=[campaign.pk]), follow=True)
    body = response.content.decode()
    assert "No approval needed: the account is a subsidiary" in body
    assert "outside the policy's rule on paid advertising (KAU-ADS)" in body


def test_kau_ads_the_list_flags_a_campaign_started_without_approval_and_filters(
    client: Any, cast: Cast, make_account: Any
) -> None:
    account = make_account()
    late = filed(cast, account, starts_in=0, subject="Sen kampanj")
    ahead = filed(cast, account, starts_in=10, subject="Kommande kampanj")
    client.force_login(cast["social_media_lead"])
    in_english(client)
    url = reverse("governance:campaign_list")
    response = client.get(url)
    body = response.content.decode()
    assert 'data-unapproved="1"' in body
    assert "Started without approval (KAU-ADS)" in body
    flagged = list(client.get(url, {"phase": "unapproved"}).context["page"].object_list)
    assert flagged == [late]
    awaiting = set(client.get(url, {"phase": "awaiting"}).context["page"].object_list)
    assert awaiting == {late, ahead}
    other = client.get(url, {"unit": cast.units["other"].pk}).context["page"].object_list
    assert list(other) == []
    csv = client.get(reverse("governance:campaign_export"), {"phase": "unapproved"})
    text = csv.content.decode("utf-8-sig")
    assert "Sen kampanj" in text
    assert "Kommande kampanj" not in text


def test_kau_ads_others_do_not_see_the_account_s_campaigns(
    client: Any, cast: Cast, make_account: Any
) -> None:
    campaign = filed(cast, make_account())
    client.force_login(cast["other_head"])
    assert client.get(reverse("governance:campaign_detail", args=[campaign.pk])).status_code == 404
    assert list(client.get(reverse("governance:campaign_list")).context["page"].object_list) == []


@pytest.mark.parametrize("size", [2, 12])
def test_kau_ads_the_list_costs_the_same_whatever_its_size(
    client: Any, cast: Cast, make_account: Any, django_assert_num_queries: Any, size: int
) -> None:
    account = make_account()
    for number in range(size):
        filed(cast, account, starts_in=number - 1, subject=f"Kampanj {number}")
    client.force_login(cast["head_of_unit"])
    client.get(reverse("governance:campaign_list"))  # the session and the user's roles
    with django_assert_num_queries(QUERIES):
        response = client.get(reverse("governance:campaign_list"))
    assert len(response.context["page"].object_list) == size


QUERIES = 9

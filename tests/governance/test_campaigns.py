"""The campaign register's rules (KAU-ADS), through governance.campaigns."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts import people
from core.calendar import STOCKHOLM
from core.models import Notification
from governance import campaigns
from governance.campaign_models import Campaign
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM)
TODAY = NOW.date()


def file_campaign(cast: Cast, account: Any, *, by: str = "communicator", **extra: Any) -> Campaign:
    data: dict[str, Any] = {
        "account": account,
        "kind": Campaign.Kind.PROGRAMME,
        "subject": "Civilingenjör i datateknik",
        "starts_on": TODAY + timedelta(days=7),
        "ends_on": TODAY + timedelta(days=21),
        "budget": Decimal("15000.00"),
        "run_by": cast[by],
        "agency": "",
        "description": "Annonser på Instagram inför antagningen.",
    }
    data.update(extra)
    return campaigns.save_campaign_draft(None, by=cast[by], data=data, now=NOW)


def test_kau_ads_a_submitted_campaign_awaits_approval_and_approvers_are_told(
    cast: Cast, make_account: Any
) -> None:
    """KAU-ADS: submitting sends the campaign to the communications department and the lead."""
    campaign = file_campaign(cast, make_account())
    campaign = campaigns.submit_campaign(campaign.pk, by=cast["communicator"], now=NOW)
    assert campaign.status == Campaign.Status.SUBMITTED
    told = set(
        Notification.objects.filter(key__startswith=f"campaign:{campaign.pk}:submitted").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"communications", "social_media_lead"}
    assert campaigns.campaigns_awaiting_approval(NOW) == 1


def test_kau_ads_approval_before_start_and_a_start_without_approval_is_flagged(
    cast: Cast, make_account: Any
) -> None:
    """KAU-ADS: a campaign still awaiting approval when its first day comes is flagged; an approved
    one runs in its period."""
    account = make_account()
    waiting = file_campaign(cast, account)
    approved = file_campaign(cast, account, subject="Sommarkurser")
    for campaign in (waiting, approved):
        campaigns.submit_campaign(campaign.pk, by=cast["communicator"], now=NOW)
    campaigns.decide_campaign(approved.pk, approve=True, by=cast["communications"], reason="", now=NOW)
    assert campaigns.campaigns_started_without_approval(NOW) == 0
    later = NOW + timedelta(days=8)
    assert campaigns.campaigns_started_without_approval(later) == 1
    waiting.refresh_from_db()
    approved.refresh_from_db()
    assert waiting.phase(later.date()) == "unapproved"
    assert approved.phase(later.date()) == "running"
    assert approved.phase(TODAY) == "upcoming"
    assert approved.phase(TODAY + timedelta(days=30)) == "ended"
    told = Notification.objects.filter(key__startswith=f"campaign:{approved.pk}:decided")
    assert [n.recipient_id for n in told] == [cast["communicator"].pk]


def test_kau_ads_nobody_approves_their_own_campaign(cast: Cast, make_account: Any) -> None:
    """KAU-ADS: the approver is never the person who filed or runs the campaign."""
    campaign = file_campaign(cast, make_account(), by="social_media_lead")
    campaigns.submit_campaign(campaign.pk, by=cast["social_media_lead"], now=NOW)
    with pytest.raises(PermissionDenied):
        campaigns.decide_campaign(campaign.pk, approve=True, by=cast["social_media_lead"], reason="", now=NOW)
    run_by_comms = file_campaign(cast, make_account(), run_by=cast["communications"])
    campaigns.submit_campaign(run_by_comms.pk, by=cast["communicator"], now=NOW)
    with pytest.raises(PermissionDenied):
        campaigns.decide_campaign(
            run_by_comms.pk, approve=True, by=cast["communications"], reason="", now=NOW
        )
    # Nor may someone without the permission: the head of unit and the owner.
    for who in ("head_of_unit", "communicator"):
        with pytest.raises(PermissionDenied):
            campaigns.decide_campaign(run_by_comms.pk, approve=True, by=cast[who], reason="", now=NOW)
    assert Campaign.objects.get(pk=run_by_comms.pk).status == Campaign.Status.SUBMITTED


def test_kau_ads_an_appointed_person_approves(cast: Cast, make_account: Any) -> None:
    """KAU-ADS: a person given the permission directly is an appointed approver and sees every campaign."""
    from django.contrib.auth.models import Permission

    appointed = cast["dean"]
    appointed.user_permissions.add(Permission.objects.get(codename="approve_campaign"))
    campaign = file_campaign(cast, make_account(unit="other", owner="deputy", deputies=("communicator",)))
    campaigns.submit_campaign(campaign.pk, by=cast["communicator"], now=NOW)
    appointed = type(appointed).objects.get(pk=appointed.pk)
    assert campaigns.campaigns_visible_to(appointed).filter(pk=campaign.pk).exists()
    campaigns.decide_campaign(campaign.pk, approve=True, by=appointed, reason="", now=NOW)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.APPROVED


def test_kau_ads_a_refusal_needs_a_reason(cast: Cast, make_account: Any) -> None:
    campaign = file_campaign(cast, make_account())
    campaigns.submit_campaign(campaign.pk, by=cast["communicator"], now=NOW)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        campaigns.decide_campaign(campaign.pk, approve=False, by=cast["communications"], reason=" ", now=NOW)
    assert "reason" in exc.value.message_dict
    campaigns.decide_campaign(
        campaign.pk, approve=False, by=cast["communications"], reason="För dyr.", now=NOW
    )
    campaign.refresh_from_db()
    assert (campaign.status, campaign.decision_reason) == (Campaign.Status.REFUSED, "För dyr.")


def test_kau_ads_a_subsidiarys_account_needs_no_approval(cast: Cast, make_account: Any) -> None:
    """KAU-ADS: the rule leaves out the subsidiaries: submitting says no approval is needed, nobody is
    asked, and the campaign may run."""
    account = make_account()
    people.change_details(
        account, name=account.name, handle=account.handle, url="", subsidiary=True,
        by=cast["social_media_lead"], now=NOW,
    )  # fmt: skip
    campaign = file_campaign(cast, account)
    campaign = campaigns.submit_campaign(campaign.pk, by=cast["communicator"], now=NOW)
    assert campaign.status == Campaign.Status.NOT_REQUIRED
    assert not Notification.objects.filter(key__startswith=f"campaign:{campaign.pk}:").exists()
    assert campaign.phase(TODAY + timedelta(days=8)) == "running"
    assert campaigns.campaigns_started_without_approval(NOW + timedelta(days=8)) == 0


def test_kau_ads_bad_input_changes_nothing(cast: Cast, make_account: Any) -> None:
    account = make_account()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        file_campaign(cast, account, ends_on=TODAY, starts_on=TODAY + timedelta(days=1))
    assert "ends_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        file_campaign(cast, account, budget=Decimal("-1"))
    assert "budget" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        file_campaign(cast, account, run_by=None, agency="")
    assert "run_by" in exc.value.message_dict
    # Someone who neither keeps nor heads the account may not file for it.
    with pytest.raises(ValidationError) as exc:
        file_campaign(cast, account, by="other_head")
    assert "account" in exc.value.message_dict
    assert not Campaign.objects.exists()


def test_kau_ads_withdrawn_campaigns_stay_on_record_and_drafts_alone_change(
    cast: Cast, make_account: Any
) -> None:
    campaign = file_campaign(cast, make_account())
    campaigns.submit_campaign(campaign.pk, by=cast["communicator"], now=NOW)
    with pytest.raises(campaigns.CampaignConflict):
        campaigns.save_campaign_draft(campaign.pk, by=cast["communicator"], data={"subject": "x"}, now=NOW)
    with pytest.raises(PermissionDenied):
        campaigns.withdraw_campaign(campaign.pk, by=cast["head_of_unit"], now=NOW)
    campaigns.withdraw_campaign(campaign.pk, by=cast["deputy"], now=NOW)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.WITHDRAWN
    assert campaign.withdrawn_by == cast["deputy"]
    assert [row.history_change_reason for row in campaign.history.order_by("history_date")] == [
        "draft created",
        "submitted",
        "withdrawn",
    ]


def test_kau_ads_who_sees_which_campaign(cast: Cast, make_account: Any) -> None:
    """KAU-ADS: the approvers see all; owner, deputies and the heads above the account's unit see the
    account's; others none."""
    campaign = file_campaign(cast, make_account())
    for who in ("communicator", "deputy", "head_of_unit", "dean", "communications", "social_media_lead"):
        assert campaigns.campaigns_visible_to(cast[who]).filter(pk=campaign.pk).exists(), who
    for who in ("other_head", "registrar", "security_officer", "outsider"):
        assert not campaigns.campaigns_visible_to(cast[who]).exists(), who


def test_kau_ads_start_page_lists_campaigns_awaiting_approval(cast: Cast, make_account: Any) -> None:
    campaign = file_campaign(cast, make_account())
    campaigns.submit_campaign(campaign.pk, by=cast["communicator"], now=NOW)
    section = campaigns.campaigns_to_approve(cast["communications"], NOW)
    assert section is not None
    assert [c.pk for c in section.rows] == [campaign.pk]
    assert campaigns.campaigns_to_approve(cast["communicator"], NOW) is None


def test_the_campaign_period_is_kept_by_the_database(cast: Cast, make_account: Any) -> None:
    """KAU-ADS: an end before the start cannot be stored, whatever writes it."""
    from django.db import IntegrityError, transaction

    campaign = file_campaign(cast, make_account())
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(ends_on=date(2000, 1, 1))

"""Demo data for the campaign register (KAU-ADS): a campaign awaiting approval, an approved one
running now, and a subsidiary's account with a campaign that needs no approval.

Idempotent: each campaign is found by its account and name, the subsidiary's account by its handle,
and only what is missing is created.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from accounts import people as account_people
from accounts import services as account_services
from accounts.models import Account, Platform
from core.calendar import local_today
from core.models import OrgUnit, User
from governance import campaigns
from governance.campaign_models import Campaign

SUBSIDIARY_HANDLE = "kauholding_uppdrag"


def seed_campaigns(people: dict[str, User], units: dict[str, OrgUnit], *, now: datetime) -> int:
    """The campaigns of the demo, through governance.campaigns; returns how many were created."""
    today = local_today(now)
    created = 0
    subsidiary = Account.objects.filter(platform=Platform.LINKEDIN, handle=SUBSIDIARY_HANDLE).first()
    if subsidiary is None:
        subsidiary = account_services.register_account(
            unit=units["kau"], platform=Platform.LINKEDIN, name="Kau Holding – uppdragsutbildning",
            handle=SUBSIDIARY_HANDLE, owner=people["gunnar"], deputies=[people["karin"]], by=None,
        )  # fmt: skip
    if not subsidiary.subsidiary:
        account_people.change_details(
            subsidiary, name=subsidiary.name, handle=subsidiary.handle, url=subsidiary.url, subsidiary=True,
            by=people["johan"], now=now,
        )  # fmt: skip
    civing = Account.objects.get(platform=Platform.INSTAGRAM, handle="civing_kau")
    handels = Account.objects.get(platform=Platform.INSTAGRAM, handle="handels_kau")
    plans = [
        # (account, filed by, kind, name, starts in days, lasts days, budget, agency, outcome)
        (civing, "anna", "programme", "Civilingenjör i datateknik", 14, 28, "25000", "", "submitted"),
        (handels, "sara", "course", "Kurs i nationalekonomi", -5, 30, "8000", "Annonsbyrån AB", "approved"),
        (subsidiary, "gunnar", "service", "Uppdragsutbildning i ledarskap", 3, 21, "12000", "", "submitted"),
    ]
    for account, by, kind, subject, starts_in, days, budget, agency, outcome in plans:
        if Campaign.objects.filter(account=account, subject=subject).exists():
            continue
        # Filed and decided before it starts, as the rule asks (KAU-ADS).
        filed_at = min(now, now + timedelta(days=starts_in - 7))
        starts_on = today + timedelta(days=starts_in)
        campaign = campaigns.save_campaign_draft(
            None, by=people[by], now=filed_at,
            data={
                "account": account, "kind": kind, "subject": subject, "starts_on": starts_on,
                "ends_on": starts_on + timedelta(days=days), "budget": Decimal(budget), "run_by": people[by],
                "agency": agency, "description": "Betald annonsering i kontots flöde.",
            },
        )  # fmt: skip
        campaigns.submit_campaign(campaign.pk, by=people[by], now=filed_at)
        if outcome == "approved":
            campaigns.decide_campaign(
                campaign.pk,
                approve=True,
                by=people["karin"],
                reason="Följer den grafiska profilen.",
                now=filed_at,
            )
        created += 1
    return created

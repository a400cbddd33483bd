"""A past crisis to read (KAU-CRISIS): declared by the social media lead with the link to the
university's website (KTH-COMPLEMENT), its saved reply, what two accounts published and where, and its
ending with a summary. Idempotent by its title; everything goes through moderation.crisis."""

from __future__ import annotations

from datetime import datetime, timedelta

from accounts.models import Account
from core.models import User
from moderation import crisis as crises
from moderation.models import Crisis

TITLE = "Vattenläcka i Universitetshuset"


def seed_crisis(people: dict[str, User], accounts: dict[str, Account], *, now: datetime) -> int:
    """One ended crisis, six weeks ago, with log entries and a summary; 0 when it is there already."""
    if Crisis.objects.filter(title=TITLE).exists():
        return 0
    lead = people["johan"]
    declared = now - timedelta(days=42)
    crisis = crises.declare_crisis(
        title=TITLE,
        what_happened="En vattenläcka har stängt Universitetshuset. Undervisningen flyttas; ingen är skadad.",
        website_url="https://www.kau.se/nyheter/vattenlacka-universitetshuset",
        intranet_url="https://intranat.kau.se/vattenlacka",
        by=lead,
        now=declared,
    )
    crises.add_crisis_reply(
        crisis,
        title="Vattenläckan",
        text=(
            "Tack för att du frågar. Universitetshuset är stängt efter en vattenläcka och undervisningen "
            "flyttas. Den senaste informationen finns på https://www.kau.se/nyheter/vattenlacka-universitetshuset"
        ),
        by=lead,
        now=declared + timedelta(minutes=10),
    )
    active = [account for account in accounts.values() if account.status == Account.Status.ACTIVE][:2]
    for minutes, account, where, text in zip(
        (25, 70),
        active,
        ("Inlägg", "Story"),
        (
            "Universitetshuset är stängt efter en vattenläcka. Läs mer på kau.se.",
            "Var går min föreläsning? Schemat är uppdaterat – länk på kau.se.",
        ),
        strict=False,
    ):
        crises.log_publication(
            crisis,
            account=account,
            where=f"{where} på {account.platform_label}",
            text=text,
            published_at=declared + timedelta(minutes=minutes),
            by=account.owner,
            now=declared + timedelta(minutes=minutes + 5),
        )
    crises.end_crisis(
        crisis,
        summary=(
            "Huset öppnade igen efter två dagar. Alla inlägg pekade på nyheten på webben; frågorna "
            "besvarades med krisens svarsmall."
        ),
        by=lead,
        now=declared + timedelta(days=2),
    )
    return 1

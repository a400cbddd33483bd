"""Demo ambassadors and bloggers (KAU-PRIVATE, KTH-BLOG): a current student ambassador, a blogger on a
direct assignment, and a proposal awaiting the head's approval. Idempotent by name."""

from __future__ import annotations

from datetime import datetime, timedelta

from accounts import ambassadors
from accounts.models import Account, Ambassador
from core.calendar import local_today
from core.models import OrgUnit, User


def seed_ambassadors(people: dict[str, User], accounts: dict[str, Account], *, now: datetime) -> int:
    """The three, through the services; each is skipped when one of its name is already there.
    Returns how many were added."""
    today = local_today(now)
    units = {unit.code: unit for unit in OrgUnit.objects.filter(code__in=["ifi", "klar"])}
    # (name, kind, employed, unit, account handle, proposer, approver or None, duties, assignment)
    wanted: tuple[tuple[str, str, bool, str, str, str, str | None, str, str], ...] = (
        (
            "Elin Ambassadör",
            Ambassador.Kind.STUDENT_AMBASSADOR,
            False,
            "ifi",
            "civing_kau",
            "anna",
            "maria",
            "Tar över Instagram en vecka i månaden och berättar om livet som civilingenjörsstudent.",
            "Institutionen ger Elin i uppdrag att visa studentlivet på civing_kau; Anna granskar "
            "inläggen och ansvarar för att riktlinjerna följs.",
        ),
        (
            "Viktor Lund",
            Ambassador.Kind.BLOGGER,
            False,
            "klar",
            "klaralvsbloggen",
            "anna",
            "olof",
            "Skriver ett inlägg varannan vecka om fältarbetet längs Klarälven.",
            "Projektet ger Viktor ett direkt uppdrag att blogga om fältarbetet; projektledaren läser "
            "varje inlägg före publicering (KTH-BLOG).",
        ),
        (
            "Moa Student",
            Ambassador.Kind.STUDENT_AMBASSADOR,
            False,
            "ifi",
            "fysikkau",
            "per",
            None,
            "Berättar om fysikprogrammet inför öppet hus.",
            "Institutionen ger Moa i uppdrag att berätta om programmet under våren.",
        ),
    )
    existing = set(
        Ambassador.objects.filter(name__in=[row[0] for row in wanted]).values_list("name", flat=True)
    )
    created = 0
    for name, kind, employed, unit, handle, proposer, approver, duties, assignment in wanted:
        if name in existing:
            continue
        ambassador = ambassadors.propose_ambassador(
            name=name,
            email="",
            employed=employed,
            kind=kind,
            unit=units[unit],
            account=accounts.get(handle),
            starts_on=today - timedelta(days=30),
            ends_on=today + timedelta(days=150),
            duties=duties,
            assignment=assignment,
            by=people[proposer],
            now=now,
        )
        if approver is not None:
            ambassadors.approve_ambassador(ambassador, by=people[approver], reason="", now=now)
        created += 1
    return created

"""Small factories for new-account requests, built through the real services.

``complete_request_data`` is the strategy document of a request that may be submitted as it is;
``make_request`` drives the services, with the right person at each step, to any state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from governance import selectors, services
from governance.models import AccountRequest
from tests.conftest import Cast

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

STATES = ("draft", "submitted", "returned", "reviewed", "approved", "rejected", "withdrawn")


def complete_request_data(cast: Cast, **overrides: Any) -> dict[str, Any]:
    """The ``data`` of ``services.save_draft`` for a request complete in every part."""
    data: dict[str, Any] = {
        "unit": cast.units["department"],
        "platform": "instagram",
        "platform_other": "",
        "name": "Fysik vid Karlstads universitet",
        "handle": "fysik_kau",
        "sender_type": "subject",
        "profile_picture": "university",
        "areas": ["knowledge", "student_relations"],
        "audiences": ["students", "public"],
        "purpose": "Visa fysikens forskning och utbildning för blivande studenter och allmänheten.",
        "checklist_audience": "Gymnasieelever som funderar på fysik och våra egna studenter.",
        "checklist_purpose": "Fler sökande till fysikprogrammen, i linje med institutionens mål.",
        "checklist_goals": "Publiken ska veta vad fysiker gör, känna nyfikenhet och söka våra kurser.",
        "checklist_staffing": "Två kommunikatörer turas om varje vecka; ersättaren tar över vid semester.",
        "checklist_resources": "Inventeringen visar fyra timmar i veckan, en kamera och stöd från forskarna.",
        "content_strategy": "Korta filmer från labbet, studentporträtt och forskningsnyheter varje vecka.",
        "editorial_goals": "Varje inlägg ska visa en forskare, en student eller en kurs.",
        "editorial_stakeholders": "Blivande studenter, lärare på gymnasiet, forskare och alumner.",
        "planned_frequency": "Två inlägg i veckan",
        "resource_hours_per_week": Decimal("4"),
        "resource_people": "Kommunikatören och ersättaren vid institutionen",
        "terms_checked": True,
        "terms_note": "Villkoren ger plattformen rätt att visa materialet; inget strider mot våra värden.",
        "proposed_owner": cast["communicator"],
        "blogger": None,
        "blogger_external_name": "",
        "blogger_assigning_unit": None,
    }
    data.update(overrides)
    return data


def reviewer_for(cast: Cast, requester: str) -> Any:
    """The communications department's reviewer: never the requester themself."""
    return cast["social_media_lead"] if requester == "communications" else cast["communications"]


def make_request(
    cast: Cast,
    *,
    state: str = "draft",
    requester: str = "communicator",
    deputies: tuple[str, ...] = ("deputy",),
    now: datetime = NOW,
    **overrides: Any,
) -> AccountRequest:
    """A request in ``state``, reached through the real services by the people who act in each step:
    the requester files and submits, the communications department reviews, the head of unit the
    organisation tree names decides (KAU-START-APPROVAL)."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    by = cast[requester]
    req = services.save_draft(
        None,
        by=by,
        data=complete_request_data(cast, **overrides),
        deputies=[cast[name] for name in deputies],
        now=now,
    )
    if state == "withdrawn":
        services.withdraw_request(req.pk, by=by, comment="Behovet finns inte längre.", now=now)
    if state in ("draft", "withdrawn"):
        return AccountRequest.objects.get(pk=req.pk)
    services.submit_request(req.pk, by=by, now=now)
    reviewer = reviewer_for(cast, requester)
    if state == "returned":
        services.return_request(req.pk, by=reviewer, advice="Förtydliga målgruppen, tack.", now=now)
    elif state in ("reviewed", "approved", "rejected"):
        codes = [deviation["code"] for deviation in AccountRequest.objects.get(pk=req.pk).deviations]
        services.accept_request(
            req.pk,
            by=reviewer,
            advice="Inget befintligt konto fyller behovet.",
            accepted_deviations=codes,
            now=now,
        )
        if state in ("approved", "rejected"):
            approver = selectors.approver_for(AccountRequest.objects.select_related("unit").get(pk=req.pk))
            if approver is None:
                raise ValueError("nobody in the organisation tree can decide this request")
            if state == "approved":
                services.approve_request(req.pk, by=approver, reason="Väl förberett och bemannat.", now=now)
            else:
                services.reject_request(req.pk, by=approver, reason="Behovet täcks redan.", now=now)
    return AccountRequest.objects.get(pk=req.pk)

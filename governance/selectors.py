"""Read-side queries of the organisation tree and of new-account requests."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Any

from django.db.models import Q, QuerySet

from accounts.grants import granted_to
from core.models import User
from core.units import approvers_on_paths, in_subtrees, unit_paths_headed_by
from governance.models import (
    AccountRequest,
    AccountRequestGroupObjectPermission,
    AccountRequestUserObjectPermission,
)


def approvers_for(requests: Iterable[AccountRequest]) -> dict[int, User | None]:
    """Who decides each request (KAU-START-APPROVAL), in one query for any number of requests: the
    head of the requesting unit, or the nearest head above (core.units.approvers_on_paths)."""
    return approvers_on_paths({request.pk: (request.unit.path, request.requester_id) for request in requests})


def approver_for(request: AccountRequest) -> User | None:
    return approvers_for([request])[request.pk]


def requests_visible_to(user: User) -> QuerySet[AccountRequest]:
    """Every request ``user`` may see, as one filter.

    The communications department and the social media lead see all (KAU-START-COMMS,
    KAU-HIERARCHY); a requester sees their own; a head sees the requests of the units they head and
    every unit below; the proposed owner and deputies see what they are named in (guardian grants).
    """
    if not user.is_authenticated or not user.is_active:
        return AccountRequest.objects.none()
    if user.has_perm("governance.view_all_requests"):
        return AccountRequest.objects.all()
    condition = Q(requester=user) | granted_to(
        user,
        codename="view_accountrequest",
        user_grants=AccountRequestUserObjectPermission.objects,
        group_grants=AccountRequestGroupObjectPermission.objects,
    )
    condition |= in_subtrees(unit_paths_headed_by(user))
    return AccountRequest.objects.filter(condition)


# --- Existing channels (KAU-START-COMMS) ---------------------------------------------------------------

# Words that say nothing about the need: the university's own name and filler.
_STOP_WORDS = {
    "kau",
    "karlstads",
    "karlstad",
    "universitet",
    "university",
    "och",
    "for",
    "för",
    "vid",
    "the",
    "and",
    "of",
    "official",
    "officiell",
    "konto",
    "account",
    "page",
    "sida",
    "grupp",
    "group",
}
HANDLE_SIMILARITY = 0.75


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _tokens(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z0-9]+", _normalise(text)) if len(word) >= 4} - _STOP_WORDS


def _handle_core(handle: str) -> str:
    core = re.sub(r"[^a-z0-9]", "", _normalise(handle))
    return core.removesuffix("kau").removeprefix("kau")


def match_reasons(*, name: str, handle: str, unit_id: int, platform: str, other: dict[str, Any]) -> list[str]:
    """Why ``other`` (an account or request as a dict) may already serve the same need."""
    reasons = []
    if other["unit_id"] == unit_id and other["platform"] == platform:
        reasons.append("same_unit_platform")
    if _tokens(name) & _tokens(other["name"]):
        reasons.append("similar_name")
    mine, theirs = _handle_core(handle), _handle_core(other["handle"])
    if (
        mine
        and theirs
        and (
            mine in theirs
            or theirs in mine
            or SequenceMatcher(None, mine, theirs).ratio() >= HANDLE_SIMILARITY
        )
    ):
        reasons.append("similar_handle")
    return reasons


def existing_channels_for(request: AccountRequest) -> list[dict[str, Any]]:
    """Registered accounts and open requests that may serve the same need as ``request``.

    Same unit and platform, or a similar name or handle. Closed accounts are left out; so is the
    request itself. Two queries whatever the size of the registry; the comparison runs in Python.
    """
    from accounts.models import Account

    fields = ("pk", "name", "handle", "platform", "unit_id", "unit__name", "status")
    candidates: list[tuple[str, dict[str, Any]]] = [
        ("account", row)
        for row in Account.objects.exclude(status=Account.Status.CLOSED)
        .exclude(pk=request.existing_account_id or 0)
        .values(*fields)
    ]
    candidates += [
        ("request", row)
        for row in AccountRequest.objects.open()
        .exclude(pk=request.pk)
        .exclude(status=AccountRequest.Status.DRAFT)
        .values(*fields)
    ]
    matches = []
    for kind, row in candidates:
        reasons = match_reasons(
            name=request.name,
            handle=request.handle,
            unit_id=request.unit_id,
            platform=request.platform,
            other=row,
        )
        if reasons:
            matches.append(
                {
                    "kind": kind,
                    "id": row["pk"],
                    "name": row["name"],
                    "handle": row["handle"],
                    "platform": row["platform"],
                    "unit": row["unit__name"],
                    "status": row["status"],
                    "reasons": reasons,
                }
            )
    matches.sort(key=lambda m: (-len(m["reasons"]), m["kind"], m["name"]))
    return matches[:20]

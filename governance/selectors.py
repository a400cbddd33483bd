"""Read-side queries of the organisation tree and of new-account requests."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Any

from django.db.models import Q, QuerySet

from accounts.grants import granted_to
from core.models import OrgUnit, User
from core.units import in_subtrees, path_ids, unit_paths_headed_by
from governance.models import (
    AccountRequest,
    AccountRequestGroupObjectPermission,
    AccountRequestUserObjectPermission,
)


def approvers_for(requests: Iterable[AccountRequest]) -> dict[int, User | None]:
    """Who decides each request (KAU-START-APPROVAL), in one query for any number of requests.

    The approver follows from the organisation tree, never from the requester's choice: the head of
    the requesting unit, or, where the requester is that head (or the unit has none), the head of
    the nearest unit above. Nobody decides on their own request, and no one who reports to the
    requester does: when the requester heads a unit on the path, the walk starts above the highest
    such unit (a dean filing for a department is decided above the faculty).
    """
    requests = list(requests)
    ids = {unit_id for request in requests for unit_id in path_ids(request.unit.path)}
    heads = {
        unit.pk: unit.head
        for unit in OrgUnit.objects.filter(pk__in=ids, is_active=True).select_related("head")
    }
    result: dict[int, User | None] = {}
    for request in requests:
        result[request.pk] = None
        path = path_ids(request.unit.path)
        headed_by_requester = [
            i for i, unit_id in enumerate(path) if _head_id(heads, unit_id) == request.requester_id
        ]
        candidates = path[: headed_by_requester[0]] if headed_by_requester else path
        for unit_id in reversed(candidates):
            head = heads.get(unit_id)
            if head is not None and head.is_active and head.pk != request.requester_id:
                result[request.pk] = head
                break
    return result


def _head_id(heads: dict[int, User | None], unit_id: int) -> int | None:
    head = heads.get(unit_id)
    return head.pk if head is not None else None


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

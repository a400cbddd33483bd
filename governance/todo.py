"""What new-account requests ask of each person, for the start page ("Att göra")."""

from __future__ import annotations

from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.models import User
from core.todo import TodoSection
from core.units import in_subtrees, unit_paths_headed_by
from governance.models import AccountRequest
from governance.selectors import approvers_for

TEMPLATE = "governance/todo_requests.html"


def _section(
    key: str, title: str | Promise, rows: list[AccountRequest], *, empty: str | Promise = ""
) -> TodoSection:
    """A start-page section of requests, each row a link to its request."""
    return TodoSection(key=key, title=title, empty=empty, template=TEMPLATE, rows=rows)


def requests_to_finish(user: User, now: datetime) -> TodoSection | None:
    rows = list(
        AccountRequest.objects.filter(requester=user, status__in=AccountRequest.EDITABLE_STATUSES)
        .select_related("unit", "requester")
        .order_by("-updated_at")[:20]
    )
    if not rows:
        return None
    return _section("requests-mine", _("Your requests to finish"), rows)


def requests_to_review(user: User, now: datetime) -> TodoSection | None:
    if not user.has_perm("governance.review_request"):
        return None
    rows = list(
        AccountRequest.objects.filter(status=AccountRequest.Status.SUBMITTED)
        .exclude(requester=user)
        .select_related("unit", "requester")
        .order_by("submitted_at", "pk")[:50]
    )
    return _section(
        "requests-review",
        _("New-account requests to review"),
        rows,
        empty=_("No request waits for the communications department."),
    )


def requests_to_decide(user: User, now: datetime) -> TodoSection | None:
    """KAU-START-APPROVAL: the requests whose approver, by the organisation tree, is this person."""
    paths = unit_paths_headed_by(user)
    if not paths:
        return None
    candidates = list(
        AccountRequest.objects.filter(in_subtrees(paths), status=AccountRequest.Status.REVIEWED)
        .select_related("unit", "requester")
        .order_by("reviewed_at", "pk")[:1000]  # reviewed requests wait briefly; this bounds the page
    )
    approvers = approvers_for(candidates)
    rows = [
        req for req in candidates if (approver := approvers[req.pk]) is not None and approver.pk == user.pk
    ]
    return _section(
        "requests-decide",
        _("New-account requests awaiting your decision"),
        rows,
        empty=_("No request awaits your decision."),
    )

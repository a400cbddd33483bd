"""Threat cases (KAU-THREAT): a threat is not only an alert to acknowledge but a case the security
officer follows until it is handled, with the social media lead beside him.

A case is opened with the threat's alert (``moderation.routing.route_item``), one per item. Its record
is a list of entries: notes, and the actions taken (a police report filed, a risk assessment made,
the person targeted informed, the case closed or re-opened), each with who and when. Entries are
only ever added (on PostgreSQL a trigger refuses to change or delete one), so the record is the
history (KAU-PUBLIC-RECORD).

Who: the security officers and the social media leads read and write every case; everyone else is
told that no such case exists (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.history import record
from core.models import User
from core.roles import Role, has_role
from moderation.models import Alert, Item, ThreatCase, ThreatCaseEntry

NOTE_MAX = 5000

# --- Reads -------------------------------------------------------------------------------------------


def may_handle_cases(user: Any) -> bool:
    """The security officer and the social media lead follow threat cases (KAU-THREAT)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return has_role(user, Role.SECURITY_OFFICER, Role.SOCIAL_MEDIA_LEAD)


def cases_visible_to(user: Any) -> QuerySet[ThreatCase]:
    """Every case, for the people who handle them; nothing for anyone else."""
    if not may_handle_cases(user):
        return ThreatCase.objects.none()
    return ThreatCase.objects.select_related("item", "item__account", "closed_by")


def case_or_404(user: Any, pk: int) -> ThreatCase:
    if not may_handle_cases(user):
        raise Http404
    return get_object_or_404(
        cases_visible_to(user).select_related(
            "item__account__unit", "item__account__owner", "item__handled_by"
        ),
        pk=pk,
    )


# --- Writes ------------------------------------------------------------------------------------------


def open_case(item: Item, *, now: datetime) -> ThreatCase:
    """The item's case, opened now unless it has one (a threat flagged again after it was cleared
    keeps its case). Called in the transaction that routes the threat."""
    case, created = ThreatCase.objects.get_or_create(item=item, defaults={"opened_at": now})
    if created:
        ThreatCaseEntry.objects.create(case=case, kind=ThreatCaseEntry.Kind.OPENED, at=now)
    return case


ACTIONS = (
    ThreatCaseEntry.Kind.NOTE,
    ThreatCaseEntry.Kind.POLICE_REPORT,
    ThreatCaseEntry.Kind.RISK_ASSESSMENT,
    ThreatCaseEntry.Kind.TARGET_INFORMED,
    ThreatCaseEntry.Kind.CLOSED,
    ThreatCaseEntry.Kind.REOPENED,
)


@transaction.atomic
def record_case_entry(case: ThreatCase, *, kind: str, note: str, by: User, now: datetime) -> ThreatCaseEntry:
    """Add a note or an action to a threat case (KAU-THREAT), with who and when.

    A note needs text; an action may carry one. Closing closes the case and re-opening opens it again;
    a closed case takes nothing but a re-opening, and an open one is not re-opened. Whoever records
    something has seen the threat: the item's open threat alerts are acknowledged by them, which also
    stops the re-alert.
    """
    from moderation.routing import acknowledge_alert, may_acknowledge  # routing opens cases

    if not may_handle_cases(by):
        raise Http404
    locked = ThreatCase.objects.select_for_update().get(pk=case.pk)
    note = note.strip()
    if kind not in ACTIONS:
        raise ValidationError({"kind": _("Choose what to record from the list.")})
    if kind == ThreatCaseEntry.Kind.NOTE and not note:
        raise ValidationError({"note": _("Write the note.")})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep the note under %(max)s characters.") % {"max": NOTE_MAX}})
    if locked.closed_at is not None and kind != ThreatCaseEntry.Kind.REOPENED:
        raise ValidationError({"kind": _("The case is closed: re-open it before recording anything else.")})
    if locked.closed_at is None and kind == ThreatCaseEntry.Kind.REOPENED:
        raise ValidationError({"kind": _("The case is open already.")})
    if kind in (ThreatCaseEntry.Kind.CLOSED, ThreatCaseEntry.Kind.REOPENED):
        closing = kind == ThreatCaseEntry.Kind.CLOSED
        locked.closed_at, locked.closed_by = (now, by) if closing else (None, None)
        record(locked, by=by, reason=kind)
        locked.save(update_fields=["closed_at", "closed_by"])
    entry = ThreatCaseEntry.objects.create(case=locked, kind=kind, note=note, by=by, at=now)
    for alert in Alert.objects.filter(
        item_id=locked.item_id,
        kind__in=[Alert.Kind.THREAT, Alert.Kind.THREAT_UNACKNOWLEDGED],
        acknowledged_at__isnull=True,
    ).select_related("item__account__unit"):
        if may_acknowledge(by, alert):
            acknowledge_alert(alert, by=by, now=now)
    return entry


def case_section(user: Any, item: Item) -> Any:
    """The item page's way to its threat case, for the people who handle cases (moderation.sections)."""
    from moderation.sections import ItemSection

    if not item.threat or not may_handle_cases(user):
        return None
    case = ThreatCase.objects.filter(item=item).first()
    if case is None:
        return None
    return ItemSection(template="moderation/includes/threatcase_link.html", context={"case": case})

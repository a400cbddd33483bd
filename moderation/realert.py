"""KAU-THREAT: a threat that nobody has acknowledged is alerted again.

When a threat is routed its alert gets ``realert_at``: the moment the institution's
``threat_reacknowledge_hours`` working hours have passed (core.calendar). Acknowledging the alert
empties it. This sweep, run by beat, claims the alerts whose moment has come (``alert_realert_at_idx``,
partial on ``realert_at IS NOT NULL``: an idle run costs one index probe) with ``FOR UPDATE SKIP
LOCKED``, in batches of their own transaction, and writes for each item one alert of the kind
``threat_unack`` to the security officer and the social media lead, with its e-mails and its log
entry. The alert is unique per item and kind (alert_once_per_item_and_kind), and the claimed alert's
``realert_at`` is emptied in the same transaction: a second run, or two at once, sends nothing more.

When the institution changes the hours or its days off, the threats still waiting get their moment
again from the time they were alerted (``reschedule_waiting``), as the open items get new deadlines.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from core.calendar import add_working_hours
from core.models import InstitutionSettings
from moderation.itemlog import log_action
from moderation.models import Alert, LogEntry
from moderation.routing import create_alert

REALERT_BATCH = 100


def claimable(now: datetime) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(realert_at__lte=now)
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("item", "item__account", "item__account__unit", "item__account__owner")
        .order_by("realert_at", "pk")
    )


def realert_threats(*, now: datetime, batch: int = REALERT_BATCH) -> int:
    """Alert again every threat still unacknowledged at its ``realert_at``; returns how many were."""
    sent = 0
    while True:
        with transaction.atomic():
            alerts = list(claimable(now)[:batch])
            if not alerts:
                return sent
            for alert in alerts:
                item = alert.item
                if alert.acknowledged_at is None:
                    again = create_alert(
                        item,
                        kind=Alert.Kind.THREAT_UNACKNOWLEDGED,
                        target=Alert.Target.SECURITY_AND_LEAD,
                        by=None,
                        now=now,
                    )
                    if again is not None:
                        log_action(
                            item,
                            LogEntry.Action.ROUTED,
                            by=None,
                            now=now,
                            note=f"{again.get_kind_display()} (KAU-THREAT)",
                        )
                        sent += 1
            Alert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(realert_at=None)


def reschedule_waiting(*, batch: int = REALERT_BATCH) -> int:
    """Count each waiting threat's moment again from when it was alerted, under the institution's
    current ``threat_reacknowledge_hours`` and working calendar (KAU-THREAT); a moment now past is
    taken by the next sweep. Returns how many moments moved."""
    institution = InstitutionSettings.objects.get_solo()
    calendar = institution.working_calendar()
    moved = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            alerts = list(
                Alert.objects.filter(realert_at__isnull=False, pk__gt=last_pk)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:batch]
            )
            if not alerts:
                return moved
            for alert in alerts:
                moment = add_working_hours(alert.created_at, institution.threat_reacknowledge_hours, calendar)
                if moment != alert.realert_at:
                    alert.realert_at = moment
                    alert.save(update_fields=["realert_at"])
                    moved += 1
            last_pk = alerts[-1].pk

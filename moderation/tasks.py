"""Moderation's background work. One line each; the work lives in moderation.sweep.

Per-task settings: each names its own time limits. Both are idempotent (the sweep claims rows and
each alert is unique per item and kind; a recompute computes the same deadlines again), so each is
acknowledged late and re-queued when its worker is lost.
"""

from __future__ import annotations

from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from core.models import User
from core.tasks import idempotent_task
from moderation import realert, sweep


# KAU-RESPONSE-DEADLINE. Each batch commits on its own, so a sweep cut short by its limits has kept
# every batch it finished, and beat's next run (every DEADLINE_SWEEP_INTERVAL) goes on.
@idempotent_task("moderation.tasks.sweep_deadlines", soft_time_limit=240, time_limit=300)
def sweep_deadlines() -> int:
    return sweep.sweep_deadlines(now=timezone.now())


# KAU-THREAT: threats nobody acknowledged are alerted again. A handful of rows at most; each batch
# commits on its own, and beat's next run (every THREAT_REALERT_INTERVAL) goes on.
@idempotent_task("moderation.tasks.realert_threats", soft_time_limit=50, time_limit=60)
def realert_threats() -> int:
    return realert.realert_threats(now=timezone.now())


# Every open item once, in batches: the longest of the moderation tasks on a large queue.
@idempotent_task(
    "moderation.tasks.recompute_open_deadlines", base=DjangoTask, soft_time_limit=1500, time_limit=1800
)
def recompute_open_deadlines(by_id: int | None = None) -> int:
    by = User.objects.filter(pk=by_id).first() if by_id else None
    changed = sweep.recompute_open_deadlines(by=by, now=timezone.now())
    realert.reschedule_waiting()  # KAU-THREAT: the waiting threats follow the new hours too
    return changed


def recompute_after_calendar_change(*, by: User | None) -> None:
    """Listens to core.events.working_calendar_changed: the open items' deadlines and the waiting
    threats' re-alert times follow the new hours and days off (KAU-RESPONSE-DEADLINE, KAU-THREAT), in
    the worker once the change is committed."""
    recompute_open_deadlines.delay_on_commit(by.pk if by is not None else None)

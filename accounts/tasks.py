"""The registry's periodic jobs. One line each; the work lives in the modules they call.

Per-task settings: each names its own time limits. All three are idempotent ("once" is a unique
notification key or a unique gap row), so each is acknowledged late and re-queued when its worker is
lost.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accounts import coverage, followup, people


# Reads the registry and two weeks of absences at a fixed number of queries: well under a minute.
@shared_task(
    name="accounts.tasks.check_coverage",
    soft_time_limit=240,
    time_limit=300,
    acks_late=True,
    reject_on_worker_lost=True,
)
def check_coverage() -> int:
    return coverage.check_coverage(now=timezone.now())


@shared_task(
    name="accounts.tasks.flag_deactivated_people",
    soft_time_limit=240,
    time_limit=300,
    acks_late=True,
    reject_on_worker_lost=True,
)
def flag_deactivated_people() -> int:
    return people.flag_deactivated_people(now=timezone.now())


@shared_task(
    name="accounts.tasks.remind_followups",
    soft_time_limit=240,
    time_limit=300,
    acks_late=True,
    reject_on_worker_lost=True,
)
def remind_followups() -> int:
    return followup.remind_followups(now=timezone.now())

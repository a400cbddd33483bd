"""The registry's periodic jobs. One line each; the work lives in the modules they call."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accounts import coverage, followup


@shared_task(name="accounts.tasks.check_coverage")
def check_coverage() -> int:
    return coverage.check_coverage(now=timezone.now())


@shared_task(name="accounts.tasks.flag_deactivated_people")
def flag_deactivated_people() -> int:
    return coverage.flag_deactivated_people(now=timezone.now())


@shared_task(name="accounts.tasks.remind_followups")
def remind_followups() -> int:
    return followup.remind_followups(now=timezone.now())

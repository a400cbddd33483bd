"""The registry's periodic jobs. One line each; the work lives in the modules they call.

Per-task settings: each names its own time limits. All three are idempotent ("once" is a unique
notification key or a unique gap row), so each is acknowledged late and re-queued when its worker is
lost.
"""

from __future__ import annotations

from django.utils import timezone

from accounts import coverage, followup, people
from core.tasks import idempotent_task


# Reads the registry and two weeks of absences at a fixed number of queries: well under a minute.
@idempotent_task("accounts.tasks.check_coverage", soft_time_limit=240, time_limit=300)
def check_coverage() -> int:
    return coverage.check_coverage(now=timezone.now())


@idempotent_task("accounts.tasks.flag_deactivated_people", soft_time_limit=240, time_limit=300)
def flag_deactivated_people() -> int:
    return people.flag_deactivated_people(now=timezone.now())


@idempotent_task("accounts.tasks.remind_followups", soft_time_limit=240, time_limit=300)
def remind_followups() -> int:
    return followup.remind_followups(now=timezone.now())

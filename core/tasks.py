"""Periodic housekeeping. Tasks are one line each; the work lives in services.

Per-task settings: each task names its own time limits (soft: the task may clean up; hard: the
worker kills it). Every task here is idempotent (safe to run twice, or twice at once), so each is
acknowledged late and re-queued when its worker is lost (``reject_on_worker_lost``): a worker killed
mid-task leaves the task to run again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.utils import timezone

from core import digests, notifications, services


def idempotent_task(
    name: str, *, soft_time_limit: int, time_limit: int, **options: Any
) -> Callable[..., Any]:
    """A task that is safe to run twice, or twice at once: acknowledged late and re-queued when its
    worker is lost, with its own time limits (soft, then hard)."""
    return shared_task(
        name=name,
        soft_time_limit=soft_time_limit,
        time_limit=time_limit,
        acks_late=True,
        reject_on_worker_lost=True,
        **options,
    )


# One row written: seconds.
@idempotent_task("core.tasks.heartbeat", ignore_result=False, soft_time_limit=10, time_limit=15)
def heartbeat(name: str = "worker") -> str:
    return services.record_heartbeat(name=name).isoformat()


# One DELETE of the expired sessions, daily.
@idempotent_task("core.tasks.clear_expired_sessions", soft_time_limit=240, time_limit=300)
def clear_expired_sessions() -> None:
    services.clear_expired_sessions()


# One row per transaction (batch=1): a worker killed between handing an e-mail to the mail server
# and committing its sent_at sends that one e-mail again, with the same Message-ID, and no other.
# The limits leave room for a slow mail server with a long outbox; a run cut short by them has
# committed every e-mail it sent, and the next run goes on.
@idempotent_task("core.tasks.deliver_notifications", ignore_result=True, soft_time_limit=240, time_limit=300)
def deliver_notifications() -> int:
    return notifications.deliver_pending(now=timezone.now(), batch=1)


# One e-mail per person with rows due, each committed on its own: a run cut short has kept every
# digest it sent, and the next hour's run takes the rest.
@idempotent_task("core.tasks.send_digests", ignore_result=True, soft_time_limit=240, time_limit=300)
def send_digests() -> int:
    return digests.send_digests(now=timezone.now())

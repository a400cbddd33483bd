"""Periodic housekeeping. Tasks are one line each; the work lives in services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from core import notifications, services


@shared_task(name="core.tasks.heartbeat", ignore_result=False)
def heartbeat(name: str = "worker") -> str:
    return services.record_heartbeat(name=name).isoformat()


@shared_task(name="core.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    services.clear_expired_sessions()


@shared_task(name="core.tasks.deliver_notifications", ignore_result=True)
def deliver_notifications() -> int:
    return notifications.deliver_pending(now=timezone.now())

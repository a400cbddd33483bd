"""Moderation's background work. One line each; the work lives in moderation.services."""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from core.models import User
from moderation import services


@shared_task(name="moderation.tasks.sweep_deadlines")
def sweep_deadlines() -> int:
    return services.sweep_deadlines(now=timezone.now())


@shared_task(name="moderation.tasks.recompute_open_deadlines", base=DjangoTask)
def recompute_open_deadlines(by_id: int | None = None) -> int:
    by = User.objects.filter(pk=by_id).first() if by_id else None
    return services.recompute_open_deadlines(by=by, now=timezone.now())

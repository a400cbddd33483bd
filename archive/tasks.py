"""The archive's background work. One line each; the work lives in the archive's modules."""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.utils import timezone


@shared_task(name="archive.tasks.check_startpages")
def check_startpages() -> int:
    from archive.startpage import check_startpages

    return check_startpages(now=timezone.now())


# A large export outlasts the default limits: an hour, and archive.exports.STALE_AFTER above it.
@shared_task(
    name="archive.tasks.run_export", base=DjangoTask, acks_late=True, soft_time_limit=3300, time_limit=3600
)
def run_export(job_id: int) -> None:
    from archive.exports import run_export

    run_export(job_id, now=timezone.now())

"""The archive's background work. One line each; the work lives in the archive's modules."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="archive.tasks.check_startpages")
def check_startpages() -> int:
    from archive.startpage import check_startpages

    return check_startpages(now=timezone.now())


@shared_task(name="archive.tasks.run_export", acks_late=True)
def run_export(job_id: int) -> None:
    from archive.exports import run_export

    run_export(job_id, now=timezone.now())

"""The archive's background work. One line each; the work lives in the archive's modules."""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from core.tasks import idempotent_task


# KAU-STARTPAGE. Idempotent (one capture attempt a day, reminders under a unique key), so re-queued
# when its worker is lost. Chromium captures take seconds each: half an hour for a large registry.
@idempotent_task("archive.tasks.check_startpages", soft_time_limit=1740, time_limit=1800)
def check_startpages() -> int:
    from archive.startpage import check_startpages

    return check_startpages(now=timezone.now())


# A large export outlasts the default limits: an hour, and archive.exports.STALE_AFTER above it.
# Acknowledged late: a worker that dies whole leaves the message in the broker, which hands it back
# after its visibility timeout (config.settings), when the job is stale and is taken over. Not
# re-queued at once when only its pool process is lost: an export that killed its process (memory,
# a huge bag) would kill the next one too, and its job would not be stale yet.
@shared_task(
    name="archive.tasks.run_export",
    base=DjangoTask,
    acks_late=True,
    reject_on_worker_lost=False,
    soft_time_limit=3300,
    time_limit=3600,
)
def run_export(job_id: int) -> None:
    from archive.exports import run_export

    run_export(job_id, now=timezone.now())


# One request to the TSA, after the ledger entry committed. Idempotent: the row is claimed with a
# compare-and-set and a stored token is never asked for again. The limits leave room for the
# request's own time-out (TSA_TIMEOUT); a request cut short is tried again by the sweep.
@idempotent_task("archive.tasks.timestamp_entry", ignore_result=True, soft_time_limit=110, time_limit=120)
def timestamp_entry(entry_id: int) -> str:
    from archive.timestamps import timestamp_entry

    return timestamp_entry(entry_id, now=timezone.now())


# The sweep for tokens still missing (the TSA was down), in batches of 100, each request claimed.
@idempotent_task("archive.tasks.timestamp_pending", ignore_result=True, soft_time_limit=240, time_limit=300)
def timestamp_pending() -> int:
    from archive.timestamps import timestamp_pending

    return timestamp_pending(now=timezone.now())


# Arkivlagen 10 §: the daily job only proposes a disposal list for the archivist to review; it never
# destroys anything. One proposal under review at a time, so a second run is a no-op.
@idempotent_task("archive.tasks.propose_disposal", soft_time_limit=540, time_limit=600)
def propose_disposal() -> int | None:
    from archive.disposal import propose_disposal

    disposal = propose_disposal(by=None, now=timezone.now())
    return disposal.pk if disposal else None


# Carries out a disposal the archivist approved, in batches of one transaction each; claimed, and safe
# to run again (destroyed records are not taken twice), so re-queued when its worker is lost.
@idempotent_task("archive.tasks.execute_disposal", soft_time_limit=3300, time_limit=3600)
def execute_disposal(disposal_id: int) -> int:
    from archive.disposal_execution import execute_disposal

    return execute_disposal(disposal_id, now=timezone.now())

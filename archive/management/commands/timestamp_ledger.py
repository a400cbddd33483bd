"""manage.py timestamp_ledger: queue an RFC 3161 timestamp for every ledger entry that has none.

Entries recorded before a TSA was configured (or while it was switched off) have no timestamp row;
this queues them, and the sweep (archive.tasks.timestamp_pending) asks the TSA for their tokens in
batches. Their tokens prove existence from the time the TSA saw them, not from when they were recorded.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from archive import timestamps


class Command(BaseCommand):
    help = "Queue a trusted timestamp for every fixity-ledger entry that has none (TSA_URL and TSA_CA_CERT)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not timestamps.requesting():
            raise CommandError("No timestamp authority is configured: set TSA_URL and TSA_CA_CERT.")
        queued = timestamps.queue_missing(now=timezone.now())
        self.stdout.write(f"Queued {queued} ledger entries for a timestamp; the sweep asks the TSA for them.")

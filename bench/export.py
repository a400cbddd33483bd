"""The archive export (KAU-PUBLIC-RECORD) of one account's year: a BagIt bag of its items, log and
screenshots (originals and date-stamped copies), built as the task does (archive.exports.run_export).

The job row and its ledger entry stay (both are records); the bag's file is removed afterwards so
that repeated runs do not fill the disk.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.models import Account
from archive.exports import run_export
from archive.models import ExportJob
from archive.search import Criteria
from core.models import User


def export_year(info: dict[str, Any]) -> dict[str, Any]:
    account = Account.objects.get(pk=info["export_account"])
    criteria = Criteria(
        account=account,
        start=date.fromisoformat(info["export_start"]),
        end=date.fromisoformat(info["export_end"]),
    )
    now = timezone.now()
    job = ExportJob.objects.create(
        requested_by=User.objects.get(pk=info["registrar"]),
        requested_at=now,
        description=f"Benchmark: {account.name}, {criteria.start} – {criteria.end}",
        criteria=criteria.as_dict(),
    )
    started = time.perf_counter()
    run_export(job.pk, now=now)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    result = {
        "status": job.status,
        "error": job.error,
        "account": account.name,
        "period": f"{criteria.start} – {criteria.end}",
        "items": info.get("export_items"),
        "screenshots": info.get("export_screenshots"),
        "files": job.total,
        "bag_mb": round(job.size / 1e6, 1),
        "screenshot_mb": round(int(info.get("export_screenshot_bytes") or 0) / 1e6, 1),
        "seconds": round(seconds, 2),
        "mb_per_s": round(job.size / 1e6 / seconds, 1) if seconds else None,
    }
    if job.file:
        default_storage.delete(job.file.name)
    return result

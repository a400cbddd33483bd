"""manage.py verify_archive: re-hash every archived file and recompute the fixity ledger's chain.

Prints a summary and each problem (a missing or changed file, a changed entry, a broken chain, a kept
screenshot without an entry; where a TSA is configured, a timestamp that does not verify or is
overdue) and exits non-zero when anything is wrong, so that a scheduled run or a monitoring check
notices (KAU-PUBLIC-RECORD).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from archive.ledger import Report, verify


class Command(BaseCommand):
    help = "Re-hash every archived file and check the fixity ledger's hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        report = Report()
        problems = verify(report=report)
        self.stdout.write(
            f"Ledger entries: {report.entries}; files re-hashed: {report.files} ({report.bytes} bytes)."
        )
        tokens = report.tokens
        if tokens.checked:
            self.stdout.write(
                f"Timestamps verified: {tokens.verified}; awaiting their token: {tokens.pending}; "
                f"recorded before timestamps were configured: {tokens.before}."
            )
        for gap in report.disposed:
            self.stdout.write(f"Lawful gap: {gap}.")
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(f"The archive has {len(problems)} problem(s); see above.")
        self.stdout.write(self.style.SUCCESS("The archive is intact: every file and the chain verify."))

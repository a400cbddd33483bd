"""manage.py export_package: a delivery of accounts and a period, for a script or a scheduled delivery
to an archive (KAU-PUBLIC-RECORD): the same builder as the export page, run here and now.

    manage.py export_package --format fgs --account 12 --account fysik_kau \\
        --from 2026-01-01 --to 2026-06-30 --as registrar /srv/leveranser

``--format fgs`` makes an E-ARK SIP following Riksarkivet's FGS Paketstruktur 2.0, ``bagit`` a BagIt
bag. The export is recorded as asked for by the person named with ``--as``, who must be allowed to
export (the registrar/archivist or the social media lead): an export is a record of who handed out
what, so a script acts in a named person's name. The zip is copied into OUTDIR, and its path, size and
SHA-256 are printed. Bad arguments stop the command with the argument named, before anything is made.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from archive import exports
from archive.models import ExportJob
from archive.search import may_search
from core.models import User

CHUNK = 1024 * 1024


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{option}: {value!r} is not a date; write it as YYYY-MM-DD.") from exc


def _account(value: str) -> Account:
    """An account by its id, or by its handle (with or without @) when that names exactly one."""
    if value.isdigit():
        account = Account.objects.filter(pk=int(value)).first()
        if account is not None:
            return account
    handle = value.removeprefix("@")
    matches = list(Account.objects.filter(Q(handle__iexact=handle) | Q(handle__iexact=f"@{handle}"))[:5])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CommandError(f"--account: no account has the id or handle {value!r}.")
    named = ", ".join(f"{a.pk} ({a.name}, {a.platform})" for a in matches)
    raise CommandError(f"--account: the handle {value!r} names several accounts; give the id: {named}.")


def _person(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--as: there is no person with the username {username!r}.")
    if not may_search(user):
        raise CommandError(
            f"--as: {username} may not export the archive; only the registrar/archivist and the social "
            "media lead export."
        )
    return user


class Command(BaseCommand):
    help = "Export accounts and a period as an FGS 2.0 / E-ARK SIP or a BagIt bag into a folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("outdir", metavar="OUTDIR", help="An existing folder to write the zip into.")
        parser.add_argument(
            "--format", required=True, choices=ExportJob.PackageFormat.values, dest="package_format"
        )
        parser.add_argument(
            "--account", required=True, action="append", dest="accounts", help="An id or handle; repeatable."
        )
        parser.add_argument("--from", required=True, dest="start", help="The first day, YYYY-MM-DD.")
        parser.add_argument("--to", required=True, dest="end", help="The last day, YYYY-MM-DD.")
        parser.add_argument(
            "--as", required=True, dest="username", help="The registrar or lead the export is made for."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        outdir = Path(options["outdir"])
        if not outdir.is_dir():
            raise CommandError(f"OUTDIR: {outdir} is not an existing folder.")
        start, end = _day(options["start"], "--from"), _day(options["end"], "--to")
        if start > end:
            raise CommandError("--to: the last day cannot come before the first.")
        accounts = list(dict.fromkeys(_account(value) for value in options["accounts"]))
        by = _person(options["username"])
        criteria = {
            "accounts": [account.pk for account in accounts],
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        names = ", ".join(account.name for account in accounts)
        now = timezone.now()
        try:
            with transaction.atomic():
                job = exports.create_export(
                    by=by,
                    now=now,
                    criteria=criteria,
                    description=f"{names}, {start.isoformat()} – {end.isoformat()} (export_package)",
                    package_format=options["package_format"],
                )
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        exports.run_export(job.pk, now=now)
        job.refresh_from_db()
        if job.status != ExportJob.Status.DONE:
            raise CommandError(f"Export {job.pk} failed: {job.error}")
        target = outdir / job.download_name
        digest = hashlib.sha256()
        with job.file.open("rb") as source, target.open("xb") as out:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != job.sha256:
            raise CommandError(f"{target} does not match the export's recorded SHA-256; run verify_archive.")
        self.stdout.write(f"{target}\n{job.size} bytes\nSHA-256 {job.sha256}")

"""manage.py export_package (KAU-PUBLIC-RECORD): a delivery of accounts and a period made by a script,
in the name of a registrar or the social media lead; bad arguments are refused with the argument named
and make nothing (no job, no file, no ledger entry)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import bagit
import pytest
from django.core.management import CommandError, call_command

from archive.models import ExportJob, LedgerEntry
from tests.archive.eark_support import check_files
from tests.archive.export_support import Archive, account, archive, make_item, media_root
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
# The shared fixtures, used here by name.
FIXTURES = (account, archive, make_item, media_root)


def run(*args: Any) -> str:
    out = io.StringIO()
    call_command("export_package", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def test_a_delivery_package_of_two_accounts_and_a_period_is_written_to_the_folder(
    cast: Cast, archive: Archive, tmp_path: Path
) -> None:
    outdir = tmp_path / "leveranser"
    outdir.mkdir()
    output = run(
        "--format", "fgs",
        "--account", archive.account.pk,
        "--account", f"@{archive.other_account.handle}",
        "--from", "2026-11-01", "--to", "2026-11-30",
        "--as", cast["registrar"].username,
        outdir,
    )  # fmt: skip
    job = ExportJob.objects.get()
    assert (job.requested_by, job.package_format, job.status) == (cast["registrar"], "fgs", "done")
    assert job.criteria["accounts"] == [archive.account.pk, archive.other_account.pk]
    written = outdir / f"kanalvakt-export-{job.pk}-fgs.zip"
    data = written.read_bytes()
    assert output.splitlines() == [
        str(written),
        f"{len(data)} bytes",
        f"SHA-256 {hashlib.sha256(data).hexdigest()}",
    ]
    assert hashlib.sha256(data).hexdigest() == job.sha256
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPORT, sha256=job.sha256).count() == 1
    zipfile.ZipFile(written).extractall(tmp_path / "out")
    package = tmp_path / "out" / f"kanalvakt-export-{job.pk}"
    assert check_files(package) == []
    items = json.loads((package / "representations/rep-json/data/records/items.json").read_text())
    # Both accounts' November items, and nothing of October (the pile-on of 1 Oct).
    assert {row["id"] for row in items} == {archive.criticism.pk, archive.prohibited.pk, archive.threat.pk}


def test_a_bag_by_handle_for_the_social_media_lead(cast: Cast, archive: Archive, tmp_path: Path) -> None:
    output = run(
        "--format", "bagit", "--account", archive.other_account.handle,
        "--from", "2026-11-01", "--to", "2026-11-30", "--as", cast["social_media_lead"].username, tmp_path,
    )  # fmt: skip
    job = ExportJob.objects.get()
    written = Path(output.splitlines()[0])
    assert written == tmp_path / f"kanalvakt-export-{job.pk}-bagit.zip"
    zipfile.ZipFile(written).extractall(tmp_path / "out")
    bag = bagit.Bag(str(tmp_path / "out" / f"kanalvakt-export-{job.pk}"))
    bag.validate()
    assert bag.version_info == (1, 0)


def _good(cast: Cast, archive: Archive, outdir: Path) -> dict[str, Any]:
    return {
        "--format": "fgs",
        "--account": archive.account.pk,
        "--from": "2026-11-01",
        "--to": "2026-11-30",
        "--as": cast["registrar"].username,
        "OUTDIR": outdir,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--format": "warc"}, "--format"),
        ({"--account": "999999"}, "--account"),
        ({"--account": "@ingen_sadan"}, "--account"),
        ({"--from": "2026-13-01"}, "--from"),
        ({"--from": "2026-12-01"}, "--to: the last day cannot come before the first"),
        ({"--as": "nobody-here"}, "--as: there is no person"),
        ({"--as": "communicator"}, "--as: communicator may not export"),
        ({"--as": "head_of_unit"}, "may not export"),
        ({"OUTDIR": "missing"}, "OUTDIR"),
    ],
)
def test_bad_arguments_are_refused_with_the_argument_named_and_make_nothing(
    cast: Cast, archive: Archive, tmp_path: Path, change: dict[str, str], message: str
) -> None:
    outdir = tmp_path / "leveranser"
    outdir.mkdir()
    options: dict[str, Any] = {**_good(cast, archive, outdir), **change}
    if change.get("--as") in {"communicator", "head_of_unit"}:
        options["--as"] = cast[change["--as"]].username
        message = message.replace(change["--as"], cast[change["--as"]].username)
    if change.get("OUTDIR") == "missing":
        options["OUTDIR"] = tmp_path / "missing"
    args = [part for key, value in options.items() if key != "OUTDIR" for part in (key, value)]
    with pytest.raises(CommandError, match=message):
        run(*args, options["OUTDIR"])
    assert not ExportJob.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPORT).exists()
    assert list(outdir.iterdir()) == []
    assert not (tmp_path / "missing").exists()


def test_a_handle_naming_several_accounts_asks_for_the_id(
    cast: Cast, archive: Archive, make_account: Any, tmp_path: Path
) -> None:
    twin = make_account(unit="other", owner="communicator", deputies=("deputy",))
    twin.handle, twin.platform = archive.account.handle, "facebook"
    twin.save()
    with pytest.raises(CommandError, match="give the id"):
        run(
            "--format", "fgs", "--account", archive.account.handle, "--from", "2026-11-01",
            "--to", "2026-11-30", "--as", cast["registrar"].username, tmp_path,
        )  # fmt: skip
    assert not ExportJob.objects.exists()

"""The fixity ledger and manage.py verify_archive (KAU-PUBLIC-RECORD): the chain grows, a clean
archive verifies, and a changed file, a missing file, a changed entry and a broken chain are found."""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from archive import ledger
from archive.ledger import GENESIS, entry_hash_of, verify
from archive.models import LedgerEntry, Screenshot
from archive.services import store_screenshot
from tests.archive.screenshot_support import NOW, account, image_bytes, make_item, media_root
from tests.conftest import Cast

__all__ = ["account", "make_item", "media_root"]


def keep(account: Any, cast: Cast, colour: tuple[int, int, int] = (200, 30, 30)) -> Screenshot:
    return store_screenshot(
        account, data=image_bytes("PNG", colour=colour), purpose="item", by=cast["communicator"], now=NOW
    )


def run_verify() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("verify_archive", stdout=out)
    except CommandError as exc:
        return False, f"{out.getvalue()}\n{exc}"
    return True, out.getvalue()


def disable_append_only_trigger() -> None:
    """Inside the test's transaction only (rolled back with it), as the table owner. The foreign-key
    checks Django defers are run first: PostgreSQL alters no table with trigger events pending."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE archive_ledgerentry DISABLE TRIGGER archive_ledgerentry_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def kinds(problems: list[ledger.Problem]) -> set[str]:
    return {problem.kind for problem in problems}


@pytest.mark.django_db
def test_the_chain_grows_from_the_genesis_hash(account: Any, cast: Cast) -> None:
    first = keep(account, cast)
    keep(account, cast, colour=(10, 20, 30))
    entries = list(LedgerEntry.objects.order_by("pk"))
    assert [entry.kind for entry in entries] == ["original", "stamped", "original", "stamped"]
    assert entries[0].previous_hash == GENESIS
    for before, after in pairwise(entries):
        assert after.previous_hash == before.entry_hash
    for entry in entries:
        assert entry.entry_hash == entry_hash_of(entry)
        assert entry.recorded_by == cast["communicator"]
    assert (entries[0].path, entries[0].sha256, entries[0].size) == (
        first.image.name,
        first.sha256,
        first.size,
    )
    assert (entries[1].path, entries[1].sha256) == (first.stamped.name, first.stamped_sha256)


@pytest.mark.django_db
def test_append_takes_bytes_or_size_and_hash(account: Any, cast: Cast) -> None:
    data = b"ett arkiverat paket"
    from_bytes = ledger.append(
        kind="package", path="diary/a.pdf", data_or_size_and_hash=data, by=None, now=NOW
    )
    digest = hashlib.sha256(data).hexdigest()
    assert (from_bytes.size, from_bytes.sha256) == (len(data), digest)
    given = ledger.append(
        kind="package", path="diary/b.pdf", data_or_size_and_hash=(len(data), digest), by=None, now=NOW
    )
    assert given.previous_hash == from_bytes.entry_hash


def test_the_entry_hash_is_independent_of_the_time_zone_it_is_given_in() -> None:
    from zoneinfo import ZoneInfo

    fields: dict[str, Any] = {
        "kind": "original",
        "path": "p",
        "size": 1,
        "sha256": "a" * 64,
        "recorded_by_id": None,
        "previous_hash": GENESIS,
    }
    stockholm = ledger.canonical(recorded_at=NOW, **fields)
    utc = ledger.canonical(recorded_at=NOW.astimezone(ZoneInfo("UTC")), **fields)
    assert stockholm == utc


@pytest.mark.django_db
def test_verify_archive_passes_on_a_clean_archive(account: Any, cast: Cast) -> None:
    keep(account, cast)
    keep(account, cast, colour=(1, 2, 3))
    ok, output = run_verify()
    assert ok, output
    assert "Ledger entries: 4" in output
    assert "files re-hashed: 4" in output


@pytest.mark.django_db
def test_verify_archive_passes_on_an_empty_archive() -> None:
    ok, output = run_verify()
    assert ok, output


@pytest.mark.django_db
def test_verify_archive_finds_a_changed_file_one_byte_flipped(
    account: Any, cast: Cast, media_root: Path
) -> None:
    shot = keep(account, cast)
    path = media_root / shot.image.name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # same size, one bit different
    path.write_bytes(bytes(data))
    problems = verify()
    assert [(p.kind, p.path) for p in problems] == [(ledger.CHANGED_FILE, shot.image.name)]
    ok, output = run_verify()
    assert not ok
    assert "changed file" in output
    assert shot.image.name in output


@pytest.mark.django_db
def test_verify_archive_finds_a_missing_file(account: Any, cast: Cast, media_root: Path) -> None:
    shot = keep(account, cast)
    (media_root / shot.stamped.name).unlink()
    assert [(p.kind, p.path) for p in verify()] == [(ledger.MISSING_FILE, shot.stamped.name)]
    ok, output = run_verify()
    assert not ok
    assert "missing file" in output


@pytest.mark.django_db
def test_verify_archive_finds_a_forged_entry_inserted_into_the_chain(account: Any, cast: Cast) -> None:
    """Broken chain, on any database: an entry inserted with a made-up previous hash (no UPDATE
    needed, so the append-only trigger does not stand in the way)."""
    keep(account, cast)
    forged = LedgerEntry(
        kind="original",
        path=LedgerEntry.objects.first().path,  # type: ignore[union-attr]
        size=1,
        sha256="f" * 64,
        recorded_at=NOW,
        previous_hash="e" * 64,
    )
    forged.entry_hash = entry_hash_of(forged)
    forged.save()
    found = verify()
    assert (ledger.BROKEN_CHAIN, forged.pk) in {(p.kind, p.entry_id) for p in found}
    ok, output = run_verify()
    assert not ok
    assert "broken chain" in output


@pytest.mark.django_db
def test_a_kept_screenshot_without_its_ledger_entry_is_reported(account: Any, cast: Cast) -> None:
    """Removing the last entries leaves the chain intact; the screenshot they recorded shows it."""
    shot = keep(account, cast)
    if connection.vendor == "postgresql":
        disable_append_only_trigger()
    LedgerEntry.objects.filter(path=shot.stamped.name).delete()
    assert [(p.kind, p.path) for p in verify()] == [(ledger.NOT_IN_LEDGER, shot.stamped.name)]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_ledger_entry(account: Any, cast: Cast) -> None:
    keep(account, cast)
    entry = LedgerEntry.objects.first()
    assert entry is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(size=entry.size + 1)
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.postgres
@pytest.mark.django_db
def test_verify_archive_finds_a_changed_entry_and_a_broken_chain(account: Any, cast: Cast) -> None:
    """Broken chain on PostgreSQL: the append-only trigger is disabled inside this test's own
    transaction (as the table owner), which is rolled back with the test."""
    keep(account, cast)
    keep(account, cast, colour=(9, 9, 9))
    entries = list(LedgerEntry.objects.order_by("pk"))
    disable_append_only_trigger()
    # An entry's own field rewritten: its hash no longer matches.
    LedgerEntry.objects.filter(pk=entries[1].pk).update(recorded_at=NOW + timedelta(days=1))
    # An entry re-chained and re-hashed to look whole: the link to the one before it is broken.
    tampered = entries[3]
    tampered.previous_hash = "d" * 64
    tampered.entry_hash = entry_hash_of(tampered)
    LedgerEntry.objects.filter(pk=tampered.pk).update(
        previous_hash=tampered.previous_hash, entry_hash=tampered.entry_hash
    )
    found = {(p.kind, p.entry_id) for p in verify()}
    assert found == {(ledger.CHANGED_ENTRY, entries[1].pk), (ledger.BROKEN_CHAIN, entries[3].pk)}
    ok, output = run_verify()
    assert not ok
    assert "changed entry" in output
    assert "broken chain" in output


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_writers_at_once_never_fork_the_chain() -> None:
    """Two real connections append at the same time; the advisory lock orders them into one chain."""
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            start.wait(timeout=10)
            for number in range(15):
                ledger.append(
                    kind="export",
                    path=f"exports/{name}-{number}.zip",
                    data_or_size_and_hash=f"{name}{number}".encode(),
                    by=None,
                    now=NOW,
                )
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    entries = list(LedgerEntry.objects.order_by("pk"))
    assert len(entries) == 30
    assert len({entry.previous_hash for entry in entries}) == 30
    assert {entry.path[8] for entry in entries} == {"a", "b"}
    assert kinds(verify()) == {ledger.MISSING_FILE}  # the chain is whole; the files were never written

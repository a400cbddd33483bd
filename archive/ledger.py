"""The fixity ledger: every archived file, chained by hash, and its verification (KAU-PUBLIC-RECORD).

Each entry holds one file's path, size and SHA-256, who recorded it and when, and the hash of the
entry before it; its own ``entry_hash`` is the SHA-256 of a canonical serialisation of all of that.
Changing any entry, or removing one from the middle, therefore breaks the chain at that point, and
``verify`` (``manage.py verify_archive``) finds it, along with any file that is missing or whose bytes
no longer match.

Writers are serialised by a PostgreSQL advisory lock held until their transaction ends, so the next
writer reads the entry this one wrote and the chain never forks; the unique constraint on
``previous_hash`` is the backstop should anything bypass the lock. On PostgreSQL a trigger refuses
UPDATE and DELETE of entries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.files.storage import Storage, default_storage
from django.db import connection, transaction

from archive import timestamps
from archive.models import LedgerEntry, Screenshot
from core.models import User

GENESIS = "0" * 64
# pg_advisory_xact_lock takes a bigint; this one is the ledger's alone ("kvledger" in ASCII).
LOCK_KEY = int.from_bytes(b"kvledger", "big") & 0x7FFF_FFFF_FFFF_FFFF
CHUNK = 1024 * 1024


def canonical(
    *,
    kind: str,
    path: str,
    size: int,
    sha256: str,
    recorded_at: datetime,
    recorded_by_id: int | None,
    previous_hash: str,
) -> bytes:
    """The bytes an entry's hash is computed over: sorted-key JSON, no spaces, the instant in UTC.

    Stable across databases and time zones: a verifier recomputes the same bytes from the stored row.
    """
    if recorded_at.tzinfo is None:
        raise ValueError("recorded_at must be aware")
    fields = {
        "kind": kind,
        "path": path,
        "size": size,
        "sha256": sha256,
        "recorded_at": recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "recorded_by": recorded_by_id,
        "previous_hash": previous_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash_of(entry: LedgerEntry) -> str:
    return hashlib.sha256(
        canonical(
            kind=entry.kind,
            path=entry.path,
            size=entry.size,
            sha256=entry.sha256,
            recorded_at=entry.recorded_at,
            recorded_by_id=entry.recorded_by_id,
            previous_hash=entry.previous_hash,
        )
    ).hexdigest()


def _lock() -> None:
    """Hold the ledger's advisory lock until the transaction ends (PostgreSQL). Other databases in
    development (SQLite) allow one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


@transaction.atomic
def append(
    *,
    kind: str,
    path: str,
    data_or_size_and_hash: bytes | tuple[int, str],
    by: User | None,
    now: datetime,
) -> LedgerEntry:
    """Append one archived file to the ledger, chained to the last entry.

    ``data_or_size_and_hash`` is the file's bytes, or its (size, SHA-256) when the caller has them.
    Call it in the transaction that stores the file's record, so both commit or neither does.
    """
    if isinstance(data_or_size_and_hash, bytes):
        size, digest = len(data_or_size_and_hash), hashlib.sha256(data_or_size_and_hash).hexdigest()
    else:
        size, digest = data_or_size_and_hash
    _lock()
    last = LedgerEntry.objects.order_by("-pk").values_list("entry_hash", flat=True).first()
    entry = LedgerEntry(
        kind=kind,
        path=path,
        size=size,
        sha256=digest,
        # Microseconds are what the database keeps; the hash must be recomputable from the row.
        recorded_at=now.astimezone(UTC),
        recorded_by=by,
        previous_hash=last or GENESIS,
    )
    entry.entry_hash = entry_hash_of(entry)
    entry.save()
    timestamps.queue(entry, now=now)  # an RFC 3161 token, asked for after the commit, where configured
    return entry


# --- Verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the archive. ``kind`` is one of the constants below."""

    kind: str
    detail: str
    entry_id: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else ""
        if self.path:
            where = f"{where} {self.path}".strip()
        return f"[{self.kind}] {where}: {self.detail}" if where else f"[{self.kind}] {self.detail}"


MISSING_FILE = "missing file"
CHANGED_FILE = "changed file"
BROKEN_CHAIN = "broken chain"
CHANGED_ENTRY = "changed entry"
NOT_IN_LEDGER = "not in ledger"


@dataclass
class Report:
    """What ``verify`` looked at, for the summary line."""

    entries: int = 0
    files: int = 0
    bytes: int = 0
    tokens: timestamps.Tally = field(default_factory=timestamps.Tally)
    disposed: list[Any] = field(default_factory=list)  # lawful gaps (archive.disposal_ledger)


def _file_digest(storage: Storage, path: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with storage.open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _entries() -> Iterator[LedgerEntry]:
    return LedgerEntry.objects.order_by("pk").iterator(chunk_size=2000)


def verify(storage: Storage | None = None, *, report: Report | None = None) -> list[Problem]:
    """Re-hash every file in the ledger and recompute the chain; every problem found, in order.

    - missing file: the ledger names a file the storage does not have;
    - changed file: its size or SHA-256 differs from what was recorded;
    - changed entry: the entry's own fields no longer give its ``entry_hash``;
    - broken chain: its ``previous_hash`` is not the hash of the entry before it (an entry was
      removed, inserted or rewritten);
    - not in ledger: a screenshot or its stamped copy was kept without a ledger entry (which is how
      removing the last entry shows);
    - invalid timestamp, missing timestamp: where a TSA is configured, a token that does not verify
      or one overdue (archive.timestamps).

    A file missing because a later DISPOSAL entry records its lawful destruction is no problem; it is
    listed in ``report.disposed`` by decision.
    """
    storage = storage or default_storage
    report = report if report is not None else Report()
    problems: list[Problem] = []
    expected_previous = GENESIS
    ledgered: set[tuple[str, str]] = set()
    hashed: dict[str, tuple[int, str] | None] = {}
    for entry in _entries():
        report.entries += 1
        ledgered.add((entry.path, entry.sha256))
        if entry.previous_hash != expected_previous:
            problems.append(
                Problem(
                    BROKEN_CHAIN,
                    f"previous hash {entry.previous_hash[:16]}… should be {expected_previous[:16]}…",
                    entry.pk,
                    entry.path,
                )
            )
        if entry_hash_of(entry) != entry.entry_hash:
            problems.append(
                Problem(
                    CHANGED_ENTRY, "the entry's fields do not give its recorded hash", entry.pk, entry.path
                )
            )
        # Chain on the stored hash: one rewritten entry is reported there, not at every later one.
        expected_previous = entry.entry_hash
        if entry.path not in hashed:
            try:
                hashed[entry.path] = _file_digest(storage, entry.path)
                report.files += 1
                report.bytes += hashed[entry.path][0]  # type: ignore[index]
            except FileNotFoundError:
                hashed[entry.path] = None
        found = hashed[entry.path]
        if found is None:
            problems.append(Problem(MISSING_FILE, "the file is not in the archive", entry.pk, entry.path))
        elif found != (entry.size, entry.sha256):
            size, digest = found
            problems.append(
                Problem(
                    CHANGED_FILE,
                    f"{size} bytes with SHA-256 {digest[:16]}…, recorded {entry.size} bytes with "
                    f"{entry.sha256[:16]}…",
                    entry.pk,
                    entry.path,
                )
            )
    for name, digest, stamped, stamped_digest in Screenshot.objects.order_by("pk").values_list(
        "image", "sha256", "stamped", "stamped_sha256"
    ):
        for path, sha in ((name, digest), (stamped, stamped_digest)):
            if path and (path, sha) not in ledgered:
                problems.append(
                    Problem(NOT_IN_LEDGER, "a kept screenshot file has no ledger entry", path=path)
                )
    problems.extend(Problem(*found) for found in timestamps.token_problems(tally=report.tokens))
    from archive.disposal_ledger import excuse_disposed  # files destroyed under a disposal decision

    return excuse_disposed(problems, report)

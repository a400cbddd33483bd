"""Trusted timestamps on the fixity ledger (KAU-PUBLIC-RECORD): the one write path of TimestampToken.

The ledger proves that a file has not changed since it was recorded, but its times are Kanalvakt's
own. With a timestamp authority (TSA) configured (``TSA_URL`` and ``TSA_CA_CERT``), every file
entering the ledger also gets an RFC 3161 token: the TSA's signature over the file's SHA-256 and the
time it saw it, which anyone can check with the TSA's certificate alone (``openssl ts -verify``),
without trusting Kanalvakt, its database or its clock.

Two decisions:

- The TSA is never called inside ``ledger.append``'s transaction, which holds the ledger's advisory
  lock: a slow TSA would stop every writer. ``queue`` writes a pending row in that transaction (so
  that an entry is never without one once a TSA is configured) and enqueues ``timestamp_entry``
  after the commit. A TSA that cannot be reached, or answers with something that does not verify,
  leaves the row pending with the error and a next attempt after 5 minutes, doubling up to 6 hours;
  the sweep (``timestamp_pending``, beat every 5 minutes) takes due rows on the partial index
  ``timestamp_due_idx``. Each attempt first claims its row with a compare-and-set that moves
  ``next_attempt_at`` past the request's time-out, so two workers never ask for the same token.
- ``verify_archive`` verifies every kept token (``token_problems``). An entry still waiting for its
  token is not a problem during ``TSA_GRACE_HOURS`` after it was queued (the TSA may be down for a
  while), and is one after that. Entries recorded before timestamps were configured have no row;
  they are counted, not reported (``manage.py timestamp_ledger`` queues them), but an entry without
  a row after the first one that has a row is reported: its row was removed.

Without a TSA configured nothing here runs: no rows, no calls, and verify is unchanged.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from archive import rfc3161, tasks
from archive.models import LedgerEntry, TimestampToken

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=5)
LAST_RETRY = timedelta(hours=6)
# Beyond the request's own time-out: how long a claimed row is left to the worker that claimed it.
LEASE = timedelta(minutes=1)

INVALID_TIMESTAMP = "invalid timestamp"
MISSING_TIMESTAMP = "missing timestamp"

Outcome = Literal["stored", "not due", "refused", "unreachable"]


def requesting() -> bool:
    """Whether tokens are asked for: a TSA and the certificate to verify its replies against."""
    return bool(getattr(settings, "TSA_URL", "") and getattr(settings, "TSA_CA_CERT", ""))


def verifying() -> bool:
    """Whether kept tokens are verified: the certificate is enough (the TSA may have been retired)."""
    return bool(getattr(settings, "TSA_CA_CERT", ""))


def retry_delay(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts: 5 minutes, doubling, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)


def queue(entry: LedgerEntry, *, now: datetime) -> None:
    """Queue a ledger entry for its token. Called by ``ledger.append`` in its transaction: the row
    commits with the entry, and the request is sent only after the commit (outside the lock)."""
    if not requesting():
        return
    TimestampToken.objects.create(entry=entry, tsa_url=settings.TSA_URL, queued_at=now, next_attempt_at=now)
    tasks.timestamp_entry.delay_on_commit(entry.pk)


def queue_missing(*, now: datetime, batch: int = 1000) -> int:
    """Queue every entry that has no row (recorded before timestamps were configured); how many."""
    if not requesting():
        return 0
    queued = 0
    while True:
        with transaction.atomic():
            ids = list(
                LedgerEntry.objects.filter(timestamp__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            TimestampToken.objects.bulk_create(
                [
                    TimestampToken(entry_id=pk, tsa_url=settings.TSA_URL, queued_at=now, next_attempt_at=now)
                    for pk in ids
                ],
                ignore_conflicts=True,  # a row queued meanwhile by another run stays as it is
            )
        queued += len(ids)
        if len(ids) < batch:
            return queued


def timestamp_entry(entry_id: int, *, now: datetime) -> Outcome:
    """Ask the TSA for one entry's token, if it is due, and keep it once it verifies.

    "refused": the TSA answered with something that is not a valid token for this query (refused,
    another hash, another nonce, a signature that does not verify); "unreachable": no answer. Both
    leave the row pending with the reason and the next attempt after ``retry_delay``.
    """
    if not requesting():
        return "not due"
    timeout = settings.TSA_TIMEOUT
    # Claim (compare-and-set, no transaction held over the request): one worker, one request.
    claimed = TimestampToken.objects.filter(pk=entry_id, token__isnull=True, next_attempt_at__lte=now).update(
        next_attempt_at=now + timedelta(seconds=timeout) + LEASE
    )
    if claimed != 1:
        return "not due"
    row = TimestampToken.objects.select_related("entry").get(pk=entry_id)
    digest = bytes.fromhex(row.entry.sha256)
    nonce = secrets.randbits(63) | 1  # never 0, so that a reply without a nonce cannot match
    try:
        roots = rfc3161.load_certificates(settings.TSA_CA_CERT)
        reply = rfc3161.post_query(settings.TSA_URL, rfc3161.build_query(digest, nonce), timeout=timeout)
        token = rfc3161.read_reply(reply, digest=digest, nonce=nonce, roots=roots)
    except (rfc3161.TimestampError, OSError, ValueError) as exc:  # OSError, ValueError: TSA_CA_CERT
        outcome: Outcome = "unreachable" if isinstance(exc, rfc3161.NotReached) else "refused"
        attempts = row.attempts + 1
        TimestampToken.objects.filter(pk=entry_id, token__isnull=True).update(
            attempts=attempts, last_error=str(exc)[:2000], next_attempt_at=now + retry_delay(attempts)
        )
        logger.warning("No timestamp for ledger entry %s (attempt %s): %s", entry_id, attempts, exc)
        return outcome
    TimestampToken.objects.filter(pk=entry_id, token__isnull=True).update(
        token=token.der,
        gen_time=token.gen_time,
        serial=str(token.serial),
        policy=token.policy,
        tsa_url=settings.TSA_URL,
        stored_at=now,
        attempts=row.attempts + 1,
        last_error="",
        next_attempt_at=None,
    )
    return "stored"


def timestamp_pending(*, now: datetime, batch: int = 100, budget: float = 200.0) -> int:
    """The sweep: ask again for the tokens that are due, oldest first; how many were stored.

    Stops at the first TSA that does not answer, so that a TSA that is down gets one request a run,
    not one per waiting entry, and after ``budget`` seconds, inside the task's time limit; the others
    keep their turn for the next run.
    """
    if not requesting():
        return 0
    due = list(
        TimestampToken.objects.filter(token__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    stored = 0
    stop_at = time.monotonic() + budget
    for pk in due:
        if time.monotonic() > stop_at:
            break
        outcome = timestamp_entry(pk, now=now)
        if outcome == "stored":
            stored += 1
        elif outcome == "unreachable":
            break
    return stored


# --- Verification (manage.py verify_archive) ----------------------------------------------------------


class TokenProblem(NamedTuple):
    """A problem with a timestamp, in the fields of ``archive.ledger.Problem``."""

    kind: str
    detail: str
    entry_id: int | None = None
    path: str = ""


@dataclass
class Tally:
    """What the timestamp check looked at, for the summary line. ``checked`` is False without a
    configured certificate."""

    checked: bool = False
    verified: int = 0
    pending: int = 0
    before: int = 0  # entries recorded before timestamps were configured


def token_problems(*, tally: Tally | None = None, now: datetime | None = None) -> list[TokenProblem]:
    """Verify every kept token against the configured certificate, and report entries whose token
    is overdue (see the module's docstring); nothing without a configured certificate."""
    tally = tally if tally is not None else Tally()
    if not verifying():
        return []
    tally.checked = True
    now = now or timezone.now()
    problems: list[TokenProblem] = []
    try:
        roots: list[x509.Certificate] = rfc3161.load_certificates(settings.TSA_CA_CERT)
    except (OSError, ValueError) as exc:
        return [TokenProblem(INVALID_TIMESTAMP, f"the TSA certificate (TSA_CA_CERT) cannot be read: {exc}")]
    grace = timedelta(hours=settings.TSA_GRACE_HOURS)
    rows = (
        TimestampToken.objects.select_related("entry")
        .order_by("pk")
        .only("entry__sha256", "entry__path", "token", "gen_time", "queued_at", "attempts", "last_error")
    )
    for row in rows.iterator(chunk_size=1000):
        entry = row.entry
        if row.token is None:
            if not requesting() or row.queued_at > now - grace:
                tally.pending += 1
                continue
            said = f"; last error: {row.last_error}" if row.last_error else ""
            problems.append(
                TokenProblem(
                    MISSING_TIMESTAMP,
                    f"no timestamp {settings.TSA_GRACE_HOURS} hours after it was queued "
                    f"({row.attempts} attempts{said})",
                    entry.pk,
                    entry.path,
                )
            )
            continue
        try:
            token = rfc3161.verify_token(bytes(row.token), digest=bytes.fromhex(entry.sha256), roots=roots)
        except rfc3161.TimestampError as exc:
            problems.append(TokenProblem(INVALID_TIMESTAMP, str(exc), entry.pk, entry.path))
            continue
        if token.gen_time != row.gen_time:
            problems.append(
                TokenProblem(INVALID_TIMESTAMP, "the recorded time is not the token's", entry.pk, entry.path)
            )
            continue
        tally.verified += 1
    if requesting():
        first = TimestampToken.objects.aggregate(first=Min("entry_id"))["first"]
        without = LedgerEntry.objects.filter(timestamp__isnull=True)
        if first is None:
            tally.before = without.count()
        else:
            tally.before = without.filter(pk__lt=first).count()
            for pk, path in without.filter(pk__gt=first).order_by("pk").values_list("pk", "path"):
                problems.append(
                    TokenProblem(
                        MISSING_TIMESTAMP,
                        "no timestamp record: removed, or recorded while timestamps were switched off "
                        "(manage.py timestamp_ledger queues it)",
                        pk,
                        path,
                    )
                )
    return problems

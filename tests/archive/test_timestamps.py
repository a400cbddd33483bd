"""Trusted timestamps on the fixity ledger (KAU-PUBLIC-RECORD): against a real RFC 3161 authority
(OpenSSL's ``openssl ts -reply`` with a CA made here, behind an HTTP endpoint on 127.0.0.1), every
file entering the ledger gets a token after its commit, ``verify_archive`` verifies them and finds a
tampered one, a TSA that is down is asked again later, a wrong reply is refused, and without a TSA
configured nothing happens at all."""

from __future__ import annotations

import hashlib
import io
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import translation

from archive import ledger, rfc3161, timestamps
from archive.models import Screenshot, TimestampToken
from archive.services import store_screenshot
from tests.archive.screenshot_support import NOW, account, image_bytes, make_item, media_root
from tests.archive.tsa_support import POLICY, LocalTSA, free_port, make_ca, make_tsa, tsa, tsa_folder
from tests.conftest import Cast

__all__ = ["account", "make_item", "media_root", "tsa", "tsa_folder"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """The reasons kept with a failed attempt come from core.outbound in the active language."""
    with translation.override("en"):
        yield


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


def stored(token: bytes | memoryview | None) -> bytes:
    assert token is not None
    return bytes(token)


def timestamp_all(now: datetime = NOW) -> list[str]:
    return [
        timestamps.timestamp_entry(pk, now=now) for pk in TimestampToken.objects.values_list("pk", flat=True)
    ]


def tamper(sql: str, params: list[Any]) -> None:
    """Change a token behind Kanalvakt's back: the keeping trigger is disabled inside the test's
    transaction only (rolled back with it), as the table owner would."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE archive_timestamptoken DISABLE TRIGGER archive_timestamptoken_keep")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE archive_timestamptoken ENABLE TRIGGER archive_timestamptoken_keep")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- The round trip ---------------------------------------------------------------------------------


def test_a_stored_screenshot_gets_a_verified_token_for_each_file_after_the_commit(
    account: Any, cast: Cast, tsa: LocalTSA, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        shot = keep(account, cast)
    # The rows commit with the entries; the TSA is asked only after the commit, never under the lock.
    assert len(callbacks) == 2
    assert tsa.queries == []
    pending = list(TimestampToken.objects.select_related("entry").order_by("pk"))
    assert [row.entry.sha256 for row in pending] == [shot.sha256, shot.stamped_sha256]
    assert all(row.token is None and row.next_attempt_at == NOW for row in pending)

    assert timestamp_all() == ["stored", "stored"]
    for row in TimestampToken.objects.select_related("entry"):
        assert row.token is not None
        assert row.policy == POLICY
        assert row.attempts == 1
        assert row.last_error == ""
        assert row.next_attempt_at is None
        assert row.stored_at == NOW
        assert row.gen_time is not None
        assert abs(row.gen_time - datetime.now(UTC)) < timedelta(minutes=5)
        token = rfc3161.verify_token(
            stored(row.token), digest=bytes.fromhex(row.entry.sha256), roots=rfc3161.load_certificates(tsa.ca)
        )
        assert str(token.serial) == row.serial
    assert len(tsa.queries) == 2

    ok, output = run_verify()
    assert ok, output
    assert "Timestamps verified: 2; awaiting their token: 0" in output


def test_the_task_asks_for_the_token(account: Any, cast: Cast, tsa: LocalTSA) -> None:
    from archive.tasks import timestamp_entry

    entry = ledger.append(
        kind="package", path="diary/a.pdf", data_or_size_and_hash=b"paket", by=None, now=NOW
    )
    # The task runs with the real clock: the entry queued at NOW is due.
    assert timestamp_entry.apply(args=[entry.pk]).get() == "stored"
    assert TimestampToken.objects.get(pk=entry.pk).token is not None


def test_a_token_is_asked_for_once(account: Any, cast: Cast, tsa: LocalTSA) -> None:
    entry = ledger.append(
        kind="package", path="diary/a.pdf", data_or_size_and_hash=b"paket", by=None, now=NOW
    )
    assert timestamps.timestamp_entry(entry.pk, now=NOW) == "stored"
    assert timestamps.timestamp_entry(entry.pk, now=NOW + timedelta(days=1)) == "not due"
    assert timestamps.timestamp_pending(now=NOW + timedelta(days=1)) == 0
    assert len(tsa.queries) == 1


def test_a_claimed_entry_is_not_asked_for_by_a_second_worker(tsa: LocalTSA) -> None:
    """The claim is a compare-and-set on next_attempt_at: once one worker moved it past the request's
    time-out, another worker at the same moment finds the row not due."""
    entry = ledger.append(
        kind="package", path="diary/a.pdf", data_or_size_and_hash=b"paket", by=None, now=NOW
    )
    claimed = TimestampToken.objects.filter(pk=entry.pk, token__isnull=True, next_attempt_at__lte=NOW).update(
        next_attempt_at=NOW + timedelta(minutes=1)
    )
    assert claimed == 1
    assert timestamps.timestamp_entry(entry.pk, now=NOW) == "not due"
    assert tsa.queries == []


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_ask_for_each_token_once(tsa: LocalTSA) -> None:
    """Two real connections sweep at the same time: each due row is claimed by one of them only."""
    for number in range(6):
        ledger.append(
            kind="export",
            path=f"exports/{number}.zip",
            data_or_size_and_hash=str(number).encode(),
            by=None,
            now=NOW,
        )
    start = threading.Barrier(2)
    stored: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait(timeout=10)
            stored.append(timestamps.timestamp_pending(now=NOW))
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(stored) == 6
    assert len(tsa.queries) == 6
    assert not TimestampToken.objects.filter(token__isnull=True).exists()
    assert set(TimestampToken.objects.values_list("attempts", flat=True)) == {1}


def test_openssl_verifies_a_kept_token(tsa: LocalTSA, tmp_path: Path) -> None:
    """Anyone with the TSA's certificate can check a token without Kanalvakt: here with OpenSSL."""
    data = b"ett diariefort paket"
    entry = ledger.append(kind="package", path="diary/a.pdf", data_or_size_and_hash=data, by=None, now=NOW)
    assert timestamps.timestamp_entry(entry.pk, now=NOW) == "stored"
    token = tmp_path / "token.der"
    token.write_bytes(stored(TimestampToken.objects.get(pk=entry.pk).token))
    (tmp_path / "file").write_bytes(data)
    result = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(tmp_path / "file"), "-token_in", "-in", str(token),
         "-CAfile", str(tsa.ca), "-untrusted", str(tsa.folder / "tsa.pem")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert "Verification: OK" in result.stdout, result.stdout + result.stderr
    (tmp_path / "file").write_bytes(data + b"!")
    other = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(tmp_path / "file"), "-token_in", "-in", str(token),
         "-CAfile", str(tsa.ca), "-untrusted", str(tsa.folder / "tsa.pem")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert "Verification: OK" not in other.stdout


# --- Tampering --------------------------------------------------------------------------------------


def test_verify_archive_finds_a_token_with_a_changed_byte(account: Any, cast: Cast, tsa: LocalTSA) -> None:
    keep(account, cast)
    timestamp_all()
    row = TimestampToken.objects.order_by("pk").first()
    assert row is not None
    assert row.token is not None
    token = bytearray(row.token)
    token[len(token) // 2] ^= 0x01
    tamper("UPDATE archive_timestamptoken SET token = %s WHERE entry_id = %s", [bytes(token), row.pk])
    assert stored(TimestampToken.objects.get(pk=row.pk).token) == bytes(token)
    problems = ledger.verify()
    assert [(p.kind, p.entry_id) for p in problems] == [(timestamps.INVALID_TIMESTAMP, row.pk)]
    ok, output = run_verify()
    assert not ok
    assert f"[invalid timestamp] entry {row.pk}" in output


def test_every_changed_byte_of_a_token_is_caught(tsa: LocalTSA) -> None:
    """The parts of a token the TSA's signature does not cover (the CMS version numbers, the signature
    algorithm's name) are checked on their own, so no single changed byte goes unnoticed."""
    digest = hashlib.sha256(b"paket").digest()
    roots = rfc3161.load_certificates(tsa.ca)
    token = rfc3161.read_reply(
        tsa.reply(rfc3161.build_query(digest, 7)), digest=digest, nonce=7, roots=roots
    ).der
    assert rfc3161.verify_token(token, digest=digest, roots=roots).der == token
    unnoticed = []
    for at in range(len(token)):
        changed = bytearray(token)
        changed[at] ^= 0x01
        try:
            rfc3161.verify_token(bytes(changed), digest=digest, roots=roots)
        except rfc3161.TimestampError:
            continue
        unnoticed.append(at)
    assert unnoticed == []


def test_verify_archive_finds_a_token_for_another_hash(account: Any, cast: Cast, tsa: LocalTSA) -> None:
    keep(account, cast)
    timestamp_all()
    first, second = TimestampToken.objects.order_by("pk")
    tamper(
        "UPDATE archive_timestamptoken SET token = %s WHERE entry_id = %s", [stored(first.token), second.pk]
    )
    problems = ledger.verify()
    assert [(p.kind, p.entry_id) for p in problems] == [(timestamps.INVALID_TIMESTAMP, second.pk)]
    assert "another hash" in problems[0].detail


def test_verify_archive_finds_a_removed_timestamp_record(account: Any, cast: Cast, tsa: LocalTSA) -> None:
    keep(account, cast)
    keep(account, cast, colour=(1, 2, 3))
    timestamp_all()
    last = TimestampToken.objects.order_by("pk").last()
    assert last is not None
    tamper("DELETE FROM archive_timestamptoken WHERE entry_id = %s", [last.pk])
    problems = ledger.verify()
    assert [(p.kind, p.entry_id) for p in problems] == [(timestamps.MISSING_TIMESTAMP, last.pk)]


def test_a_stored_token_is_never_changed_or_deleted(tsa: LocalTSA) -> None:
    entry = ledger.append(
        kind="package", path="diary/a.pdf", data_or_size_and_hash=b"paket", by=None, now=NOW
    )
    # A pending row takes each attempt's bookkeeping.
    assert TimestampToken.objects.filter(pk=entry.pk).update(last_error="x") == 1
    timestamps.timestamp_entry(entry.pk, now=NOW + timedelta(minutes=1))
    for statement in (
        "UPDATE archive_timestamptoken SET token = '\\x00' WHERE entry_id = %s",
        "UPDATE archive_timestamptoken SET gen_time = now() WHERE entry_id = %s",
        "DELETE FROM archive_timestamptoken WHERE entry_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="public record"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])


# --- A TSA that is down, or answers wrongly ---------------------------------------------------------


def test_a_tsa_that_is_down_is_asked_again_later_by_the_sweep(
    account: Any, cast: Cast, tsa: LocalTSA, settings: Any
) -> None:
    settings.TSA_URL = f"http://127.0.0.1:{free_port()}/tsr"
    keep(account, cast)
    # The sweep stops at the first TSA that does not answer: one request a run, not one per entry.
    assert timestamps.timestamp_pending(now=NOW) == 0
    first, second = TimestampToken.objects.order_by("pk")
    assert first.token is None
    assert first.attempts == 1
    assert "did not answer" in first.last_error
    assert first.next_attempt_at == NOW + timedelta(minutes=5)
    assert second.attempts == 0
    assert second.next_attempt_at == NOW

    # Still down: the first waits its turn, growing; the second is tried.
    assert timestamps.timestamp_pending(now=NOW + timedelta(minutes=1)) == 0
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.attempts == 1
    assert second.attempts == 1
    assert timestamps.timestamp_pending(now=NOW + timedelta(minutes=6)) == 0
    first.refresh_from_db()
    assert first.attempts == 2
    assert first.next_attempt_at == NOW + timedelta(minutes=16)

    # Within the grace period a missing token is pending, not a problem; past it, it is reported.
    tally = timestamps.Tally()
    assert timestamps.token_problems(tally=tally, now=NOW + timedelta(hours=1)) == []
    assert tally.pending == 2
    late = timestamps.token_problems(now=NOW + timedelta(hours=25))
    assert {p.kind for p in late} == {timestamps.MISSING_TIMESTAMP}
    assert "did not answer" in late[0].detail

    settings.TSA_URL = tsa.url  # back up
    assert timestamps.timestamp_pending(now=NOW + timedelta(minutes=10)) == 1  # the second, due again
    assert timestamps.timestamp_pending(now=NOW + timedelta(minutes=16)) == 1
    assert not TimestampToken.objects.filter(token__isnull=True).exists()
    assert timestamps.token_problems(now=NOW + timedelta(hours=25)) == []


def test_the_retry_delay_doubles_up_to_six_hours() -> None:
    assert [timestamps.retry_delay(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (5, 10, 20)]
    assert timestamps.retry_delay(20) == timedelta(hours=6)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("other hash", "another hash"),
        ("other nonce", "nonce"),
        ("refuse", "HTTP 503"),
        ("html", "text/html"),
    ],
)
def test_a_reply_that_is_not_for_the_query_is_refused(tsa: LocalTSA, mode: str, reason: str) -> None:
    tsa.mode = mode
    entry = ledger.append(
        kind="package", path="diary/a.pdf", data_or_size_and_hash=b"paket", by=None, now=NOW
    )
    assert timestamps.timestamp_entry(entry.pk, now=NOW) in ("refused", "unreachable")
    row = TimestampToken.objects.get(pk=entry.pk)
    assert row.token is None
    assert row.attempts == 1
    assert reason in row.last_error
    assert len(tsa.queries) == (0 if mode in ("refuse", "html") else 1)


def test_a_token_signed_by_another_authority_is_refused(tsa: LocalTSA, settings: Any, tmp_path: Path) -> None:
    settings.TSA_CA_CERT = str(make_ca(tmp_path, "stranger"))
    entry = ledger.append(
        kind="package", path="diary/a.pdf", data_or_size_and_hash=b"paket", by=None, now=NOW
    )
    assert timestamps.timestamp_entry(entry.pk, now=NOW) == "refused"
    assert "does not verify" in TimestampToken.objects.get(pk=entry.pk).last_error


def test_the_tsa_address_is_an_outbound_request_like_any_other(tsa: LocalTSA, settings: Any) -> None:
    """core.outbound: without the tests' allowance, 127.0.0.1 is not a public address."""
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []
    entry = ledger.append(
        kind="package", path="diary/a.pdf", data_or_size_and_hash=b"paket", by=None, now=NOW
    )
    assert timestamps.timestamp_entry(entry.pk, now=NOW) == "unreachable"
    assert "not a public address" in TimestampToken.objects.get(pk=entry.pk).last_error
    assert tsa.queries == []


# --- Without a TSA, and entries from before one ----------------------------------------------------


def test_without_a_tsa_nothing_changes(
    account: Any, cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TSA_URL = ""
    settings.TSA_CA_CERT = ""
    with django_capture_on_commit_callbacks() as callbacks:
        keep(account, cast)
    assert callbacks == []
    assert not TimestampToken.objects.exists()
    assert timestamps.timestamp_pending(now=NOW) == 0
    ok, output = run_verify()
    assert ok, output
    assert "Timestamps" not in output


def test_entries_from_before_the_tsa_are_counted_and_queued_on_request(
    account: Any, cast: Cast, tsa: LocalTSA, settings: Any
) -> None:
    settings.TSA_URL = ""
    keep(account, cast)
    settings.TSA_URL = tsa.url
    ok, output = run_verify()
    assert ok, output
    assert "recorded before timestamps were configured: 2" in output

    out = io.StringIO()
    call_command("timestamp_ledger", stdout=out)
    assert "Queued 2" in out.getvalue()
    assert timestamps.timestamp_pending(now=datetime.now(UTC)) == 2
    ok, output = run_verify()
    assert ok, output
    assert "Timestamps verified: 2" in output


def test_a_self_signed_tsa_certificate_is_its_own_trust_anchor(tmp_path: Path) -> None:
    """TSA_CA_CERT may name the TSA's own certificate when it is self-signed."""
    authority = make_tsa(tmp_path / "self", self_signed=True)
    digest = hashlib.sha256(b"paket").digest()
    roots = rfc3161.load_certificates(authority.ca)
    reply = authority.reply(rfc3161.build_query(digest, 99))
    token = rfc3161.read_reply(reply, digest=digest, nonce=99, roots=roots)
    assert rfc3161.verify_token(token.der, digest=digest, roots=roots).serial == token.serial
    stranger = rfc3161.load_certificates(make_ca(tmp_path, "stranger"))
    with pytest.raises(rfc3161.TimestampError, match="does not verify"):
        rfc3161.verify_token(token.der, digest=digest, roots=stranger)


def test_the_query_is_the_one_openssl_reads(tsa: LocalTSA) -> None:
    digest = hashlib.sha256(b"x").digest()
    query = rfc3161.build_query(digest, 0x1234567890ABCDEF)
    text = subprocess.run(
        ["openssl", "ts", "-query", "-in", "/dev/stdin", "-text"],
        input=query,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "Hash Algorithm: sha256" in text
    assert "Nonce: 0x1234567890ABCDEF" in text
    assert "Certificate required: yes" in text
    assert digest.hex()[:4] in text.replace(" ", "")


# --- Settings ---------------------------------------------------------------------------------------


def test_a_tsa_without_its_certificate_is_warned_about(settings: Any, tmp_path: Path) -> None:
    from archive.checks import timestamp_authority_is_complete

    settings.TSA_URL = "https://tsa.example.org/tsr"
    settings.TSA_CA_CERT = ""
    assert [m.id for m in timestamp_authority_is_complete()] == ["kanalvakt.W030"]
    assert not timestamps.requesting()
    (tmp_path / "not.pem").write_text("not a certificate")
    settings.TSA_CA_CERT = str(tmp_path / "not.pem")
    found = timestamp_authority_is_complete()
    assert [m.id for m in found] == ["kanalvakt.E030"]
    assert found[0].level == checks.ERROR
    settings.TSA_URL = ""
    settings.TSA_CA_CERT = ""
    assert timestamp_authority_is_complete() == []

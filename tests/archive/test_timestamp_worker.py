"""A real Celery worker, started as a subprocess, asks the TSA for a ledger entry's token
(KAU-PUBLIC-RECORD): the task travels by name through the filesystem transport to a separate process,
which reads the pending row from the same PostgreSQL database and calls the test's TSA over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import ledger, timestamps
from archive.models import TimestampToken
from tests.archive.screenshot_support import NOW
from tests.archive.tsa_support import LocalTSA, tsa, tsa_folder
from tests.core.test_worker import client, filesystem_options, wait_for, worker

# The shared fixtures, used here by name.
FIXTURES = (tsa, tsa_folder)


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_stores_the_token_and_it_verifies(tsa: LocalTSA, tmp_path: Path) -> None:
    entry = ledger.append(
        kind="package", path="diary/a.pdf", data_or_size_and_hash=b"paket", by=None, now=NOW
    )
    options = filesystem_options(tmp_path)
    env = {
        "TSA_URL": tsa.url,
        "TSA_CA_CERT": str(tsa.ca),
        "KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",
    }
    with worker("filesystem://", tmp_path, **env) as process:
        client("filesystem://", options).send_task("archive.tasks.timestamp_entry", args=[entry.pk])
        row = wait_for(
            lambda: TimestampToken.objects.filter(pk=entry.pk, token__isnull=False).first(),
            tmp_path,
            "stored the token",
        )
        assert process.poll() is None
    assert len(tsa.queries) == 1  # asked by the worker process, through HTTP
    assert row.attempts == 1
    tally = timestamps.Tally()
    assert timestamps.token_problems(tally=tally) == []
    assert tally.verified == 1

"""The poll of the polled platforms (connectors.polling): 1,000 Mastodon connections with nothing new,
polled by the sweep against a local server that answers as an idle Mastodon server does (empty lists).

Two figures: the database statements per connection in a run (the target: at most one, the UPDATE of
its cursor, plus the claim's two statements per batch of 50), and the seconds one run takes against
the platform's poll interval (the run must finish well within it, or connections would fall behind).
A warm-up run first gives every connection its cursor, so the measured run is the steady state. The
benchmark's accounts and connections (``Bench polling N``) are made once and reused.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from connectors import polling
from connectors.adapters import adapter_for
from connectors.models import Connection
from core.secrets import encrypt

COUNT = 1_000
PREFIX = "Bench polling"


@contextmanager
def idle_server() -> Iterator[tuple[str, list[int]]]:
    """A server on 127.0.0.1 answering every GET with an empty JSON list (and the account for
    verify_credentials); the list counts the requests."""
    requests: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            requests.append(1)
            body: Any = [] if "verify_credentials" not in self.path else {"id": "1", "acct": "bench"}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def _connections(count: int, server_url: str) -> list[int]:
    """``count`` live Mastodon connections on accounts of their own, made once, pointed at the server."""
    now = timezone.now()
    existing = list(
        Connection.objects.filter(
            account__name__startswith=PREFIX, platform="mastodon", disconnected_at__isnull=True
        ).values_list("pk", flat=True)
    )
    if len(existing) < count:
        template = Account.objects.order_by("pk").first()
        if template is None:
            raise RuntimeError("the polling benchmark needs one account to copy: seed first")
        token = encrypt("bench-token")  # the idle server takes any
        with transaction.atomic():
            accounts = Account.objects.bulk_create(
                [
                    Account(
                        unit_id=template.unit_id,
                        owner_id=template.owner_id,
                        platform="mastodon",
                        name=f"{PREFIX} {n}",
                        handle=f"@bench{n}",
                    )
                    for n in range(len(existing), count)
                ]
            )
            Connection.objects.bulk_create(
                [
                    Connection(
                        account=account,
                        platform="mastodon",
                        external_id=str(100_000 + account.pk),
                        server_url=server_url,
                        token_encrypted=token,
                        connected_at=now,
                    )
                    for account in accounts
                ]
            )
        existing = list(
            Connection.objects.filter(
                account__name__startswith=PREFIX, platform="mastodon", disconnected_at__isnull=True
            ).values_list("pk", flat=True)
        )
    ids = existing[:count]
    Connection.objects.filter(pk__in=ids).update(server_url=server_url, health="active", poll_failures=0)
    return ids


def _run(ids: list[int], *, now: Any) -> tuple[int, float]:
    Connection.objects.filter(pk__in=ids).update(next_poll_at=now - timedelta(seconds=1))
    started = time.monotonic()
    polled = polling.poll_due(now=now, budget_s=3600)
    return polled, time.monotonic() - started


def idle(*, count: int = COUNT, log: Callable[[str], None] = print) -> dict[str, Any]:
    if adapter_for("mastodon") is None:
        raise RuntimeError("the Mastodon module is missing")
    allowed = list(settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS)
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    try:
        with idle_server() as (server_url, requests):
            ids = _connections(count, server_url)
            log(f"  warm-up run over {len(ids):,} connections")
            _run(ids, now=timezone.now())
            requests.clear()
            with CaptureQueriesContext(db) as queries:
                polled, seconds = _run(ids, now=timezone.now())
    finally:
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = allowed
    # BEGIN and COMMIT of each claim are not queries; the marking before the run is not the run's.
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")][1:]
    per_connection = sum(1 for sql in statements if sql.startswith('UPDATE "connectors_connection"')) - (
        (polled + polling.BATCH - 1) // polling.BATCH
    )
    interval = adapter_for("mastodon").interval().total_seconds()  # type: ignore[union-attr]
    return {
        "connections": polled,
        "seconds": round(seconds, 2),
        "per_connection_ms": round(1000 * seconds / max(polled, 1), 2),
        "statements": len(statements),
        "statements_per_connection": round(len(statements) / max(polled, 1), 3),
        "claims": sum(1 for sql in statements if "FOR UPDATE" in sql),
        "cursor_updates": per_connection,
        "http_requests": len(requests),
        "interval_s": interval,
        "share_of_interval": round(seconds / interval, 3),
    }

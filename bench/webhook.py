"""Webhook intake (connectors): 10,000 signed events in deliveries as Meta sends them, posted to the
webhook under gunicorn while a real Celery worker on Redis processes them.

Two figures: how fast a delivery is received (the p95 of the POST, the answer Meta waits for: the
signature checked and one INSERT), and how many items per second come out of the worker, end to end
from the first POST to the last delivery processed. Each run uses a fresh page id on one account
(its earlier benchmark connection is disconnected), so runs do not see each other's items; the items,
deliveries and events it makes are records and stay.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Account
from connectors.models import Connection, Delivery, Event
from moderation.models import Item

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
APP_SECRET = "bench-webhook-secret"  # noqa: S105 (signs the benchmark's own deliveries)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
PATH = "/connectors/meta/webhook/"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _connection(now: Any) -> Connection:
    """A fresh page on the first account: the previous run's connection is disconnected."""
    account = Account.objects.order_by("pk").first()
    if account is None:
        raise RuntimeError("the webhook benchmark needs one account: seed first")
    with transaction.atomic():
        Connection.objects.filter(account=account, platform="facebook", disconnected_at__isnull=True).update(
            disconnected_at=now
        )
        page_id = str(int(time.time() * 1000))
        return Connection.objects.create(
            account=account, platform="facebook", external_id=page_id, connected_at=now
        )


def _bodies(page_id: str, *, events: int, per_delivery: int, at: int) -> list[bytes]:
    bodies = []
    for first in range(0, events, per_delivery):
        changes = [
            {
                "field": "feed",
                "value": {
                    "item": "comment",
                    "verb": "add",
                    "post_id": f"{page_id}_1",
                    "comment_id": f"{page_id}_1_{n}",
                    "parent_id": f"{page_id}_1",
                    "from": {"id": f"9{n:09d}", "name": f"Besökare {n}"},
                    "message": f"Fråga nummer {n}: när öppnar anmälan? 🙂",
                    "created_time": at,
                },
            }
            for n in range(first, min(first + per_delivery, events))
        ]
        document = {"object": "page", "entry": [{"id": page_id, "time": at, "changes": changes}]}
        bodies.append(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    return bodies


@contextlib.contextmanager
def _worker(env: dict[str, str], log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    celery = str(Path(sys.executable).with_name("celery"))
    with log_file.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [
                celery,
                "-A",
                "config",
                "worker",
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
                "--without-mingle",
                "--without-gossip",
                "-n",
                f"bench-webhook-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=60)


def _post(base: str, body: bytes) -> tuple[int, float]:
    parsed = urlparse(base)
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port or 80, timeout=30)
    started = time.perf_counter()
    conn.request(
        "POST",
        PATH,
        body=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    status = conn.getresponse().status
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return status, elapsed


def intake(
    gunicorn: Callable[[int], Any],
    *,
    events: int = 10_000,
    per_delivery: int = 50,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    now = timezone.now()
    connection = _connection(now)
    at = int((now - timedelta(minutes=5)).timestamp())
    bodies = _bodies(connection.external_id, events=events, per_delivery=per_delivery, at=at)
    shas = [hashlib.sha256(body).hexdigest() for body in bodies]
    overrides = {"META_APP_SECRET": APP_SECRET, "BENCH_BROKER_URL": REDIS_URL}
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    log_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"kanalvakt-bench-webhook-{os.getpid()}.log"  # noqa: S108
    try:
        with _worker(env, log_file), gunicorn(2) as base:
            time.sleep(3)  # the worker's start-up
            latencies: list[float] = []
            failures = 0
            started = time.perf_counter()
            for body in bodies:
                status, elapsed = _post(base, body)
                latencies.append(elapsed)
                failures += status != 200
            received_s = time.perf_counter() - started
            deadline = time.monotonic() + max(300, events / 20)
            while time.monotonic() < deadline:
                if not Delivery.objects.filter(sha256__in=shas, status=Delivery.Status.PENDING).exists():
                    break
                time.sleep(0.2)
            end_to_end_s = time.perf_counter() - started
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    items = Item.objects.filter(
        account=connection.account, platform_id__startswith=f"{connection.external_id}_"
    ).count()
    outcomes = dict(
        Event.objects.filter(connection=connection).values_list("outcome").annotate(n=Count("id"))
    )
    result = {
        "events": events,
        "deliveries": len(bodies),
        "events_per_delivery": per_delivery,
        "receive_failures": failures,
        "receive_p50_ms": round(statistics.median(latencies), 1),
        "receive_p95_ms": round(_percentile(latencies, 0.95), 1),
        "receive_p99_ms": round(_percentile(latencies, 0.99), 1),
        "received_s": round(received_s, 2),
        "items": items,
        "outcomes": outcomes,
        "end_to_end_s": round(end_to_end_s, 2),
        "items_per_s": round(items / end_to_end_s, 1) if end_to_end_s else None,
        "worker": "celery prefork, concurrency 2, Redis",
    }
    if items < events:
        result["worker_log_tail"] = log_file.read_text(errors="replace")[-2000:]
    log_file.unlink(missing_ok=True)
    return result

"""Deliveries posted to the real webhook view are processed by a real Celery worker: the view wakes it
through Redis once each delivery is committed, and the worker, a separate process on the same
PostgreSQL database, turns every event into its item."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from connectors.models import Connection, Delivery, Event
from moderation.models import Item
from tests.conftest import redis_database
from tests.connectors import meta_payloads as meta
from tests.core.test_worker import wait_for, worker
from tests.support import enqueued_on

# A Redis database of this test's own, flushed before use.
INTAKE_REDIS_URL = redis_database(5)


@pytest.fixture
def broker_is_redis() -> Iterator[None]:
    """This process's Celery app sends to the test's Redis, as the web server's does in production."""
    with enqueued_on(INTAKE_REDIS_URL):
        yield


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_processes_what_the_webhook_received(
    make_account: Any, broker_is_redis: None, settings: Any, tmp_path: Path
) -> None:
    import redis

    redis.Redis.from_url(INTAKE_REDIS_URL).flushdb()
    settings.META_APP_SECRET = meta.APP_SECRET
    now = timezone.now()
    at = now - timedelta(minutes=5)
    page = Connection.objects.create(
        account=make_account(platform="facebook_page"),
        platform="facebook",
        external_id=meta.PAGE_ID,
        connected_at=now,
    )
    post = f"{meta.PAGE_ID}_700"
    client = Client()
    with worker(INTAKE_REDIS_URL, tmp_path) as process:
        for batch in range(3):
            changes = [
                meta.feed(comment_id=f"{post}_{batch}_{n}", message=f"Fråga {n} 🙂", created_time=at)
                for n in range(50)
            ]
            changes.append(meta.feed(comment_id="not an id", created_time=at))
            body, headers = meta.signed(meta.page_delivery(meta.entry(meta.PAGE_ID, now, changes=changes)))
            response = client.post(
                "/connectors/meta/webhook/", data=body, content_type="application/json", **headers
            )
            assert response.status_code == 200
        # Meta's retry of the last delivery stores and processes nothing new.
        assert (
            client.post(
                "/connectors/meta/webhook/", data=body, content_type="application/json", **headers
            ).status_code
            == 200
        )

        def all_processed() -> bool | None:
            return True if not Delivery.objects.filter(status=Delivery.Status.PENDING).exists() else None

        wait_for(all_processed, tmp_path, "processed the deliveries", timeout=90)
        assert process.poll() is None
    assert Delivery.objects.filter(status=Delivery.Status.DONE).count() == 3
    assert Item.objects.filter(account=page.account).count() == 150
    assert Event.objects.filter(outcome=Event.Outcome.CREATED, connection=page).count() == 150
    assert Event.objects.filter(outcome=Event.Outcome.ERROR).count() == 3
    assert "connectors.tasks.process_deliveries" in (tmp_path / "worker.log").read_text()

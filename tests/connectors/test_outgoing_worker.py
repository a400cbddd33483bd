"""End to end through real services: an answer recorded on the item page (a POST) is enqueued after the
commit on Redis, and a real Celery worker (a subprocess, on PostgreSQL) posts it to the Graph
stand-in and records the platform's id in the item's log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from connectors.models import Outgoing
from moderation import services
from moderation.models import Item, LogEntry
from tests.conftest import REDIS_URL
from tests.connectors.graph_standin import connect, graph_api
from tests.core.test_worker import wait_for, worker
from tests.support import enqueued_on

PAGE = "1122334455"


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_answer_from_the_item_page_is_posted_by_the_worker(
    client: Any, settings: Any, make_account: Any, cast: Any, tmp_path: Path
) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    connection = connect(make_account(platform="facebook_page"), external_id=PAGE)
    now = timezone.now()
    item = services.log_item(
        connection.account,
        kind="comment",
        author="Besökare",
        text="När öppnar anmälan?",
        received_at=now - timedelta(hours=1),
        by=None,
        now=now,
        platform_id="111_222",
        source=Item.Source.PLATFORM,
    )
    with graph_api(settings) as api:
        api.replies_ok("111_222", new_id="111_333")
        env = {
            "META_GRAPH_URL": api.base_url,
            "KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",
            "KANALVAKT_SECRETS_KEY": settings.KANALVAKT_SECRETS_KEY,
            "META_APP_SECRET": "",
        }
        with worker(REDIS_URL, tmp_path, **env), enqueued_on(REDIS_URL):
            client.force_login(cast["communicator"])
            response = client.post(
                reverse("moderation:answer", args=[item.pk]), {"answer-answer": "Den 15 mars!"}
            )
            assert response.status_code == 302
            done = wait_for(
                lambda: Outgoing.objects.filter(item=item, status="done").first(),
                tmp_path,
                "posted the answer",
            )
        [sent] = api.sent("POST", r"111_222/comments")
    assert (sent.form["message"], sent.form["access_token"]) == ("Den 15 mars!", "EAAtoken-1")
    assert done.platform_ref == "111_333"
    assert "111_333" in item.log.get(action=LogEntry.Action.POSTED).note

"""Bluesky end to end in real Chromium, on PostgreSQL, Redis, a real Celery worker and Bluesky's
reference network (tests/connectors/bluesky_network.py): the owner connects the university's account
on the connection page with its server, handle and an app password; the worker's first poll reads
the last 14 days; a visitor replies, and the poll sweep (as beat runs it) brings the reply in as an
item, in the owner's queue with its deadline (KAU-RESPONSE-DEADLINE); the owner answers on the item
page, the worker posts it, and the real server shows the answer in the thread under the visitor's
reply. Every page passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from connectors.models import Connection
from moderation.models import Item, Publication
from tests.conftest import REDIS_URL, Cast, browser_login
from tests.connectors.bluesky_network import Network, bluesky_network  # noqa: F401
from tests.connectors.journey import answer_on_item_page, see_in_queue
from tests.core.test_worker import client, wait_for, worker
from tests.support import assert_accessible, enqueued_on

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_connect_receive_answer_and_see_it_in_the_thread(
    page: Any,
    live_server: Any,
    cast: Cast,
    make_account: Any,
    settings: Any,
    tmp_path: Path,
    bluesky_network: Network,  # noqa: F811
) -> None:
    import redis

    network = bluesky_network
    redis.Redis.from_url(REDIS_URL).flushdb()
    university = network.create_account("kau")
    visitor = network.create_account("besokare")
    app_password = network.app_password(university)
    original = network.post(university, "Öppet hus på lördag, välkommen! 🎓")
    network.process_all()
    account = make_account(platform="bluesky", name="Karlstads universitet", handle=university.handle)
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    env = {
        "KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",
        "KANALVAKT_SECRETS_KEY": settings.KANALVAKT_SECRETS_KEY,
    }
    with worker(REDIS_URL, tmp_path, **env), enqueued_on(REDIS_URL):
        # The owner connects the account: its server, its handle and an app password.
        browser_login(page, "communicator", "pw-communicator-0123")
        page.goto(f"/kopplingar/konto/{account.pk}/")
        assert page.locator("[data-access-help=bluesky]").is_visible()
        page.locator("input[name=server_url]").fill(network.pds)
        page.locator("input[name=external_id]").fill(f"@{university.handle}")
        page.locator("input[name=token]").fill(app_password)
        page.get_by_role("button", name="Koppla", exact=True).click()
        page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
        assert page.locator("[data-health=active]").is_visible()
        assert app_password not in page.content()
        assert_accessible(page)
        connection = Connection.objects.get(account=account)
        assert connection.external_id == university.did
        # The first poll (the last 14 days) ran in the worker and kept the account's own post.
        wait_for(
            lambda: Publication.objects.filter(account=account, platform_id=original["uri"]).first(),
            tmp_path,
            "kept the account's own post",
        )

        # A visitor replies; at the next poll (beat's sweep, once the interval has passed) it arrives.
        question = network.post(visitor, "Behöver man anmäla sig i förväg?", reply_to=original)
        network.settle(
            lambda: any(n["uri"] == question["uri"] for n in network.notifications(university)),
            "notified the university",
        )
        Connection.objects.filter(pk=connection.pk).update(next_poll_at=timezone.now())
        client(REDIS_URL).send_task("connectors.tasks.poll_due")
        item = wait_for(
            lambda: Item.objects.filter(account=account, platform_id=question["uri"]).first(),
            tmp_path,
            "brought the reply in",
        )
        see_in_queue(page, item, "anmäla sig i förväg")

        # The owner answers on the item page; the worker posts the reply.
        done = answer_on_item_page(page, item, "Nej, det är bara att komma. Välkommen!", tmp_path)

    # The real server shows the answer in the thread, under the visitor's reply.
    [answer] = network.settle(
        lambda: [
            r
            for r in network.thread(visitor, question["uri"]).get("replies", [])
            if r["post"]["uri"] == done.platform_ref
        ],
        "showed the answer in the thread",
    )
    assert answer["post"]["author"]["did"] == university.did
    assert answer["post"]["record"]["text"] == "Nej, det är bara att komma. Välkommen!"
    assert answer["post"]["record"]["reply"] == {"root": original, "parent": question}
    item.refresh_from_db()
    assert item.status == Item.Status.ANSWERED

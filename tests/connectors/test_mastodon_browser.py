"""The Mastodon journey in real Chromium, on PostgreSQL, Redis and a real Celery worker, with the
account's server stood in for on 127.0.0.1: the owner connects the account on the connection page
(server, user name, token); the first poll, run by the worker, brings in a visitor's mention with its
deadline (KAU-RESP-DAILY, KAU-RESPONSE-DEADLINE); the owner answers on the item page and the worker
posts the reply to the server, in reply to the mention, with its visibility and an Idempotency-Key;
every page passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.models import Connection
from moderation.models import Item, Publication
from tests.conftest import REDIS_URL, Cast, browser_login
from tests.connectors.journey import answer_on_item_page, see_in_queue
from tests.connectors.mastodon_standin import ACCOUNT_ID, TOKEN, mastodon_server
from tests.core.test_worker import wait_for, worker
from tests.support import assert_accessible, enqueued_on

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_connect_poll_answer_and_post_to_mastodon_in_the_browser(
    page: Any, live_server: Any, cast: Cast, make_account: Any, settings: Any, tmp_path: Path
) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    account = make_account(platform="mastodon", name="Karlstads universitet på Mastodon", handle="kau")
    with mastodon_server(settings) as server:
        question = server.mention(
            "<p>@kau När öppnar anmälan till masterprogrammet? &lt;3</p>",
            at=datetime.now(tz=UTC) - timedelta(minutes=3),
            visibility="unlisted",
        )
        env = {
            "KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",
            "KANALVAKT_SECRETS_KEY": settings.KANALVAKT_SECRETS_KEY,
            "CONNECTOR_RETRY_DELAY": "0",
        }
        with worker(REDIS_URL, tmp_path, **env), enqueued_on(REDIS_URL):
            # The owner connects the account on its connection page: server, user name, token.
            browser_login(page, "communicator", "pw-communicator-0123")
            page.goto(f"/konton/{account.pk}/")
            page.get_by_role("link", name="Koppla kontot").click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-access-help=mastodon]").is_visible()
            assert_accessible(page)
            page.locator("input[name=server_url]").fill(server.base_url)
            page.locator("input[name=external_id]").fill("@kau")
            page.locator("input[name=token]").fill(TOKEN)
            page.get_by_role("button", name="Koppla", exact=True).click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-health=active]").is_visible()
            assert TOKEN not in page.content()
            connection = Connection.objects.get(account=account)
            assert (connection.external_id, connection.server_url) == (ACCOUNT_ID, server.base_url)

            # The worker's first poll brings in the mention, with its deadline.
            item = wait_for(
                lambda: Item.objects.filter(account=account, platform_id=question["status"]["id"]).first(),
                tmp_path,
                "polled the mention",
            )
            assert item.text == "@kau När öppnar anmälan till masterprogrammet? <3"
            see_in_queue(page, item, "masterprogrammet")

            # The owner answers on the item page; the worker posts the reply to the server.
            done = answer_on_item_page(page, item, "Anmälan öppnar den 15 mars. Välkommen!", tmp_path)

        [posted] = server.sent("POST", "/api/v1/statuses")
    assert posted.form == {
        "status": "@anna@example.org Anmälan öppnar den 15 mars. Välkommen!",
        "in_reply_to_id": item.platform_id,
        "visibility": "unlisted",
    }
    assert posted.headers["idempotency-key"] == f"kanalvakt-outgoing-{done.pk}"
    assert posted.headers["authorization"] == f"Bearer {TOKEN}"
    item.refresh_from_db()
    assert item.status == Item.Status.ANSWERED
    assert Publication.objects.get(account=account, platform_id=done.platform_ref).answers == item

"""The TikTok journey in real Chromium, on PostgreSQL, Redis and a real Celery worker, with TikTok API for
Business stood in for on 127.0.0.1: the owner connects the university's TikTok business account by
pasting its business id and access token; the first poll, in the worker, brings a visitor's comment
into the owner's queue with its deadline (KAU-RESPONSE-DEADLINE); the owner answers it on the item
page; the worker posts the reply in the comment's thread (the stand-in sees it), the item leaves the
queue, and every page passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from connectors.models import Connection
from moderation.models import Item, LogEntry, Publication
from tests.conftest import REDIS_URL, Cast, browser_login
from tests.connectors.journey import answer_on_item_page, see_in_queue
from tests.connectors.tiktok_standin import BUSINESS_ID, TOKEN, tiktok_api
from tests.core.test_worker import wait_for, worker
from tests.support import assert_accessible, enqueued_on

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_connect_poll_answer_and_post_a_tiktok_reply_in_the_browser(
    page: Any, live_server: Any, cast: Cast, make_account: Any, settings: Any, tmp_path: Path
) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    account = make_account(platform="tiktok", name="Karlstads universitet", handle="karlstadsuniversitet")
    with tiktok_api(settings) as api:
        written = timezone.now() - timedelta(minutes=3)
        video = api.video(timezone.now() - timedelta(days=2), "Välkommen till campus! #kau")
        comment = api.comment(video, written, "När öppnar anmälan till masterprogrammet? 🎓", name="Anna")
        env = {
            "TIKTOK_API_URL": api.base_url,
            "KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",
            "KANALVAKT_SECRETS_KEY": settings.KANALVAKT_SECRETS_KEY,
            "CONNECTOR_RETRY_DELAY": "0",
        }
        with worker(REDIS_URL, tmp_path, **env), enqueued_on(REDIS_URL):
            # The owner connects the account from the account page, pasting its id and token.
            browser_login(page, "communicator", "pw-communicator-0123")
            page.goto(f"/konton/{account.pk}/")
            page.get_by_role("link", name="Koppla kontot").click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-access-help=tiktok]").is_visible()
            page.locator("input[name=external_id]").fill(BUSINESS_ID)
            page.locator("input[name=token]").fill(TOKEN)
            page.get_by_role("button", name="Koppla", exact=True).click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-health=active]").is_visible()
            assert TOKEN not in page.content()
            assert_accessible(page)
            connection = Connection.objects.get(account=account)

            # The first poll (the last 14 days) runs in the worker and brings the visitor's comment.
            item = wait_for(
                lambda: Item.objects.filter(account=account, platform_id=f"{video}_{comment}").first(),
                tmp_path,
                "polled the comment",
            )
            wait_for(
                lambda: Connection.objects.filter(pk=connection.pk, polled_until__isnull=False).first(),
                tmp_path,
                "stored the poll's cursor",
            )

            # It is in the owner's queue, with its deadline (KAU-RESPONSE-DEADLINE).
            see_in_queue(page, item, "masterprogrammet")

            # The owner answers on the item page; the page says where the answer goes.
            done = answer_on_item_page(page, item, "Anmälan öppnar den 15 mars. Välkommen!", tmp_path)

            # The item has left the queue.
            page.goto("/moderering/")
            assert page.locator(f"[data-item='{item.pk}']").count() == 0

        [posted] = api.sent("POST", "business/comment/reply/create/")
    assert posted.headers["access-token"] == TOKEN
    assert posted.json == {
        "business_id": BUSINESS_ID,
        "video_id": video,
        "comment_id": comment,
        "text": "Anmälan öppnar den 15 mars. Välkommen!",
    }
    made = api.replies[comment][0]["comment_id"]
    assert done.platform_ref == f"{video}_{made}"
    item.refresh_from_db()
    assert item.status == Item.Status.ANSWERED
    assert item.log.filter(action=LogEntry.Action.POSTED, note__contains=made).exists()
    # The reply is kept as the account's own publication, answering the item (KAU-PUBLIC-RECORD).
    assert Publication.objects.get(account=account, platform_id=f"{video}_{made}").answers == item

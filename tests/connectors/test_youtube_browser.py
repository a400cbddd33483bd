"""The YouTube journey in real Chromium, on PostgreSQL, Redis and a real Celery worker, with YouTube
stood in for on 127.0.0.1: the owner connects the channel on the connection page by pasting its id
and token; the worker's first poll brings a visitor's comment in as an item (KAU-RESP-DAILY); the
owner answers it on the item page, and the worker posts the reply under the comment on YouTube (the
stand-in receives it). Every page passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from connectors.models import Connection, Outgoing
from moderation.models import Item, Publication
from tests.conftest import REDIS_URL, Cast, browser_login
from tests.connectors.youtube_standin import CHANNEL, TOKEN, VIDEO, comment, visitor, youtube_api
from tests.core.test_worker import wait_for, worker
from tests.support import assert_accessible, enqueued_on

COMMENT_ID = "UgzBrowserTest00000000001"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_connect_poll_answer_and_post_to_youtube_in_the_browser(
    page: Any, live_server: Any, cast: Cast, make_account: Any, settings: Any, tmp_path: Path
) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    account = make_account(platform="youtube", name="Karlstads universitet", handle="karlstadsuniversitet")
    with youtube_api(settings) as youtube:
        youtube.add(
            comment(
                COMMENT_ID,
                "Finns föreläsningen textad? 🎓",
                timezone.now() - timedelta(hours=3),
                author="Anna",
                author_id=visitor(7),
            )
        )
        env = {
            "YOUTUBE_API_URL": youtube.base_url,
            "YOUTUBE_API_KEY": "",
            "KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",
            "KANALVAKT_SECRETS_KEY": settings.KANALVAKT_SECRETS_KEY,
        }
        with worker(REDIS_URL, tmp_path, **env), enqueued_on(REDIS_URL):
            # The owner connects the channel from the account page, pasting its id and token.
            browser_login(page, "communicator", "pw-communicator-0123")
            page.goto(f"/konton/{account.pk}/")
            page.get_by_role("link", name="Koppla kontot").click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-access-help=youtube]").is_visible()
            page.locator("input[name=external_id]").fill(CHANNEL)
            page.locator("input[name=token]").fill(TOKEN)
            page.get_by_role("button", name="Koppla", exact=True).click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-health=active]").is_visible()
            assert TOKEN not in page.content()
            connection = Connection.objects.get(account=account)
            assert connection.name_on_platform == "Karlstads universitet"

            # The worker's first poll brings the comment in as an item.
            item = wait_for(
                lambda: Item.objects.filter(account=account, platform_id=COMMENT_ID).first(),
                tmp_path,
                "polled the channel",
            )
            assert (item.kind, item.in_reply_to, item.author) == ("comment", VIDEO, "Anna")
            page.reload()
            assert page.locator("[data-quota-spent='1']").is_visible()
            assert_accessible(page)

            # The owner answers on the item page; the worker posts it to YouTube.
            page.goto(f"/moderering/{item.pk}/")
            assert "textad" in page.content()
            assert page.locator("[data-answer-destination]").is_visible()
            page.locator("[data-action=answer] textarea").fill(
                "Ja, textningen finns på svenska och engelska."
            )
            page.get_by_role("button", name="Skicka svaret").click()
            page.wait_for_url(f"**/moderering/{item.pk}/")
            done = wait_for(
                lambda: Outgoing.objects.filter(item=item, status=Outgoing.Status.DONE).first(),
                tmp_path,
                "posted the answer",
            )
            page.reload()
            assert page.get_by_text(done.platform_ref).first.is_visible()
            assert_accessible(page)

        [posted] = youtube.sent("POST", "/comments")
    assert posted.query == {"part": "snippet"}
    assert posted.json == {
        "snippet": {"parentId": COMMENT_ID, "textOriginal": "Ja, textningen finns på svenska och engelska."}
    }
    assert posted.headers["authorization"] == f"Bearer {TOKEN}"
    assert done.platform_ref.startswith(f"{COMMENT_ID}.")
    item.refresh_from_db()
    assert item.status == Item.Status.ANSWERED
    assert Publication.objects.get(account=account, platform_id=done.platform_ref).answers == item

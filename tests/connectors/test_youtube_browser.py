"""The YouTube journey in real Chromium, on PostgreSQL, Redis and a real Celery worker, with YouTube
stood in for on 127.0.0.1: the owner connects the channel on the connection page by pasting its id
and token; the worker's first poll brings a visitor's comment in as an item (KAU-RESP-DAILY); the
owner answers it on the item page, and the worker posts the reply under the comment on YouTube (the
stand-in receives it). Every page passes axe (WCAG 2.1 AA). Both ways: an access token pasted, and,
with the installation's OAuth client set, the channel's refresh token, from which the worker makes
the access tokens its poll and its answer carry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from connectors.models import Connection
from moderation.models import Item, Publication
from tests.conftest import REDIS_URL, Cast, browser_login
from tests.connectors.journey import answer_on_item_page
from tests.connectors.youtube_standin import (
    CHANNEL,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    TOKEN,
    VIDEO,
    comment,
    visitor,
    youtube_api,
)
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


@pytest.mark.parametrize("refreshing", [False, True], ids=["access-token", "refresh-token"])
def test_connect_poll_answer_and_post_to_youtube_in_the_browser(
    page: Any,
    live_server: Any,
    cast: Cast,
    make_account: Any,
    settings: Any,
    tmp_path: Path,
    refreshing: bool,
) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    account = make_account(platform="youtube", name="Karlstads universitet", handle="karlstadsuniversitet")
    secret = REFRESH_TOKEN if refreshing else TOKEN
    with youtube_api(settings, client=refreshing) as youtube:
        youtube.expires_in = 200  # within the five minutes: every run makes a new access token
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
            "YOUTUBE_TOKEN_URL": youtube.token_url,
            "YOUTUBE_CLIENT_ID": CLIENT_ID if refreshing else "",
            "YOUTUBE_CLIENT_SECRET": CLIENT_SECRET if refreshing else "",
        }
        with worker(REDIS_URL, tmp_path, **env), enqueued_on(REDIS_URL):
            # The owner connects the channel from the account page, pasting its id and token.
            browser_login(page, "communicator", "pw-communicator-0123")
            page.goto(f"/konton/{account.pk}/")
            page.get_by_role("link", name="Koppla kontot").click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-access-help=youtube]").is_visible()
            kind = "refresh" if refreshing else "access"
            assert page.locator(f"[data-youtube-token={kind}]").is_visible()
            page.locator("input[name=external_id]").fill(CHANNEL)
            page.locator("input[name=token]").fill(secret)
            page.get_by_role("button", name="Koppla", exact=True).click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-health=active]").is_visible()
            assert secret not in page.content()
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
            done = answer_on_item_page(page, item, "Ja, textningen finns på svenska och engelska.", tmp_path)

        [posted] = youtube.sent("POST", "/comments")
    assert posted.query == {"part": "snippet"}
    assert posted.json == {
        "snippet": {"parentId": COMMENT_ID, "textOriginal": "Ja, textningen finns på svenska och engelska."}
    }
    [read] = youtube.sent("GET", "/commentThreads")
    if refreshing:
        # The check's access token was about to expire: the worker made one for its poll and one for
        # the answer, and kept the last in the connection's session.
        assert [r.form["grant_type"] for r in youtube.renewals()] == ["refresh_token"] * 3
        assert read.headers["authorization"] == f"Bearer {youtube.issued[1]}"
        assert posted.headers["authorization"] == f"Bearer {youtube.issued[2]}"
        connection.refresh_from_db()
        assert connection.token == REFRESH_TOKEN
        assert connection.session["access_token"] == youtube.issued[2]
    else:
        assert not youtube.renewals()
        assert read.headers["authorization"] == f"Bearer {TOKEN}"
        assert posted.headers["authorization"] == f"Bearer {TOKEN}"
    assert done.platform_ref.startswith(f"{COMMENT_ID}.")
    item.refresh_from_db()
    assert item.status == Item.Status.ANSWERED
    assert Publication.objects.get(account=account, platform_id=done.platform_ref).answers == item

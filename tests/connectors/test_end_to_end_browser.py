"""The whole journey in real Chromium, on PostgreSQL, Redis and a real Celery worker, with Meta stood in
for on 127.0.0.1: the owner connects the university's Facebook page by pasting a system user's token;
a visitor's comment arrives by a signed webhook and appears in the owner's queue with its deadline
(KAU-RESPONSE-DEADLINE); the owner answers it on the item page; the worker posts the reply to the page
(the stand-in sees it), the item leaves the queue, and every page passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.utils import timezone

from connectors.models import Connection, Delivery, Outgoing
from moderation.models import Item, LogEntry, Publication
from tests.conftest import REDIS_URL, Cast, browser_login
from tests.connectors.meta_payloads import (
    APP_SECRET,
    VERIFY_TOKEN,
    entry,
    feed,
    page_delivery,
    signature,
    signed,
)
from tests.connectors.standin import Request, stand_in
from tests.core.test_worker import wait_for, worker
from tests.support import assert_accessible, enqueued_on

PAGE_ID = "104857600012345"  # the page of the signed payloads (tests/connectors/meta_payloads.py)
TOKEN = "EAASystemUserToken0123"
POST_ID = f"{PAGE_ID}_900001"
COMMENT_ID = f"{POST_ID}_700001"
REPLY_ID = f"{POST_ID}_700002"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def graph_node(request: Request) -> tuple[int, Any]:
    """GET /{page}: the page, for the pasted token only (Graph's 190 otherwise)."""
    if request.query.get("access_token") != TOKEN:
        return 400, {
            "error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}
        }
    return 200, {"id": PAGE_ID, "name": "Karlstads universitet"}


def reply(request: Request) -> tuple[int, Any]:
    """POST /{comment}/comments: a reply by the page, for the pasted token only."""
    if request.params.get("access_token") != TOKEN:
        return 400, {
            "error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}
        }
    return 200, {"id": REPLY_ID}


def test_connect_receive_answer_and_post_in_the_browser(
    page: Any, live_server: Any, cast: Cast, make_account: Any, settings: Any, tmp_path: Path
) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    account = make_account(
        platform="facebook_page", name="Karlstads universitet", handle="karlstadsuniversitet"
    )
    settings.META_APP_ID = ""  # no Meta app for Facebook Login here: a system user's token is pasted
    settings.META_APP_SECRET = APP_SECRET
    settings.META_VERIFY_TOKEN = VERIFY_TOKEN
    with stand_in("/v24.0") as api:
        settings.META_GRAPH_URL = api.base_url
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
        api.route("GET", rf"/v24\.0/{PAGE_ID}", graph_node)
        api.route("GET", rf"/v24\.0/{PAGE_ID}/(feed|conversations)", (200, {"data": []}))
        api.route("POST", rf"/v24\.0/{COMMENT_ID}/comments", reply)
        env = {
            "META_GRAPH_URL": api.base_url,
            "META_APP_SECRET": APP_SECRET,
            "KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",
            "KANALVAKT_SECRETS_KEY": settings.KANALVAKT_SECRETS_KEY,
        }
        with worker(REDIS_URL, tmp_path, **env), enqueued_on(REDIS_URL):
            # The owner connects the page from the account page, pasting the token.
            browser_login(page, "communicator", "pw-communicator-0123")
            page.goto(f"/konton/{account.pk}/")
            page.get_by_role("link", name="Koppla kontot").click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            page.get_by_label("Id på plattformen").fill(PAGE_ID)
            page.get_by_label("Åtkomsttoken").fill(TOKEN)
            page.get_by_role("button", name="Koppla", exact=True).click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-health=active]").is_visible()
            assert TOKEN not in page.content()
            assert_accessible(page)
            connection = Connection.objects.get(account=account)
            # The 14-day backfill ran in the worker and found nothing missing.
            wait_for(
                lambda: Connection.objects.filter(pk=connection.pk, backfill_state="done").first(),
                tmp_path,
                "ran the backfill",
            )

            # A visitor comments on the page; Meta delivers the change, signed.
            received = timezone.now() - timedelta(minutes=3)
            body, _headers = signed(
                page_delivery(
                    entry(
                        PAGE_ID,
                        received,
                        changes=[
                            feed(
                                comment_id=COMMENT_ID,
                                post_id=POST_ID,
                                parent_id=POST_ID,
                                message="När öppnar anmälan till masterprogrammet? 🎓",
                                created_time=received,
                            )
                        ],
                    )
                )
            )
            answer = requests.post(
                f"{live_server.url}/connectors/meta/webhook/",
                data=body,
                headers={"X-Hub-Signature-256": signature(body), "Content-Type": "application/json"},
                timeout=10,
            )
            assert answer.status_code == 200
            assert Delivery.objects.count() == 1
            item = wait_for(
                lambda: Item.objects.filter(account=account, platform_id=COMMENT_ID).first(),
                tmp_path,
                "turned the delivery into an item",
            )

            # It is in the owner's queue, with its deadline (KAU-RESPONSE-DEADLINE).
            page.goto("/moderering/")
            row = page.locator(f"[data-item='{item.pk}']").first
            row.wait_for()
            assert "masterprogrammet" in row.inner_text()
            assert (
                page.locator(f"time[datetime^='{timezone.localtime(item.due_at).isoformat()[:16]}']").count()
                >= 1
            )
            assert_accessible(page)

            # The owner answers on the item page; the page says the answer goes to Facebook.
            page.goto(f"/moderering/{item.pk}/")
            assert page.locator("[data-answer-destination]").is_visible()
            assert_accessible(page)
            page.locator("[data-action=answer] textarea").fill("Anmälan öppnar den 15 mars. Välkommen!")
            page.get_by_role("button", name="Skicka svaret").click()
            page.wait_for_url(f"**/moderering/{item.pk}/")
            done = wait_for(
                lambda: Outgoing.objects.filter(item=item, status=Outgoing.Status.DONE).first(),
                tmp_path,
                "posted the answer",
            )
            page.reload()
            assert page.get_by_text(REPLY_ID).first.is_visible()
            assert_accessible(page)

            # The item has left the queue.
            page.goto("/moderering/")
            assert page.locator(f"[data-item='{item.pk}']").count() == 0

        [posted] = api.sent("POST", rf"/v24\.0/{COMMENT_ID}/comments")
    assert posted.params["message"] == "Anmälan öppnar den 15 mars. Välkommen!"
    assert done.platform_ref == REPLY_ID
    item.refresh_from_db()
    assert item.status == Item.Status.ANSWERED
    assert item.log.filter(action=LogEntry.Action.POSTED, note__contains=REPLY_ID).exists()
    # The reply is kept as the account's own publication, answering the item.
    assert Publication.objects.get(account=account, platform_id=REPLY_ID).answers == item
    assert Delivery.objects.get().status == Delivery.Status.DONE

"""A LinkedIn organisation page, the whole way in real Chromium, on PostgreSQL, Redis and a real Celery
worker, with LinkedIn stood in for on 127.0.0.1 (tests/connectors/linkedin_standin.py): the owner
connects the page on the connection page, which explains the access tiers and the admin role; the first
poll brings a visitor's comment in as an item with its deadline (KAU-RESPONSE-DEADLINE); the owner
answers on the item page; the worker posts the answer as the organisation, nested under the comment
(the stand-in receives it); and every page passes axe (WCAG 2.1 AA)."""

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
from tests.connectors.linkedin_standin import ORG, ORG_ID, TOKEN, VERSION, linkedin_api
from tests.core.test_worker import wait_for, worker
from tests.support import assert_accessible, enqueued_on

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_connect_poll_answer_and_post_to_linkedin_in_the_browser(
    page: Any, live_server: Any, cast: Cast, make_account: Any, settings: Any, tmp_path: Path
) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    account = make_account(platform="linkedin", name="Karlstads universitet", handle="karlstads-universitet")
    now = timezone.now()
    with linkedin_api(settings) as api:
        post = api.post(7_400_001, at=now - timedelta(hours=5), text="Öppet hus på lördag!")
        comment = api.comment(
            post, at=now - timedelta(minutes=20), text="När öppnar anmälan till masterprogrammet? 🎓"
        )
        env = {
            "LINKEDIN_API_URL": api.base_url,
            "LINKEDIN_API_VERSION": VERSION,
            "CONNECTOR_RETRY_DELAY": "0",
            "KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",
            "KANALVAKT_SECRETS_KEY": settings.KANALVAKT_SECRETS_KEY,
        }
        with worker(REDIS_URL, tmp_path, **env), enqueued_on(REDIS_URL):
            # The owner connects the page from the account page; the page says what LinkedIn requires.
            browser_login(page, "communicator", "pw-communicator-0123")
            page.goto(f"/konton/{account.pk}/")
            page.get_by_role("link", name="Koppla kontot").click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            help_section = page.locator("[data-access-help=linkedin]")
            assert help_section.is_visible()
            assert "rw_organization_admin" in help_section.inner_text()
            assert page.locator("[data-help-tiers] li").count() == 3
            assert_accessible(page)
            page.locator("#id_external_id").fill(f"urn:li:organization:{ORG_ID}")
            page.locator("#id_token").fill(TOKEN)
            page.get_by_role("button", name="Koppla", exact=True).click()
            page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
            assert page.locator("[data-health=active]").is_visible()
            assert TOKEN not in page.content()
            assert_accessible(page)
            connection = Connection.objects.get(account=account)
            assert connection.external_id == ORG_ID

            # The first poll, run by the worker at once, brings the visitor's comment in.
            item = wait_for(
                lambda: Item.objects.filter(account=account, platform_id=comment).first(),
                tmp_path,
                "polled the new connection",
            )
            see_in_queue(page, item, "masterprogrammet")

            # The owner answers on the item page; it goes to LinkedIn as the organisation.
            done = answer_on_item_page(page, item, "Anmälan öppnar den 15 mars. Välkommen!", tmp_path)
            page.goto("/moderering/")
            assert page.locator(f"[data-item='{item.pk}']").count() == 0

        [posted] = api.sent("POST", r"socialActions/.*/comments")
        made = api.comments[comment][-1]["commentUrn"]
    assert posted.json == {
        "actor": ORG,
        "object": api.thread_of(comment),
        "message": {"text": "Anmälan öppnar den 15 mars. Välkommen!"},
        "parentComment": comment,
    }
    assert posted.headers["linkedin-version"] == VERSION
    assert posted.headers["x-restli-protocol-version"] == "2.0.0"
    assert done.platform_ref == made
    item.refresh_from_db()
    assert item.status == Item.Status.ANSWERED
    assert item.log.filter(action=LogEntry.Action.POSTED, note__contains=made).exists()
    assert Publication.objects.get(account=account, platform_id=made).answers == item

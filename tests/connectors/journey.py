"""The steps every connector's browser journey shares: the owner connects the account on its
connection page, finds the item the platform brought in its queue with its deadline
(KAU-RESPONSE-DEADLINE), and answers it on the item page, where a worker posts it to the platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone

from connectors.models import Connection, Outgoing
from moderation.models import Item
from tests.conftest import browser_login
from tests.core.test_worker import wait_for
from tests.support import assert_accessible


def connect_on_page(
    page: Any, account: Any, *, platform: str, fields: dict[str, str], secret: str
) -> Connection:
    """Sign in as the owner, open the account's connection page from the account page, fill in
    ``fields`` (input name → value) and connect; the secret is never shown back."""
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(f"/konton/{account.pk}/")
    page.get_by_role("link", name="Koppla kontot").click()
    page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
    assert page.locator(f"[data-access-help={platform}]").is_visible()
    assert_accessible(page)
    for name, value in fields.items():
        page.locator(f"input[name={name}]").fill(value)
    page.get_by_role("button", name="Koppla", exact=True).click()
    page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
    assert page.locator("[data-health=active]").is_visible()
    assert secret not in page.content()
    assert_accessible(page)
    return Connection.objects.get(account=account)


def see_in_queue(page: Any, item: Item, words: str) -> None:
    """The item is in the owner's queue, with its deadline (KAU-RESPONSE-DEADLINE)."""
    page.goto("/moderering/")
    row = page.locator(f"[data-item='{item.pk}']").first
    row.wait_for()
    assert words in row.inner_text()
    assert page.locator(f"time[datetime^='{timezone.localtime(item.due_at).isoformat()[:16]}']").count() >= 1
    assert_accessible(page)


def answer_on_item_page(page: Any, item: Item, text: str, tmp_path: Path) -> Outgoing:
    """Answer on the item page, which says where the answer goes; the worker posts it. Returns the
    outgoing action once it is done on the platform."""
    page.goto(f"/moderering/{item.pk}/")
    assert page.locator("[data-answer-destination]").is_visible()
    assert_accessible(page)
    page.locator("[data-action=answer] textarea").fill(text)
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
    return done

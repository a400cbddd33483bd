"""Every role's main journey on a phone (390 x 844) and on a laptop (1366 x 768), in real Chromium: no page
scrolls sideways (``scrollWidth`` ≤ the viewport's width) and every page passes axe (WCAG 2.1 AA).

The pages are each role's navigation, read from the page itself so that a new page in the menu is
checked without changing this test, plus an account page, an item page and a request page where the
role may open them. One world, one browser; one context per role and size. Overflow is measured on
every page of every role; axe reads each page once per size, as the first role to open it sees it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (390, 844), "laptop": (1366, 768)}
ROLES = (
    "communicator",
    "deputy",
    "head_of_unit",
    "dean",
    "communications",
    "social_media_lead",
    "registrar",
    "security_officer",
    "outsider",
)


def overflow(page: Any) -> int:
    """How many pixels the page is wider than its viewport (0 when it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


# The innermost elements that reach past the viewport's right edge, named for the failure message.
_WIDE = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 0.5))
  .slice(0, 5)
  .map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "")
    + " (" + Math.round(e.getBoundingClientRect().right) + "px)")"""


def too_wide(page: Any) -> list[str]:
    return list(page.evaluate(_WIDE))


def sign_in(page: Any, username: str) -> None:
    browser_login(page, username, f"pw-{username}-0123")


def test_no_page_of_any_journey_scrolls_sideways_and_axe_is_clean(
    chromium: Any, live_server: Any, cast: Cast, make_account: Any
) -> None:
    from moderation.services import log_item
    from tests.governance.factories import make_request

    account = make_account(
        name="Institutionen för fysik och elektroteknik på Instagram", handle="fysik_och_elektroteknik_kau"
    )
    item = log_item(
        account,
        kind="comment",
        author="@en_besokare_med_ett_mycket_langt_anvandarnamn_utan_mellanslag",
        text="Varför " + "x" * 120 + " ? När öppnar anmälan till kursen i avancerad kvantmekanik?",
        received_at=timezone.now() - timedelta(hours=30),
        by=None,
    )
    request = make_request(cast, state="submitted")
    extra = [
        reverse("accounts:detail", args=[account.pk]),
        reverse("moderation:item", args=[item.pk]),
        reverse("governance:request_detail", args=[request.pk]),
    ]

    problems: list[str] = []
    checked: set[tuple[str, str]] = set()  # axe reads each page once per size; overflow per role
    for role in ROLES:
        for size, (width, height) in SIZES.items():
            context = chromium.new_context(
                base_url=live_server.url, locale="sv-SE", viewport={"width": width, "height": height}
            )
            context.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
                ),
            )
            page = context.new_page()
            sign_in(page, role)
            nav = page.eval_on_selector_all("[data-nav]", "links => links.map(a => a.getAttribute('href'))")
            for path in dict.fromkeys([*nav, *extra]):
                response = page.goto(path)
                if response is None or response.status != 200:
                    continue  # a page the role may not open is not on its journey
                if (wider := overflow(page)) > 0:
                    problems.append(f"{role} {size} {path}: {wider}px too wide: {too_wide(page)}")
                if (size, path) not in checked:
                    checked.add((size, path))
                    assert_accessible(page)
            context.close()
    assert problems == []


def test_the_menu_folds_on_a_phone_and_opens_from_the_keyboard(page: Any, cast: Cast) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "social_media_lead")
    toggle = page.locator(".nav-toggle")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#main-nav-list").is_visible()
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#main-nav-list").is_visible()
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    page.set_viewport_size({"width": 1366, "height": 768})
    assert not toggle.is_visible()
    assert page.locator("#main-nav-list").is_visible()

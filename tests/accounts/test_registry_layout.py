"""The registry fits the screen: each flag a short labelled badge, its explanation on hover and focus
and in the legend; and the registry, the request form and the request page scroll sideways neither
at 1366 by 768 nor at 390 by 844 pixels (KAU-ACCESS)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from playwright.sync_api import expect

from accounts.flags import all_flags
from tests.conftest import Cast, browser_login
from tests.support import assert_accessible


def _flagged_accounts(make_account: Any, count: int = 10) -> list[Any]:
    """Accounts with most flags raised: none has a strategy document, a screenshot or confirmations;
    one has a deputy who has left."""
    accounts = [
        make_account(name=f"Institutionens konto med ett ganska långt namn {number}")
        for number in range(count)
    ]
    accounts[0].deputies.add(cast_staff := accounts[0].owner.__class__.objects.get(username="staff"))
    cast_staff.is_active = False
    cast_staff.save(update_fields=["is_active"])
    return accounts


@pytest.mark.django_db
def test_each_flag_is_a_short_badge_described_by_its_tooltip_and_in_the_legend(
    client: Client, cast: Cast, make_account: Any
) -> None:
    _flagged_accounts(make_account, 3)
    client.force_login(cast["social_media_lead"])
    body = client.get(reverse("accounts:list")).content.decode()
    # In the page's language, whichever the catalogue has.
    shorts = {flag.key: str(flag.badge) for flag in all_flags()}
    assert all(len(short.split()) <= 2 for short in shorts.values()), list(shorts.values())
    badges = re.findall(
        r'<a class="badge badge--danger flag-badge__link" href="#flag-([a-z_]+)" '
        r'aria-describedby="([^"]+)">([^<]+)</a>',
        body,
    )
    assert len(badges) >= 3 * 4
    for key, tip, text in badges:
        assert text == shorts[key]
        assert f'role="tooltip" id="{tip}"' in body
        assert f'id="flag-{key}"' in body  # the legend's entry the badge links to
    # The explanation is in the legend once, not in every row.
    strategy = next(flag for flag in all_flags() if flag.key == "strategy")
    assert body.count(escape(str(strategy.explanation))) == 1


def _pages(cast: Cast, make_account: Any) -> list[str]:
    from tests.governance.factories import make_request

    _flagged_accounts(make_account)
    req = make_request(cast, state="submitted")
    return [reverse("accounts:list"), reverse("governance:request_create"), req.get_absolute_url()]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_no_page_scrolls_sideways(page: Any, cast: Cast, make_account: Any, width: int, height: int) -> None:
    urls = _pages(cast, make_account)
    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, "communicator", "pw-communicator-0123")
    for url in urls:
        page.goto(url)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls {overflow} px sideways at {width} px"
        assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_registry_table_fits_its_column_and_rows_stay_short(
    page: Any, cast: Cast, make_account: Any
) -> None:
    _flagged_accounts(make_account)
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_login(page, "social_media_lead", "pw-social_media_lead-0123")
    page.goto(reverse("accounts:list"))
    sizes = page.evaluate(
        """() => { const table = document.querySelector('table.registry');
            const main = document.querySelector('main'), style = getComputedStyle(main);
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            const rows = Array.from(table.querySelectorAll('tbody tr'));
            return { table: table.getBoundingClientRect().width, room: main.clientWidth - padding,
                     rows: rows.map(r => r.getBoundingClientRect().height) }; }"""
    )
    assert sizes["table"] <= sizes["room"] + 1
    assert max(sizes["rows"]) < 160  # a row of badges, not a paragraph per flag

    # The explanation shows on keyboard focus, and Escape hides it again.
    badge = page.locator(".flag-badge__link").first
    tip = page.locator(".flag-badge__tip").first
    page.mouse.move(0, 0)
    expect(tip).to_be_hidden()
    badge.focus()
    expect(tip).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    badge.hover()
    expect(tip).to_be_visible()

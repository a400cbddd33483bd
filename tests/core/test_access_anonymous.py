"""Deny by default: every URL pattern of the URLconf, walked, sends an anonymous visitor to sign in.

Each pattern is filled with the ids of real objects (tests/core/access_support.py) and asked with GET
and with POST. A page answers with a redirect to LOGIN_URL carrying ``?next=`` the page; the admin
sends to its own sign-in (or, for its model pages, to LOGIN_URL); the connector API (``/api/…``,
the schema included) answers 401, since it takes a token and a connector cannot follow a redirect
to a sign-in page. The few open patterns are
in OPEN, each with the reason it is open; a pattern added to the URLconf that is neither protected
nor in OPEN fails, and so does an entry of OPEN that no longer names a pattern.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.core.access_support import Route, World, login_path, url_for, walk, world

__all__ = ["world"]

# Open to anonymous visitors on purpose, and why. Nothing else is.
OPEN: dict[str, str] = {
    "login": "the sign-in page itself (with the password form)",
    "sso_login": "single sign-on: the way to the identity provider (404 while SSO is off)",
    "sso_acs": "single sign-on: the identity provider posts its answer here (404 while SSO is off)",
    "sso_metadata": "single sign-on: the service's SAML metadata, read by the identity provider",
    "set_language": "the language switch on the sign-in page",
    "core:health": "the load balancer's liveness check; says only whether the database answers",
    "official_accounts": "KTH-PRIVATE: the public list of official accounts, for the public and the press",
    "official_accounts_json": "KTH-PRIVATE: the same public list as JSON",
    "admin:login": "the admin's own sign-in page, where every other admin page sends a visitor",
    "connectors_hooks:meta_webhook": "Meta's webhook: the platform calls it, authenticated by the "
    "verify token (GET) and the HMAC-SHA256 signature of every delivery (POST), never a sign-in",
}

ROUTES = walk()


def _redirected_to(response: Any, login: str, url: str) -> str | None:
    """Why ``response`` is not a redirect to ``login`` with ``?next=url``, or None when it is."""
    if response.status_code != 302:
        return f"status {response.status_code}, not 302"
    location = urlsplit(response["Location"])
    if location.path != login:
        return f"redirect to {response['Location']}, not to {login}"
    if parse_qs(location.query).get("next") != [url]:
        return f"redirect to {response['Location']} without ?next={url}"
    return None


@pytest.mark.postgres
@pytest.mark.parametrize("route", ROUTES, ids=[route.key for route in ROUTES])
def test_an_anonymous_visitor_is_sent_to_sign_in(db: None, world: World, client: Any, route: Route) -> None:
    url = url_for(route, world)
    for method in ("GET", "POST"):
        response = client.get(url) if method == "GET" else client.post(url)
        if route.key in OPEN:
            # Open on purpose: it answers by itself, never with the sign-in or a 401.
            assert response.status_code != 401, f"{method} {url}"
            assert _redirected_to(response, login_path(), url) is not None, f"{method} {url}"
        elif route.is_api:
            assert response.status_code == 401, f"{method} {url}: {response.status_code}"
            assert response["WWW-Authenticate"].startswith("Bearer"), f"{method} {url}"
        elif route.is_admin:
            # The admin site's own pages send to the admin's sign-in; the model pages are left to
            # LoginRequiredMiddleware, which sends to LOGIN_URL. Either way, nothing is shown.
            own, site = (
                _redirected_to(response, "/admin/login/", url),
                _redirected_to(response, login_path(), url),
            )
            assert own is None or site is None, f"{method} {url}: {own}"
        else:
            why = _redirected_to(response, login_path(), url)
            assert why is None, f"{method} {url}: {why}"


def test_every_open_pattern_still_exists() -> None:
    gone = sorted(set(OPEN) - {route.key for route in ROUTES})
    assert not gone, f"OPEN names patterns the URLconf no longer has: {gone}"


def test_the_open_patterns_are_exactly_those_marked_login_not_required() -> None:
    """@login_not_required is the only way out of LoginRequiredMiddleware; outside the API (which DRF
    guards with a token instead), every use of it is in OPEN with its reason."""
    marked = {
        route.key
        for route in ROUTES
        if not getattr(route.callback, "login_required", True) and not route.is_api
    }
    assert not marked - set(OPEN), f"marked @login_not_required but not in OPEN: {sorted(marked - set(OPEN))}"
    assert not set(OPEN) - marked, f"in OPEN but not marked: {sorted(set(OPEN) - marked)}"


def test_the_walk_sees_every_part_of_the_urlconf() -> None:
    """The walk reaches into every include: the apps, the admin and the API."""
    keys = {route.key for route in ROUTES}
    assert {"core:home", "accounts:detail", "moderation:item", "archive:package", "api:items"} <= keys
    assert {"admin:index", "admin:accounts_account_change"} <= keys

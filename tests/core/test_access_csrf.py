"""CSRF: no state-changing request is taken from a browser without its token.

Every URL pattern is walked. With ``Client(enforce_csrf_checks=True)``, signed in as someone the role
table (test_access_matrix.py) lets act there, a POST, PUT, PATCH or DELETE without a token is refused
(403, or 405 where a view checks the token itself and does not serve the method), and the database
records no write at all. The patterns that take POST are found by trying it with the token check off,
as the same person, in a savepoint rolled back at once (the admin's pages all take POST and are
only sent the forged requests).

The connector API is the documented exception: it takes a bearer token and no cookies, so there is no
session for a forged request to ride on. A signed-in browser session is refused there (401) for
writes, CSRF token or none; the schema, which a signed-in person may read, takes no write; and a
connector's token works without a CSRF token.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from tests.core.access_support import (
    NOW,
    ROLES,
    Route,
    World,
    sessions,
    signed_in,
    url_for,
    walk,
    world,
    writes_so_far,
)
from tests.core.test_access_matrix import ROWS

__all__ = ["sessions", "world"]

ROUTES = walk()
WRITE_METHODS = ("post", "put", "patch", "delete")
LET_IN = {200, 302, 400}  # a table cell meaning the person gets past every access check
# Called by a platform, never by a browser: no session lets anyone in, the signature does. A forged
# request from a signed-in browser has no signature, so it is refused (403) and writes nothing.
SIGNED_BY_PLATFORM = {"connectors_hooks:meta_webhook"}
# The session's own row is left out of the count: whatever the request, the session middleware
# rewrites its last-use stamp once a minute (core.middleware), so a walk that takes longer than a
# minute would count that stamp as the forged request's write. Nothing a view decides is kept there.
SESSION_TABLE = ("django_session",)


def acting_person(route: Route) -> str:
    """Someone who may act at ``route``: the first role the table lets in (for a GET+POST page, its
    GET row), a superuser for the admin, and an outsider for the open patterns (sign-in and the like)."""
    if route.is_admin:
        return "staff"
    if route.name in SIGNED_BY_PLATFORM:
        return "owner"
    if route.name in ROWS:
        _method, cells = ROWS[route.name]
        allowed = [role for role in ROLES if cells[role] in LET_IN]
        assert allowed, f"nobody may act at {route.key}"
        return allowed[0]
    return "out"


def _send(client: Any, method: str, url: str) -> Any:
    return getattr(client, method)(url, {} if method == "post" else "")


@pytest.mark.postgres
def test_the_write_counter_sees_a_write(db: None, world: World) -> None:
    """The check below is only as good as its counter: a write in the transaction moves it."""
    from core.models import OrgUnit

    before = writes_so_far(besides=SESSION_TABLE)
    OrgUnit.objects.filter(pk=world["unit"].pk).update(name="Institutionen")
    assert writes_so_far(besides=SESSION_TABLE) > before


@pytest.mark.postgres
def test_no_write_is_taken_without_a_csrf_token(db: None, world: World, sessions: dict[str, str]) -> None:
    state_changing: list[str] = []
    refused: list[str] = []
    problems: list[str] = []
    for route in ROUTES:
        if route.is_api:
            continue
        url = url_for(route, world)
        person = acting_person(route)
        # Does the pattern take a POST at all? Tried with the token check off, and undone at once.
        if not route.is_admin:  # every admin page takes POST, behind AdminSite.admin_view's csrf_protect
            prober = signed_in(sessions, person)
            prober.raise_request_exception = False  # a crash on an empty form still means "takes POST"
            with transaction.atomic():
                probe = prober.post(url, {})
                transaction.set_rollback(True)
            if probe.status_code != 405:
                state_changing.append(route.key)
        forger = signed_in(sessions, person, enforce_csrf_checks=True)
        for method in WRITE_METHODS:
            before = writes_so_far(besides=SESSION_TABLE)
            response = _send(forger, method, url)
            allowed = {403} if method == "post" else {403, 405}
            if response.status_code not in allowed:
                problems.append(f"{method.upper()} {url} as {person}: {response.status_code}")
            if writes_so_far(besides=SESSION_TABLE) != before:
                problems.append(f"{method.upper()} {url} as {person} wrote to the database")
            refused.append(f"{method} {route.key}")
    assert not problems, "\n".join(problems)
    # The walk found the forms people use every day among the state-changing patterns.
    assert {"moderation:answer", "accounts:confirm", "governance:request_decide", "logout"} <= set(
        state_changing
    )
    assert len(refused) == 4 * len([route for route in ROUTES if not route.is_api])


@pytest.mark.postgres
@pytest.mark.parametrize("role", ["owner", "lead"])
def test_the_api_takes_no_browser_session_for_a_write(
    db: None, world: World, sessions: dict[str, str], role: str
) -> None:
    """A signed-in session, with or without the CSRF check, cannot write through the connector API:
    401, and nothing stored. The API's only credential is the bearer token."""
    body = json.dumps(
        {
            "platform_id": "p-forged",
            "kind": "comment",
            "author": "@forged",
            "text": "Skickat med en webbläsares session.",
            "received_at": (NOW - timedelta(hours=1)).isoformat(),
        }
    )
    for route in [route for route in ROUTES if route.is_api]:
        url = url_for(route, world)
        for enforce in (True, False):
            client = signed_in(sessions, role, enforce_csrf_checks=enforce)
            for method in WRITE_METHODS:
                before = writes_so_far()
                response = getattr(client, method)(url, body, content_type="application/json")
                # The schema is read-only and takes a session for reading it: a write is refused
                # there by DRF's session CSRF check (403) or as a method it does not serve (405).
                allowed = {401} if route.name.startswith("api:") else {403, 405}
                assert response.status_code in allowed, f"{method.upper()} {url}: {response.status_code}"
                assert writes_so_far() == before, f"{method.upper()} {url} wrote to the database"


@pytest.mark.postgres
def test_a_connector_token_writes_without_a_csrf_token(db: None, world: World) -> None:
    """The documented exception: the token is the credential, no cookie is involved, so no CSRF token."""
    from django.test import Client

    from moderation.models import Item

    route = next(route for route in ROUTES if route.name == "api:items")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {world['token_secret']}")
    response = client.post(
        url_for(route, world),
        {
            "platform_id": "p-connector",
            "kind": "comment",
            "author": "@besokare",
            "text": "Från kopplingen.",
            "received_at": (NOW - timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Item.objects.filter(account=world["account"], platform_id="p-connector").exists()

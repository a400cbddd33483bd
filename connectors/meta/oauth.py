"""Connecting to Meta: Facebook Login for Business (the signed, single-use state, the code exchanged for
a long-lived user token, the pages it manages) and the check of a page token before it is kept.

Every call goes to ``settings.META_GRAPH_URL`` through connectors.http; nothing here stores anything
(connectors.services does). A token is never logged and never put in an error message: Graph's own
error text is shown, never the request that caused it.

Shapes (Graph API reference): ``GET /oauth/access_token`` with client_id, redirect_uri, client_secret
and code answers ``{"access_token", "token_type", "expires_in"}``; the same with
``grant_type=fb_exchange_token`` and ``fb_exchange_token`` answers a long-lived user token;
``GET /me/accounts`` answers ``{"data": [{"id", "name", "access_token", "tasks",
"instagram_business_account": {"id", "username"}}], "paging": {"next"}}`` with a page token per page
(long-lived when the user token is); ``GET /debug_token?input_token=…`` with the app token
``{app-id}|{app-secret}`` answers ``{"data": {"is_valid", "expires_at" (0: never), "scopes", "error"}}``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.utils.translation import gettext as _

from connectors import http

# What Kanalvakt asks for when no Login for Business configuration names the permissions itself.
PERMISSIONS = (
    "pages_manage_metadata",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_engagement",
    "pages_messaging",
    "instagram_basic",
    "instagram_manage_comments",
    "instagram_manage_messages",
)
NUMERIC_ID = re.compile(r"[0-9]{1,30}")
STATE_SALT = "connectors.meta.oauth.state"
STATE_MAX_AGE = 15 * 60  # seconds: a login that takes longer starts again
SESSION_KEY = "connectors_oauth"
MAX_PAGES = 10  # paging of /me/accounts followed at most this far (25 pages each)


class MetaRefused(Exception):
    """Meta refused, or could not be reached; ``reason`` is in plain words for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenFacts:
    """What the Graph API says of a token that it accepted for an identity."""

    name: str
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ManagedPage:
    """One page the signed-in Facebook user manages, with its page token and linked Instagram account."""

    id: str
    name: str
    access_token: str = field(repr=False)
    tasks: tuple[str, ...] = ()
    instagram_id: str = ""
    instagram_username: str = ""


def login_enabled() -> bool:
    """Facebook Login needs the app's id and secret; without them only a pasted token connects."""
    return bool(settings.META_APP_ID and settings.META_APP_SECRET)


def _graph(path: str, params: dict[str, str]) -> Any:
    """GET ``path`` on the Graph API; the JSON body of a 200, or MetaRefused in plain words."""
    try:
        response = http.call(settings.META_GRAPH_URL, "GET", path, params=params, timeout=15.0)
    except http.CallError as exc:
        raise MetaRefused(_("Meta could not be reached: %(reason)s") % {"reason": exc.reason}) from exc
    body = response.json()
    if response.status == 200 and isinstance(body, dict):
        return body
    raise MetaRefused(graph_error(body))


def graph_error(body: Any) -> str:
    """Graph's error (``{"error": {"message", "code"}}``) in plain words, by its code."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return _("Meta answered with something Kanalvakt could not read.")
    code = error.get("code")
    message = str(error.get("message") or "")[:300]
    if code == 190:
        text = _("The access token is not valid: it has expired or was revoked.")
    elif code in (10, 200) or (isinstance(code, int) and 200 <= code < 300):
        text = _("The access token lacks a permission this needs.")
    elif code in (100, 803):
        text = _("No page or account with this id can be read with this token.")
    elif code in (4, 17, 32, 613):
        text = _("Meta is limiting the number of calls just now; try again in a while.")
    else:
        text = _("Meta refused the request.")
    return f"{text} ({message})" if message else text


def _expiry(raw: Any) -> datetime | None:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return datetime.fromtimestamp(raw, tz=UTC)
    return None


def check_token(*, platform: str, external_id: str, token: str) -> TokenFacts:
    """Ask the Graph API whether ``token`` reads the page or Instagram account ``external_id``, and,
    when the app is configured, when it expires and what it may do (debug_token). MetaRefused when not."""
    fields = "id,name,username" if platform == "instagram" else "id,name"
    body = _graph(f"/{external_id}", {"fields": fields, "access_token": token})
    if str(body.get("id", "")) != external_id:
        raise MetaRefused(_("Meta answered for another page or account than the one named."))
    # An Instagram account is known by its username (the registry's handle), a page by its name.
    first, second = ("username", "name") if platform == "instagram" else ("name", "username")
    name = str(body.get(first) or body.get(second) or "")[:200]
    if not login_enabled():
        return TokenFacts(name=name)
    app_token = f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"
    debug = _graph("/debug_token", {"input_token": token, "access_token": app_token}).get("data")
    if not isinstance(debug, dict):
        raise MetaRefused(_("Meta answered with something Kanalvakt could not read."))
    if not debug.get("is_valid"):
        raise MetaRefused(graph_error({"error": debug.get("error") or {"code": 190}}))
    raw_scopes = debug.get("scopes")
    scopes: list[Any] = raw_scopes if isinstance(raw_scopes, list) else []
    return TokenFacts(
        name=name,
        expires_at=_expiry(debug.get("expires_at")),
        scopes=tuple(str(scope)[:100] for scope in scopes[:100]),
    )


# --- Facebook Login for Business --------------------------------------------------------------------


def redirect_uri() -> str:
    from django.urls import reverse

    return settings.KANALVAKT_BASE_URL + reverse("connectors:oauth_callback")


def start(session: SessionBase, *, account_id: int) -> str:
    """The address of Meta's login dialog for connecting the account; a new state, signed and kept in
    the session, replaces any earlier one (only the latest login may come back)."""
    nonce = secrets.token_urlsafe(24)
    session[SESSION_KEY] = {"nonce": nonce, "account": account_id}
    state = signing.dumps({"n": nonce, "a": account_id}, salt=STATE_SALT, compress=False)
    params = {
        "client_id": settings.META_APP_ID,
        "redirect_uri": redirect_uri(),
        "state": state,
        "response_type": "code",
    }
    if settings.META_LOGIN_CONFIG_ID:
        params["config_id"] = settings.META_LOGIN_CONFIG_ID
        params["override_default_response_type"] = "true"
    else:
        params["scope"] = ",".join(PERMISSIONS)
    return f"{settings.META_LOGIN_URL}?{urlencode(params)}"


def take_state(session: SessionBase, state: str) -> int | None:
    """The account a returning login was started for, or None for a state that is not this session's
    latest, is forged, or is older than STATE_MAX_AGE. The state is used up either way."""
    kept = session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict) or not state:
        return None
    try:
        data = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not secrets.compare_digest(
        str(data.get("n", "")), str(kept.get("nonce"))
    ):
        return None
    account_id = data.get("a")
    return account_id if isinstance(account_id, int) and account_id == kept.get("account") else None


def exchange_code(code: str) -> str:
    """The long-lived user token for the code the login dialog returned (two calls: the code for a
    short-lived token, then that for a long-lived one)."""
    app = {"client_id": settings.META_APP_ID, "client_secret": settings.META_APP_SECRET}
    short = _graph("/oauth/access_token", {**app, "redirect_uri": redirect_uri(), "code": code})
    token = short.get("access_token")
    if not isinstance(token, str) or not token:
        raise MetaRefused(_("Meta answered with something Kanalvakt could not read."))
    long = _graph(
        "/oauth/access_token", {**app, "grant_type": "fb_exchange_token", "fb_exchange_token": token}
    )
    long_token = long.get("access_token")
    if not isinstance(long_token, str) or not long_token:
        raise MetaRefused(_("Meta answered with something Kanalvakt could not read."))
    return long_token


def managed_pages(user_token: str) -> list[ManagedPage]:
    """The pages the user manages, with their page tokens and linked Instagram accounts."""
    fields = "id,name,access_token,tasks,instagram_business_account{id,username}"
    body = _graph("/me/accounts", {"fields": fields, "access_token": user_token, "limit": "25"})
    pages: list[ManagedPage] = []
    for _round in range(MAX_PAGES):
        for row in body.get("data") or []:
            page = _page(row)
            if page is not None:
                pages.append(page)
        following = (body.get("paging") or {}).get("next")
        path = http.under_base(settings.META_GRAPH_URL, following) if isinstance(following, str) else None
        if not path:
            break
        try:
            response = http.call(settings.META_GRAPH_URL, "GET", path, timeout=15.0)
        except http.CallError as exc:
            raise MetaRefused(_("Meta could not be reached: %(reason)s") % {"reason": exc.reason}) from exc
        body = response.json() if response.status == 200 else None
        if not isinstance(body, dict):
            raise MetaRefused(graph_error(response.json()))
    return pages


def _page(row: Any) -> ManagedPage | None:
    """One row of /me/accounts, or None when it is not the documented shape (kept hostile until checked)."""
    if not isinstance(row, dict):
        return None
    page_id, token = str(row.get("id", "")), row.get("access_token")
    if not NUMERIC_ID.fullmatch(page_id) or not isinstance(token, str) or not token:
        return None
    instagram = row.get("instagram_business_account")
    instagram = instagram if isinstance(instagram, dict) else {}
    instagram_id = str(instagram.get("id", ""))
    raw_tasks = row.get("tasks")
    tasks: list[Any] = raw_tasks if isinstance(raw_tasks, list) else []
    return ManagedPage(
        id=page_id,
        name=str(row.get("name") or "")[:200],
        access_token=token,
        tasks=tuple(str(task) for task in tasks),
        instagram_id=instagram_id if NUMERIC_ID.fullmatch(instagram_id) else "",
        instagram_username=str(instagram.get("username") or "")[:200],
    )

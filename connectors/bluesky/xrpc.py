"""XRPC calls to the account's server (its PDS, or bsky.social), with the account's session.

Every call is ``<server>/xrpc/<nsid>`` through connectors.rest (connectors.http underneath: the
configured server only, every address checked). The PDS answers com.atproto.* itself and proxies
app.bsky.* to the AppView, and chat.bsky.* to the chat service when asked with the
``atproto-proxy`` header (https://docs.bsky.app/docs/advanced-guides/api-directory).

The session (https://docs.bsky.app/docs/api/com-atproto-server-create-session): an access token
(about two hours) and a refresh token (about 90 days). An expired access token (HTTP 400 with error
``ExpiredToken``) is renewed with com.atproto.server.refreshSession (Bearer refresh token); only when
that fails is a new session made with the stored app password (com.atproto.server.createSession,
which Bluesky limits to 30 per 5 minutes and 300 a day per account, so never on every poll). A
refused app password is a TokenError: the connection needs attention.

Errors are ``{"error": <name>, "message": <text>}`` (https://atproto.com/specs/xrpc). A rate limit is
HTTP 429 with ``ratelimit-reset`` (epoch seconds) among the rate-limit headers
(https://docs.bsky.app/docs/advanced-guides/rate-limits): the poll then waits until the reset.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import health, rest
from connectors.bluesky.parse import is_did, is_handle
from connectors.errors import (
    MissingPermission,
    PageUnreachable,
    PlatformError,
    Refused,
    TokenError,
    Unavailable,
)
from connectors.models import Connection

# The chat service Bluesky runs for direct messages, as the PDS is asked to proxy to it.
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
MAX_WAIT = 24 * 3600  # a rate limit's reset further away than this is not believed
# The scopes of a session, as the PDS writes them into the access token.
SCOPE_APP = "com.atproto.appPass"
SCOPE_APP_DM = "com.atproto.appPassPrivileged"
SCOPE_FULL = "com.atproto.access"


class SessionExpired(Refused):
    """The access (or refresh) token has expired or is not accepted: renew the session."""


class NotAllowed(MissingPermission):
    """The session may not call this method (an app password without access to direct messages)."""


def _reset_after(headers: Mapping[str, str]) -> float | None:
    """Seconds until the rate limit resets: ``ratelimit-reset`` (epoch seconds), else Retry-After."""
    raw = headers.get("ratelimit-reset", "").strip()
    if raw.isdigit() and len(raw) <= 12:
        wait = int(raw) - time.time()
        return float(min(max(wait, 1), MAX_WAIT))
    return rest.retry_after(headers)


def classify(status: int, body: Any, headers: Mapping[str, str]) -> PlatformError:
    """The typed error of an XRPC error answer."""
    error = body.get("error") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    error = error[:100] if isinstance(error, str) else ""
    message = message[:500] if isinstance(message, str) else ""
    reason = f"{message or error} (HTTP {status})" if (message or error) else ""
    if status == 429 or error == "RateLimitExceeded":
        return Unavailable(
            _("Bluesky's rate limit was reached: %(reason)s") % {"reason": reason or f"HTTP {status}"},
            code=error or None,
            status=status,
            retry_after=_reset_after(headers),
        )
    if status >= 500 or not reason:
        return rest.classify_http(status, body, headers, message=message or error)
    kwargs: dict[str, Any] = {"code": error or None, "status": status}
    if error in {"AccountTakedown", "AccountDeactivated", "AccountNotFound", "RepoTakendown"}:
        return PageUnreachable(reason, **kwargs)
    if error == "InvalidToken" and message.startswith("Bad token"):
        return NotAllowed(reason, **kwargs)  # the scope does not cover the method
    if error in {"ExpiredToken", "InvalidToken"}:
        return SessionExpired(reason, **kwargs)
    if status == 401:
        return TokenError(reason, **kwargs)
    if status == 403:
        return MissingPermission(reason, **kwargs)
    return Refused(reason, **kwargs)


def token_claims(token: Any) -> dict[str, Any]:
    """The claims of a JWT the server issued (read, not verified: the server checks its tokens; this
    only saves a call that would fail, and tells an app password from the account's password)."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 4000:
        return {}
    part = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _expired(token: Any, *, margin: float = 30.0) -> bool:
    exp = token_claims(token).get("exp")
    return isinstance(exp, int) and exp < time.time() + margin


def session_from(body: Any) -> dict[str, str]:
    """The session kept from createSession or refreshSession: tokens, DID and handle."""
    if not isinstance(body, dict):
        raise Refused(_("Bluesky answered with something that is not a session."))
    access, refresh, did, handle = (body.get(k) for k in ("accessJwt", "refreshJwt", "did", "handle"))
    if not all(isinstance(t, str) and 10 < len(t) < 4000 for t in (access, refresh)) or not is_did(did):
        raise Refused(_("Bluesky answered with something that is not a session."))
    session = {"accessJwt": str(access), "refreshJwt": str(refresh), "did": str(did)}
    session["handle"] = str(handle) if is_handle(handle) else ""
    return session


def create_session(server_url: str, *, identifier: str, password: str) -> tuple[dict[str, str], Any]:
    """com.atproto.server.createSession: the new session, and the server's answer."""
    client = rest.Client(server_url, classify=classify)
    body = client.post(
        "/xrpc/com.atproto.server.createSession", json_body={"identifier": identifier, "password": password}
    )
    return session_from(body), body


class Xrpc:
    """Calls for one connection with its session; ``session`` is the session to keep afterwards and
    ``renewed`` says whether it changed. Errors about the connection itself (a refused app password, a
    deactivated account) turn it to "needs attention" unless the call says otherwise."""

    def __init__(self, connection: Connection, *, server_url: str) -> None:
        self.connection = connection
        self.server_url = server_url
        self.session: dict[str, str] = {
            k: v for k, v in connection.session.items() if isinstance(k, str) and isinstance(v, str)
        }
        self.renewed = False

    @property
    def did(self) -> str:
        return self.session.get("did") or self.connection.external_id

    @property
    def handle(self) -> str:
        return self.session.get("handle", "")

    @property
    def scope(self) -> str:
        scope = token_claims(self.session.get("accessJwt")).get("scope")
        return scope if isinstance(scope, str) else ""

    def query(
        self, nsid: str, params: Mapping[str, Any] | None = None, *, proxy: str = "", attention: bool = True
    ) -> Any:
        """A GET of ``nsid``; a list value is sent as the parameter repeated (XRPC's arrays)."""
        pairs = [
            (key, item)
            for key, value in (params or {}).items()
            for item in (value if isinstance(value, list | tuple) else [value])
        ]
        path = f"/xrpc/{nsid}" + (f"?{urlencode(pairs)}" if pairs else "")
        return self._call("GET", path, None, proxy=proxy, attention=attention)

    def procedure(self, nsid: str, body: Any, *, proxy: str = "", attention: bool = True) -> Any:
        """A POST of ``nsid`` with a JSON body (a write: never sent twice when no answer came)."""
        return self._call("POST", f"/xrpc/{nsid}", body, proxy=proxy, attention=attention)

    def _call(self, method: str, path: str, body: Any, *, proxy: str, attention: bool) -> Any:
        try:
            if not self.session.get("accessJwt") or _expired(self.session.get("accessJwt")):
                self._renew()
            try:
                return self._send(method, path, body, proxy=proxy)
            except SessionExpired:
                self._renew()
                try:
                    return self._send(method, path, body, proxy=proxy)
                except SessionExpired as exc:  # a brand-new session refused: the account's access
                    raise TokenError(exc.reason, code=exc.code, status=exc.status) from exc
        except PlatformError as exc:
            if attention and exc.cause and self.connection.pk:
                health.mark_attention(self.connection, cause=exc.cause, reason=exc.reason, now=timezone.now())
            raise

    def _send(self, method: str, path: str, body: Any, *, proxy: str, token: str = "") -> Any:
        headers = {"Authorization": f"Bearer {token or self.session.get('accessJwt', '')}"}
        if proxy:
            headers["atproto-proxy"] = proxy
        client = rest.Client(self.server_url, classify=classify, headers=headers)
        if method == "GET":
            return client.get(path)
        return client.post(path, json_body=body)

    def _renew(self) -> None:
        """A fresh access token: by the refresh token, else by the app password."""
        refresh = self.session.get("refreshJwt", "")
        if refresh and not _expired(refresh, margin=0):
            try:
                answer = self._send(
                    "POST", "/xrpc/com.atproto.server.refreshSession", None, proxy="", token=refresh
                )
                self._keep(session_from(answer))
                return
            except (SessionExpired, TokenError):
                pass  # revoked or expired: a new session with the app password
        self.login()

    def login(self) -> None:
        """A new session with the stored app password (com.atproto.server.createSession)."""
        session, _answer = create_session(
            self.server_url, identifier=self.connection.external_id, password=self.connection.token
        )
        if session["did"] != self.connection.external_id:
            raise TokenError(_("The app password is for another Bluesky account."))
        self._keep(session)

    def _keep(self, session: dict[str, str]) -> None:
        if session["did"] != self.did:
            raise TokenError(_("Bluesky answered with a session of another account."))
        self.session, self.renewed = session, True

    def keep_now(self) -> None:
        """Store a renewed session at once (the call that renewed it failed afterwards): the refresh
        token it replaced may no longer be accepted."""
        if self.renewed and self.connection.pk:
            self.connection.session = self.session
            Connection.objects.filter(pk=self.connection.pk).update(
                session_encrypted=self.connection.session_encrypted
            )
            self.renewed = False

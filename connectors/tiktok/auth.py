"""TikTok API for Business tokens for an account's calls: a refresh token kept, the day-long access
tokens made from it.

TikTok's access token lives 24 hours. With the installation's developer app set (``TIKTOK_APP_ID``,
``TIKTOK_APP_SECRET``), the connection's token is the account's refresh token, which the app got once
with the access token when the account's owner authorised it (``POST /tt_user/oauth2/token/``), and
Kanalvakt makes the access tokens itself with TikTok API for Business v1.3's renewal (the portal's
Accounts API pages, https://business-api.tiktok.com/portal/docs, "Authorization"; the portal's page
could not be read here, so the shape below is the one TikTok's Accounts API pages are cited with by
the maintained clients, e.g. bububa/tiktok-business's ``ttuser.RefreshToken``):
``POST {TIKTOK_API_URL}/tt_user/oauth2/refresh_token/`` with the JSON body ``{"client_id": <app id>,
"client_secret": <app secret>, "grant_type": "refresh_token", "refresh_token"}`` answers in the usual
envelope ``{"code": 0, "message", "request_id", "data": {"access_token", "expires_in" (seconds),
"refresh_token", "refresh_token_expires_in" (seconds), "open_id", "scope" (comma-separated),
"token_type"}}``.

Where the documentation leaves doubt, and what Kanalvakt does:

- whether the refresh token is rotated: the answer carries a ``refresh_token``, and TikTok's other
  OAuth (open.tiktokapis.com/v2/oauth/token/) says a refresh stops the one sent. So whenever the
  answer's refresh token differs from the one sent, it is kept at once as the connection's token
  (encrypted, one UPDATE with the session, outside the history), before anything else is called;
- which codes a refused renewal has: not listed for this endpoint. Any 4xxxx but the rate limit
  (40100) answers the only things sent, the refresh token and the app, so it is a ``TokenError``:
  the connection needs attention until a person pastes a new refresh token. 40100 and 5xxxx are
  ``Unavailable`` (connectors.tiktok.api);
- ``expires_in`` is read as seconds (86400 in the published examples) and believed for a day at most.

The access token in use and its expiry are kept in the connection's encrypted ``session``
(``access_token``, ``expires_at``, beside ``username``; never in the history, a log or an error). It
is renewed when missing or within ``MARGIN`` of its expiry, and once more when TikTok refuses it
(40101–40105) in a run. When the refresh token changed at the connection page's check, before there
is a connection to store it on, the new one rides in the session (``refresh_token``) and moves to the
connection's token at the next renewal. Without the app settings, the connection's token is the
access token itself, as pasted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from connectors import rest
from connectors.errors import PlatformError, TokenError, Unavailable
from connectors.models import Connection
from connectors.tiktok import api

REFRESH_PATH = "/tt_user/oauth2/refresh_token/"
MARGIN = timedelta(minutes=5)  # an access token this close to its expiry is renewed first
MAX_LIFE = 24 * 3600  # seconds an access token is believed to live at most, whatever TikTok says
MAX_REFRESH_LIFE = 400 * 24 * 3600  # a refresh token is documented to live a year
# A token as TikTok writes them (letters, digits and a few signs): never a line break in a header.
TOKEN = re.compile(r"[A-Za-z0-9._~+/=:-]{8,4096}")
SCOPE_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
SECONDS = re.compile(r"\d{1,10}")
SESSION_KEYS = ("access_token", "expires_at", "refresh_token")


def refreshing() -> bool:
    """Whether the installation makes access tokens from refresh tokens (its app is set)."""
    return bool(settings.TIKTOK_APP_ID and settings.TIKTOK_APP_SECRET)


@dataclass(frozen=True)
class Grant:
    """An access token TikTok made, the instant it expires, the refresh token to use next (empty when
    TikTok did not say) and its expiry, the account it is for and the scopes it carries."""

    access_token: str = field(repr=False)
    expires_at: datetime
    refresh_token: str = field(default="", repr=False)
    refresh_expires_at: datetime | None = None
    open_id: str = ""
    scopes: tuple[str, ...] = ()

    def session(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "expires_at": self.expires_at.isoformat()}


def _plain(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "…")
    return text


def refusal(code: int, message: str, *, status: int = 200, secrets: Iterable[str] = ()) -> PlatformError:
    """The typed error of a renewal TikTok refused with ``code`` (module docstring)."""
    said = _plain(message, secrets)
    if code in api.RATE_LIMIT_CODES or 50000 <= code < 60000:
        return api.error_for(code, said, status=status)
    return TokenError(
        _(
            "TikTok no longer accepts the account's refresh token (%(message)s, TikTok's code %(code)s): "
            "it expired or was revoked, or the app (TIKTOK_APP_ID) is not the one it was made with. "
            "Paste a new one on the connection page."
        )
        % {"message": said or _("The platform gave no reason."), "code": code},
        code=code,
        status=status,
    )


def _classify(secrets: tuple[str, ...]) -> rest.Classify:
    def classify(status: int, body: Any, headers: Mapping[str, str]) -> PlatformError:
        code = api.code_of(body)
        if status == 429 or status >= 500 or not code:
            return rest.classify_http(status, body, headers, message=_plain(api.message_of(body), secrets))
        return refusal(code, api.message_of(body), status=status, secrets=secrets)

    return classify


def _unreadable() -> Unavailable:
    return Unavailable(_("TikTok's token renewal answered with something Kanalvakt could not read."))


def _seconds(value: Any) -> int | None:
    if isinstance(value, str) and SECONDS.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def grant_of(body: Any, *, now: datetime, secrets: tuple[str, ...] = ()) -> Grant:
    """The renewal's envelope, checked: code 0, an access token of a token's shape with a life in
    seconds (at most MAX_LIFE believed); the refresh token, account and scopes when readable."""
    code = api.code_of(body)
    if not isinstance(body, dict) or code is None:
        raise _unreadable()
    if code != 0:
        raise refusal(code, api.message_of(body), secrets=secrets)
    data = body.get("data")
    if not isinstance(data, dict):
        raise _unreadable()
    token, life = data.get("access_token"), _seconds(data.get("expires_in"))
    if not isinstance(token, str) or not TOKEN.fullmatch(token) or life is None:
        raise _unreadable()
    kind = data.get("token_type", "Bearer")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise _unreadable()
    refresh = data.get("refresh_token")
    refresh = refresh if isinstance(refresh, str) and TOKEN.fullmatch(refresh) else ""
    refresh_life = _seconds(data.get("refresh_token_expires_in"))
    open_id = data.get("open_id")
    scope = data.get("scope")
    return Grant(
        access_token=token,
        expires_at=now + timedelta(seconds=min(life, MAX_LIFE)),
        refresh_token=refresh,
        refresh_expires_at=(
            now + timedelta(seconds=min(refresh_life, MAX_REFRESH_LIFE)) if refresh and refresh_life else None
        ),
        open_id=open_id if isinstance(open_id, str) and api.OPEN_ID.fullmatch(open_id) else "",
        scopes=tuple(
            sorted({n.strip() for n in scope.split(",")[:50] if SCOPE_NAME.fullmatch(n.strip())})
            if isinstance(scope, str)
            else ()
        ),
    )


def exchange(refresh_token: str, *, now: datetime) -> Grant:
    """A new access token for ``refresh_token``. A renewal changes nothing at TikTok that another can
    spoil, so a 5xx or a time-out is tried again (connectors.rest, as a read)."""
    secrets = (refresh_token, settings.TIKTOK_APP_SECRET)
    body = rest.Client(settings.TIKTOK_API_URL, classify=_classify(secrets)).request(
        "POST",
        REFRESH_PATH,
        json_body={
            "client_id": settings.TIKTOK_APP_ID,
            "client_secret": settings.TIKTOK_APP_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
        write=False,
    )
    return grant_of(body, now=now, secrets=secrets)


def _kept(session: Mapping[str, Any]) -> tuple[str, datetime] | None:
    """The access token kept in a connection's session and its expiry, when both are readable."""
    token, until = session.get("access_token"), session.get("expires_at")
    if not isinstance(token, str) or not TOKEN.fullmatch(token) or not isinstance(until, str):
        return None
    try:
        expires_at = datetime.fromisoformat(until)
    except ValueError:
        return None
    return (token, expires_at) if expires_at.tzinfo is not None else None


def _pending(session: Mapping[str, Any]) -> str | None:
    """A refresh token handed back at the connection page's check, not yet the connection's token."""
    token = session.get("refresh_token")
    return token if isinstance(token, str) and TOKEN.fullmatch(token) else None


class Access:
    """The access token one run of calls carries for an account (a check, a poll, an answer): the
    pasted one, or one made from the refresh token (``secret``) when the installation refreshes.
    ``connection`` (when there is one) receives a new access token and a rotated refresh token at once.
    ``now`` is the wall clock: an access token's life is TikTok's time, not the sweep's."""

    def __init__(
        self,
        secret: str,
        *,
        session: Mapping[str, Any] | None = None,
        now: datetime,
        connection: Connection | None = None,
    ) -> None:
        self._secret = secret
        self._base = {k: v for k, v in (session or {}).items() if k not in SESSION_KEYS}
        self.now = now
        self._kept = _kept(session or {})
        self.connection = connection
        self.grant: Grant | None = None  # the access token made in this run
        self._retried = False

    @classmethod
    def of(cls, connection: Connection, *, now: datetime) -> Access:
        if not refreshing():
            return cls(connection.token, now=now)
        session = connection.session
        secret = _pending(session) or connection.token
        return cls(secret, session=session, now=now, connection=connection)

    @property
    def refresh_token(self) -> str:
        """The refresh token to use next: the one TikTok handed back last, or the one given."""
        return self._secret

    def token(self) -> str:
        """The access token to send: the kept one, or a new one when it is missing or about to expire.
        One made in this run serves the whole run."""
        if not refreshing():
            return self._secret
        if self._kept is None or (self.grant is None and self._kept[1] - self.now <= MARGIN):
            return self.renew()
        return self._kept[0]

    def renew(self) -> str:
        """A new access token from the refresh token, kept with a rotated refresh token on the
        connection at once. Raises a connectors.errors type."""
        try:
            self.grant = exchange(self._secret, now=self.now)
        except TokenError:
            # Another run (a poll beside an answer) may have rotated the refresh token meanwhile.
            newer = self._stored()
            if newer is None or newer == self._secret:
                raise
            self._secret = newer
            self.grant = exchange(self._secret, now=self.now)
        if self.grant.refresh_token:
            self._secret = self.grant.refresh_token
        self._kept = (self.grant.access_token, self.grant.expires_at)
        self._store()
        return self.grant.access_token

    def retry_after_refusal(self) -> bool:
        """Whether a refused access token is worth one more try with a new one: once in a run, and
        only when new ones can be made."""
        if not refreshing() or self._retried:
            return False
        self._retried = True
        return True

    @property
    def scopes(self) -> tuple[str, ...]:
        return self.grant.scopes if self.grant else ()

    @property
    def session(self) -> dict[str, Any] | None:
        """The session to keep when an access token was made in this run; None when unchanged."""
        return {**self._base, **self.grant.session()} if self.grant else None

    def checked_session(self) -> dict[str, Any]:
        """The session of the connection page's check: the access token made, and the refresh token
        TikTok handed back when it is not the one pasted (there is no connection to store it on yet)."""
        session = dict(self.session or {})
        if self.grant and self.grant.refresh_token:
            session["refresh_token"] = self.grant.refresh_token
        return session

    def _stored(self) -> str | None:
        if self.connection is None or not self.connection.pk:
            return None
        fresh = Connection.objects.filter(pk=self.connection.pk).first()
        return (_pending(fresh.session) or fresh.token) if fresh is not None else None

    def _store(self) -> None:
        """The new access token and the refresh token now current, on the connection: one UPDATE of
        the encrypted token and session, outside the history (a rotation is not a person's change)."""
        connection, session = self.connection, self.session
        if connection is None or not connection.pk or session is None or self.grant is None:
            return
        connection.session = session
        changes: dict[str, Any] = {"session_encrypted": connection.session_encrypted}
        if connection.token != self._secret:
            connection.token = self._secret
            changes["token_encrypted"] = connection.token_encrypted
        if self.grant.refresh_expires_at is not None:
            connection.token_expires_at = self.grant.refresh_expires_at
            changes["token_expires_at"] = self.grant.refresh_expires_at
        Connection.objects.filter(pk=connection.pk).update(**changes)

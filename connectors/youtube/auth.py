"""Google OAuth 2.0 for a channel's calls: a refresh token kept, the hour-long access tokens made from it.

Google's access tokens last about an hour. With the installation's OAuth client set
(``YOUTUBE_CLIENT_ID``, ``YOUTUBE_CLIENT_SECRET``), the connection's token is the channel's refresh
token, got once with Google's consent for the scope ``youtube.force-ssl`` and ``access_type=offline``,
and Kanalvakt makes the access tokens itself, as a web server application does
(https://developers.google.com/identity/protocols/oauth2/web-server#offline):
``POST YOUTUBE_TOKEN_URL`` (https://oauth2.googleapis.com/token) with the form fields ``client_id``,
``client_secret``, ``refresh_token`` and ``grant_type=refresh_token`` answers ``{"access_token",
"expires_in" (seconds), "scope" (space-separated), "token_type": "Bearer"}``. A refusal is an OAuth
2.0 error (RFC 6749, section 5.2), ``{"error", "error_description"}``: ``invalid_grant`` ("Token has
been expired or revoked.") when the refresh token was revoked, went unused for six months, came from
a consent screen still in testing (seven days) or was pushed out by newer ones
(https://developers.google.com/identity/protocols/oauth2#expiration); ``unauthorized_client`` when it
was made with another OAuth client; ``invalid_client`` when the installation's client is wrong. Each
is a ``TokenError``: the connection needs attention until a person pastes a new refresh token.

The access token in use and its expiry are kept in the connection's encrypted ``session``
(``{"access_token", "expires_at"}``, never in the history, a log or an error). It is renewed when it
is missing or within ``MARGIN`` of its expiry, and once more when YouTube answers 401 (revoked before
its time). Without the client settings, the connection's token is the access token itself, as pasted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from connectors.errors import PlatformError, Refused, TokenError, Unavailable
from connectors.meta.parse import storable
from connectors.models import Connection
from connectors.rest import Client, classify_http

SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"  # answering and hiding need it
MARGIN = timedelta(minutes=5)  # an access token this close to its expiry is renewed first
MAX_LIFE = 24 * 3600  # seconds an access token is believed to live at most, whatever Google says
# An access token as a bearer token may be written (RFC 6750's b64token): never a line break in a header.
ACCESS_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{8,4096}")
ERROR_CODE = re.compile(r"[a-z_]{1,40}")
SCOPE_NAME = re.compile(r"[A-Za-z0-9._:/-]{1,200}")
SECONDS = re.compile(r"\d{1,9}")


def refreshing() -> bool:
    """Whether the installation makes access tokens from refresh tokens (its OAuth client is set)."""
    return bool(settings.YOUTUBE_CLIENT_ID and settings.YOUTUBE_CLIENT_SECRET)


@dataclass(frozen=True)
class Grant:
    """An access token Google made, the instant it expires and the scopes it carries."""

    access_token: str = field(repr=False)
    expires_at: datetime
    scopes: tuple[str, ...] = ()

    def session(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "expires_at": self.expires_at.isoformat()}


def _plain(value: Any, secrets: Iterable[str]) -> str:
    """Google's description as short plain text, without markup and without any of ``secrets``."""
    if not isinstance(value, str):
        return ""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]{0,500}>", "", str(storable(value)))).strip()
    for secret in secrets:
        if secret:
            text = text.replace(secret, "…")
    return text[:300]


def classify(
    status: int, body: Any, headers: Mapping[str, str], *, secrets: Iterable[str] = ()
) -> PlatformError:
    """The typed error of the token endpoint's answer (RFC 6749, section 5.2)."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error if isinstance(error, str) and ERROR_CODE.fullmatch(error) else ""
    detail = _plain(body.get("error_description") if isinstance(body, dict) else None, secrets)
    said = f"{code}: {detail}" if code and detail else code or detail
    if status == 429 or status >= 500:
        return classify_http(status, body, headers, message=said)
    kwargs: dict[str, Any] = {"code": code or None, "status": status}
    if code == "invalid_grant":
        return TokenError(
            _(
                "Google no longer accepts the channel's refresh token (%(said)s): it was revoked, went "
                "unused or is not a refresh token. Paste a new one on the connection page."
            )
            % {"said": said},
            **kwargs,
        )
    if code == "unauthorized_client":
        return TokenError(
            _(
                "The refresh token was made with another OAuth client than this installation's "
                "(YOUTUBE_CLIENT_ID): make a new one with this installation's client (%(said)s)."
            )
            % {"said": said},
            **kwargs,
        )
    if code == "invalid_client" or status == 401:
        return TokenError(
            _(
                "Google does not accept this installation's OAuth client: check YOUTUBE_CLIENT_ID and "
                "YOUTUBE_CLIENT_SECRET (%(said)s)."
            )
            % {"said": said or status},
            **kwargs,
        )
    return Refused(
        _("Google refused to renew the access token: %(said)s (HTTP %(status)s)")
        % {"said": said or "?", "status": status},
        **kwargs,
    )


def _unreadable() -> Unavailable:
    return Unavailable(_("Google's token endpoint answered with something Kanalvakt could not read."))


def grant_of(body: Any, *, now: datetime) -> Grant:
    """The token endpoint's answer, checked: an access token of a bearer token's shape, a life in
    seconds (at most MAX_LIFE believed), the scopes as Google names them."""
    if not isinstance(body, dict):
        raise _unreadable()
    token, kind, life = body.get("access_token"), body.get("token_type", "Bearer"), body.get("expires_in")
    if not isinstance(token, str) or not ACCESS_TOKEN.fullmatch(token):
        raise _unreadable()
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise _unreadable()
    if isinstance(life, str) and SECONDS.fullmatch(life):
        life = int(life)
    if not isinstance(life, int) or isinstance(life, bool) or life <= 0:
        raise _unreadable()
    scope = body.get("scope")
    scopes = tuple(
        sorted({name for name in scope.split()[:50] if SCOPE_NAME.fullmatch(name)})
        if isinstance(scope, str)
        else ()
    )
    return Grant(access_token=token, expires_at=now + timedelta(seconds=min(life, MAX_LIFE)), scopes=scopes)


def _endpoint() -> tuple[str, str]:
    """The token endpoint as connectors.http calls it: its origin, and its path."""
    parts = urlsplit(settings.YOUTUBE_TOKEN_URL)
    return f"{parts.scheme}://{parts.netloc}", parts.path or "/"


def exchange(refresh_token: str, *, now: datetime) -> Grant:
    """A new access token for ``refresh_token``. Renewing changes nothing at Google but the access
    tokens, so a 5xx or a time-out is tried again (connectors.rest, as a read)."""
    secret = settings.YOUTUBE_CLIENT_SECRET

    def read(status: int, body: Any, headers: Mapping[str, str]) -> PlatformError:
        return classify(status, body, headers, secrets=(refresh_token, secret))

    base, path = _endpoint()
    body = Client(base, classify=read).request(
        "POST",
        path,
        form={
            "client_id": settings.YOUTUBE_CLIENT_ID,
            "client_secret": secret,
            "refresh_token": refresh_token,
            "grant_type": "refresh_token",
        },
        write=False,
    )
    return grant_of(body, now=now)


def _kept(session: Mapping[str, Any]) -> tuple[str, datetime] | None:
    """The access token kept in a connection's session and its expiry, when both are readable."""
    token, until = session.get("access_token"), session.get("expires_at")
    if not isinstance(token, str) or not ACCESS_TOKEN.fullmatch(token) or not isinstance(until, str):
        return None
    try:
        expires_at = datetime.fromisoformat(until)
    except ValueError:
        return None
    return (token, expires_at) if expires_at.tzinfo is not None else None


class Access:
    """The access token one run of calls carries for a channel (a check, a poll, an answer): the
    pasted one, or one made from the refresh token (``secret``) when the installation refreshes.
    ``now`` is the wall clock: an access token's life is Google's time, not the sweep's."""

    def __init__(self, secret: str, *, session: Mapping[str, Any] | None = None, now: datetime) -> None:
        self._secret = secret
        self.now = now
        self._kept = _kept(session or {})
        self.grant: Grant | None = None  # the access token made in this run
        self._retried = False

    @classmethod
    def of(cls, connection: Connection, *, now: datetime) -> Access:
        return cls(connection.token, session=connection.session if refreshing() else None, now=now)

    def token(self) -> str:
        """The access token to send: the kept one, or a new one when it is missing or about to expire.
        One made in this run serves the whole run, however short Google says its life is."""
        if not refreshing():
            return self._secret
        if self._kept is None or (self.grant is None and self._kept[1] - self.now <= MARGIN):
            return self.renew()
        return self._kept[0]

    def renew(self) -> str:
        """A new access token from the refresh token. Raises a connectors.errors type."""
        self.grant = exchange(self._secret, now=self.now)
        self._kept = (self.grant.access_token, self.grant.expires_at)
        return self.grant.access_token

    def expired_before(self, when: datetime) -> bool:
        """Whether the kept access token had expired by ``when``, or none is kept."""
        return self._kept is None or self._kept[1] < when

    def retry_after_401(self) -> bool:
        """Whether a 401 is worth one more try with a new access token: once in a run, and only when
        new ones can be made."""
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
        return self.grant.session() if self.grant else None


def keep(connection: Connection, access: Access) -> None:
    """Store an access token made in a run that hands no session back (a failure, a look, the
    figures): one UPDATE, outside the history like the session itself."""
    session = access.session
    if session is None or not connection.pk:
        return
    connection.session = session
    Connection.objects.filter(pk=connection.pk).update(session_encrypted=connection.session_encrypted)

"""The one write path for connections: connecting an account to its platform identity, replacing its
token, disconnecting it.

Who may: the account owner, a deputy (KAU-RESP-OWNER) or the communications department, which keeps
the registry whole; the social media lead is in the communications department and sees every
connection (connectors.selectors). A token is checked against the Graph API before anything is
stored, kept encrypted (core.secrets), never logged, never shown again and never in the history in
clear. Connections are never deleted: a connection no longer wanted is disconnected and keeps its
history (KAU-PUBLIC-RECORD).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.selectors import is_owner_or_deputy
from connectors import http, polling, reconcile
from connectors.adapters import Checked, adapter_for
from connectors.errors import PlatformError
from connectors.meta import oauth
from connectors.models import META_PLATFORMS, PLATFORM_OF_ACCOUNT, Connection, Platform
from core.history import record
from core.roles import Role, has_role

BACKFILL_TASK = "connectors.tasks.backfill_connection"
MAX_TOKEN = 2000


def connectable(account: Account) -> bool:
    """The registry's platform is one Kanalvakt has a connector for (Meta's, or a polled platform's
    module, connectors.adapters)."""
    platform = PLATFORM_OF_ACCOUNT.get(account.platform)
    return platform is not None and (platform in META_PLATFORMS or adapter_for(platform) is not None)


def may_connect(user: Any, account: Account) -> bool:
    """The account owner, a deputy (KAU-RESP-OWNER) or the communications department."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return has_role(user, Role.COMMUNICATIONS) or is_owner_or_deputy(user, account)


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _check_identity(account: Account, *, platform: str, external_id: str, server_url: str = "") -> None:
    """The account may be connected to this identity: its registry platform matches, it is not closed,
    the identity has the platform's shape (a plain numeric id for Meta), and neither is already
    connected."""
    if account.status == Account.Status.CLOSED:
        raise ValidationError(_("The account is closed: it cannot be connected."))
    if PLATFORM_OF_ACCOUNT.get(account.platform) != platform:
        raise _refuse(
            "platform",
            _("The account is registered as %(registered)s: it cannot be connected to %(platform)s.")
            % {"registered": account.platform_label, "platform": Platform(platform).label}
            if platform in Platform.values
            else _("Choose a platform Kanalvakt has a connector for."),
        )
    adapter = adapter_for(platform)
    if adapter is not None:
        if not adapter.identity_pattern.fullmatch(external_id):
            raise _refuse(
                "external_id", str(adapter.identity_help or _("This is not an identity on the platform."))
            )
    elif not oauth.NUMERIC_ID.fullmatch(external_id):
        raise _refuse("external_id", _("Give the page's or account's id on the platform: digits only."))
    live = Connection.objects.filter(disconnected_at__isnull=True)
    if live.filter(account=account, platform=platform).exists():
        raise _refuse("external_id", _("The account is already connected. Disconnect it first."))
    if live.filter(platform=platform, server_url=server_url, external_id=external_id).exists():
        raise _refuse("external_id", _("This page or account is already connected to another account."))


def _checked(platform: str, external_id: str, token: str, server_url: str = "") -> oauth.TokenFacts | Checked:
    if len(token) > MAX_TOKEN or any(ch.isspace() for ch in token):
        raise _refuse("token", _("This is not an access token: it has spaces or is far too long."))
    adapter = adapter_for(platform)
    if adapter is not None:
        try:
            return adapter.check(external_id=external_id, secret=token, server_url=server_url)
        except PlatformError as exc:
            raise _refuse(
                "token",
                _("%(platform)s did not accept it: %(reason)s")
                % {"platform": Platform(platform).label, "reason": exc.reason},
            ) from exc
        except http.CallError as exc:
            raise _refuse(
                "server_url" if adapter.needs_server else "token",
                _("%(platform)s could not be reached: %(reason)s")
                % {"platform": Platform(platform).label, "reason": exc.reason},
            ) from exc
    try:
        return oauth.check_token(platform=platform, external_id=external_id, token=token)
    except oauth.MetaRefused as exc:
        raise _refuse(
            "token", _("Meta did not accept the token: %(reason)s") % {"reason": exc.reason}
        ) from exc


def _start_backfill(connection: Connection, *, now: datetime) -> None:
    """The last 14 days are fetched by a worker once the connection is committed: for Meta with its
    progress on the connection page (connectors.reconcile), for a polled platform by its first poll
    (connectors.polling)."""
    if connection.platform in META_PLATFORMS:
        reconcile.start_backfill(connection, now=now)
    else:
        polling.poll_now(connection)


def connect(
    account: Account,
    *,
    platform: str,
    external_id: str,
    token: str = "",
    by: Any,
    now: datetime,
    expires_at: datetime | None = None,
    scopes: Iterable[str] = (),
    name_on_platform: str = "",
    server_url: str = "",
) -> Connection:
    """Connect the account to its identity on the platform, with the token checked against the Graph
    API first (a refused token stores nothing). Without a token the connection receives webhooks but
    cannot answer or fetch what a webhook missed: it needs attention (KAU-RESP-DAILY). ``by`` may be
    None for a script (manage.py connect_account)."""
    if by is not None and not may_connect(by, account):
        raise PermissionDenied
    external_id = external_id.strip()
    token = token.strip()
    server_url = server_url.strip().rstrip("/")
    adapter = adapter_for(platform)
    if adapter is not None and not token:
        raise _refuse(
            "token",
            _("%(secret)s is needed: without it nothing can be read.") % {"secret": adapter.secret_label},
        )
    if adapter is not None and adapter.needs_server and not server_url:
        server_url = adapter.default_server
    _check_identity(account, platform=platform, external_id=external_id)
    facts = _checked(platform, external_id, token, server_url) if token else None
    if isinstance(facts, Checked):
        # The platform's own name of the identity (a DID for a handle): checked again, as it came back.
        external_id, server_url = facts.external_id, facts.server_url or server_url
    # Only the platforms with many servers keep one; the identity is unique on its server.
    server_url = server_url if adapter is not None and adapter.needs_server else ""
    if isinstance(facts, Checked):
        _check_identity(account, platform=platform, external_id=external_id, server_url=server_url)
    connection = Connection(
        account=account,
        platform=platform,
        external_id=external_id,
        server_url=server_url,
        name_on_platform=(name_on_platform or (facts.name if facts else ""))[:200],
        token_expires_at=(facts.expires_at if facts and facts.expires_at else expires_at) if token else None,
        scopes=sorted(set(facts.scopes if facts and facts.scopes else scopes)) if token else [],
        connected_by=by,
        connected_at=now,
    )
    connection.token = token
    if isinstance(facts, Checked):
        connection.session = facts.session
    if token:
        connection.health, connection.cause, connection.last_success_at = (
            Connection.Health.ACTIVE,
            "",
            now,
        )
    else:
        connection.health, connection.cause = Connection.Health.ATTENTION, Connection.Cause.NO_TOKEN
    try:
        with transaction.atomic():
            record(connection, by=by, reason="connected")
            connection.save()
            if token:
                _start_backfill(connection, now=now)
    except IntegrityError as exc:
        # Two people connecting the same page at once: the partial unique constraints decide.
        raise _refuse("external_id", _("This page or account was connected a moment ago.")) from exc
    return connection


def set_token(
    connection: Connection,
    *,
    token: str,
    by: Any,
    now: datetime,
    expires_at: datetime | None = None,
    scopes: Iterable[str] = (),
) -> Connection:
    """Replace the connection's token with a new one the Graph API accepts for the same identity; a
    connection that needed attention for its token is active again."""
    if by is not None and not may_connect(by, connection.account):
        raise PermissionDenied
    if not connection.is_live:
        raise ValidationError(_("The connection is disconnected: connect the account again."))
    token = token.strip()
    if not token:
        raise _refuse("token", _("Paste the access token."))
    facts = _checked(connection.platform, connection.external_id, token, connection.server_url)
    if isinstance(facts, Checked) and facts.external_id != connection.external_id:
        raise _refuse("token", _("This secret is for another account on the platform."))
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        if not locked.is_live:
            raise ValidationError(_("The connection is disconnected: connect the account again."))
        locked.token = token
        if isinstance(facts, Checked):
            locked.session = facts.session
            locked.poll_failures = 0
        locked.token_expires_at = facts.expires_at or expires_at
        locked.scopes = sorted(set(facts.scopes or scopes))
        locked.name_on_platform = facts.name or locked.name_on_platform
        locked.last_success_at = now
        if locked.health == Connection.Health.ATTENTION and locked.cause in {
            Connection.Cause.NO_TOKEN,
            Connection.Cause.TOKEN_EXPIRED,
            Connection.Cause.PERMISSION,
        }:
            locked.health, locked.cause = Connection.Health.ACTIVE, ""
        record(locked, by=by, reason="access token replaced")
        locked.save()
        if locked.platform not in META_PLATFORMS:
            polling.poll_now(locked)
        elif not locked.backfill_state:
            _start_backfill(locked, now=now)
    return locked


@transaction.atomic
def disconnect(connection: Connection, *, by: Any, now: datetime) -> Connection:
    """Disconnect: nothing more is received or sent, the token is forgotten, and the connection stays
    with its history (never deleted, KAU-PUBLIC-RECORD). The identity may then be connected again."""
    if by is not None and not may_connect(by, connection.account):
        raise PermissionDenied
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    if not locked.is_live:
        raise ValidationError(_("The connection is already disconnected."))
    locked.token_encrypted = ""
    locked.session_encrypted = ""
    locked.health, locked.cause = Connection.Health.DISCONNECTED, ""
    locked.disconnected_at, locked.disconnected_by = now, by
    locked.next_poll_at = None
    record(locked, by=by, reason="disconnected")
    locked.save()
    return locked

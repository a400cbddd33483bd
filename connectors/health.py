"""A connection's health: active, or needs attention with a cause, and who is told.

A connection that needs attention means items may be going unseen (KAU-RESP-DAILY: every account is
watched daily), so the account owner, the deputies and the social media lead are told, once per
cause per episode: the notification's key names the connection, the episode (the last time it was
healthy, from its history) and the cause. The same cause again tells nobody; a recovery followed by
a new failure, or a second cause in the same episode, tells again. Every change of health is in the
connection's history.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from connectors.models import Connection
from core.history import record
from core.models import User
from core.notifications import notify
from core.roles import Role


def _episode(connection: Connection) -> int:
    """The history id of the connection's last healthy state: constant while it needs attention,
    new after each recovery."""
    last = (
        connection.history.filter(health=Connection.Health.ACTIVE)
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )
    return int(last or 0)


def _told(account: Account) -> list[User]:
    """The owner, the deputies and the social media lead (KAU-RESP-DAILY, KAU-RESP-OWNER)."""
    people: list[User] = [account.owner] if account.owner_id else []
    people += list(account.deputies.all())
    people += list(User.objects.filter(groups__name=Role.SOCIAL_MEDIA_LEAD.value, is_active=True).distinct())
    return people


@transaction.atomic
def mark_attention(connection: Connection, *, cause: str, reason: str, now: datetime) -> Connection:
    """The connection needs attention because of ``cause`` (a Connection.Cause), with the platform's
    reason in plain words. Tells the owner, the deputies and the social media lead once per cause and
    episode (KAU-RESP-DAILY). A disconnected connection stays as it is."""
    if cause not in Connection.Cause.values:
        raise ValueError(f"unknown cause {cause!r}")
    locked = (
        Connection.objects.select_for_update(of=("self",)).select_related("account").get(pk=connection.pk)
    )
    if not locked.is_live:
        return locked
    changed = locked.health != Connection.Health.ATTENTION or locked.cause != cause
    locked.last_error, locked.last_error_at = reason[:2000], now
    if not changed:
        Connection.objects.filter(pk=locked.pk).update(last_error=locked.last_error, last_error_at=now)
        _copy(locked, connection)
        return locked
    episode = _episode(locked)
    locked.health, locked.cause = Connection.Health.ATTENTION, cause
    record(locked, by=None, reason=f"needs attention: {cause}")
    locked.save(update_fields=["health", "cause", "last_error", "last_error_at"])
    account = locked.account
    notify(
        kind="connection_attention",
        key=f"connection:{locked.pk}:attention:{episode}:{cause}",
        recipients=_told(account),
        subject=_("Kanalvakt: the connection of %(account)s needs attention"),
        subject_params={"account": account.name},
        template="connection_attention.txt",
        context={
            "account": account,
            "platform": locked.get_platform_display(),
            "cause": Connection.Cause(cause).label,
            "reason": reason,
        },
        url=reverse("connectors:account", args=[account.pk]),
    )
    _copy(locked, connection)
    return locked


@transaction.atomic
def mark_success(
    connection: Connection, *, now: datetime, clears: Collection[str] | None = None
) -> Connection:
    """A call (the poll, a posted answer) succeeded: the connection is healthy again, unless what it
    needs is a token it still does not have. ``clears`` limits the causes this success disproves (a
    posted comment proves the token and the page, not the messaging permission); None: every cause."""
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    locked.last_success_at = now
    Connection.objects.filter(pk=locked.pk).update(last_success_at=now)
    still_without_token = locked.cause == Connection.Cause.NO_TOKEN and not locked.has_token
    disproved = clears is None or locked.cause in clears
    if (
        locked.is_live
        and locked.health == Connection.Health.ATTENTION
        and disproved
        and not still_without_token
    ):
        locked.health, locked.cause = Connection.Health.ACTIVE, ""
        record(locked, by=None, reason="healthy again")
        locked.save(update_fields=["health", "cause"])
    _copy(locked, connection)
    return locked


def noted_event(connection: Connection, *, now: datetime) -> None:
    """Something arrived from the platform for this connection (not audited: it happens all day)."""
    Connection.objects.filter(pk=connection.pk).update(last_event_at=now)
    connection.last_event_at = now


def _copy(source: Connection, target: Connection) -> None:
    if target is source:
        return
    for name in ("health", "cause", "last_error", "last_error_at", "last_success_at"):
        setattr(target, name, getattr(source, name))

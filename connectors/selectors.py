"""Reads of connections: who sees which, the account's connections, the social media lead's overview
with the events of the last day, and which managed pages match an account."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Value, When

from accounts.models import Account
from connectors.meta.oauth import ManagedPage
from connectors.models import PLATFORM_OF_ACCOUNT, Connection, Event
from core.roles import Role, has_role

DAY = timedelta(hours=24)


def may_see_every_connection(user: Any) -> bool:
    """The social media lead sees every connection and its health on one page."""
    return has_role(user, Role.SOCIAL_MEDIA_LEAD)


def account_for(user: Any, account_id: int) -> Account | None:
    """The account when ``user`` may see it (the registry's one gate), else None (a 404)."""
    return Account.objects.visible_to(user).select_related("owner", "unit").filter(pk=account_id).first()


def connections_of(account: Account) -> list[Connection]:
    """The account's connections, the live one first, then those disconnected, newest first. One query."""
    return list(
        Connection.objects.filter(account=account)
        .select_related("connected_by", "disconnected_by")
        .order_by("disconnected_at", "-connected_at", "-pk")
    )


@dataclass
class OverviewRow:
    connection: Connection
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return sum(self.counts.values())


@dataclass
class Overview:
    rows: list[OverviewRow]
    unmatched: dict[str, int]  # events of the last day for pages that are not connected, by outcome
    since: datetime

    @property
    def attention(self) -> int:
        return sum(1 for row in self.rows if row.connection.health == Connection.Health.ATTENTION)


def overview(now: datetime) -> Overview:
    """Every live connection, those that need attention first, with the events of the last 24 hours
    counted by outcome. Two queries, whatever the number of connections or events."""
    since = now - DAY
    connections = (
        Connection.objects.filter(disconnected_at__isnull=True)
        .select_related("account")
        .annotate(
            attention_first=Case(
                When(health=Connection.Health.ATTENTION, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("attention_first", "account__name", "platform", "pk")
    )
    counts: dict[int | None, dict[str, int]] = defaultdict(dict)
    # One grouped query over the event index (connection, processed time).
    for row in (
        Event.objects.filter(processed_at__gte=since, processed_at__lte=now)
        .values("connection_id", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["connection_id"]][row["outcome"]] = row["n"]
    rows = [OverviewRow(connection, counts.get(connection.pk, {})) for connection in connections]
    live = {row.connection.pk for row in rows}
    unmatched: dict[str, int] = defaultdict(int)
    for connection_id, by_outcome in counts.items():
        if connection_id not in live:  # pages not connected, or connections since disconnected
            for outcome, n in by_outcome.items():
                unmatched[outcome] += n
    return Overview(rows=rows, unmatched=dict(unmatched), since=since)


def _plain(text: str) -> str:
    return text.strip().lstrip("@").casefold()


def matching_pages(account: Account, pages: list[ManagedPage]) -> list[ManagedPage]:
    """The managed pages that are the account: for a Facebook page, by its id in the account's address
    or by its name; for Instagram, the linked account by its username (the handle). Only pages that
    have what the platform needs (an Instagram account for Instagram) are candidates at all."""
    platform = PLATFORM_OF_ACCOUNT.get(account.platform)
    if platform == "instagram":
        handle = _plain(account.handle)
        return [
            page
            for page in pages
            if page.instagram_id and handle and _plain(page.instagram_username) == handle
        ]
    if platform != "facebook":
        return []
    url = account.url or ""
    return [
        page
        for page in pages
        if page.id in url or _plain(page.name) in {_plain(account.name), _plain(account.handle)}
    ]


def candidate_pages(account: Account, pages: list[ManagedPage]) -> list[ManagedPage]:
    """What the person may choose among when nothing matches by name: every page with what the
    account's platform needs."""
    if PLATFORM_OF_ACCOUNT.get(account.platform) == "instagram":
        return [page for page in pages if page.instagram_id]
    return list(pages)


def identity_of(account: Account, page: ManagedPage) -> str:
    """The identity a connection of this account to ``page`` has: the page's id, or its Instagram's."""
    return page.instagram_id if PLATFORM_OF_ACCOUNT.get(account.platform) == "instagram" else page.id

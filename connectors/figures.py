"""The platform's figures for a follow-up (KAU-FOLLOWUP), registered in accounts.figures.

Followers from the Graph API with the connection's token (Facebook: ``GET /{page-id}?fields=
followers_count,fan_count``; Instagram: ``GET /{ig-id}?fields=followers_count,media_count``) through
connectors.http (the configured base only); the posts in the period counted from the account's own
publications that came in from the platform. Any failure gives nothing, so that the form is simply
not pre-filled.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings

from connectors import http
from connectors.meta.parse import ID_PATTERN
from connectors.models import Connection, Platform
from moderation.models import Publication

FIELDS: dict[str, str] = {
    Platform.FACEBOOK: "followers_count,fan_count",
    Platform.INSTAGRAM: "followers_count,media_count",
}
TIMEOUT_S = 5.0  # a person waits for the form


def platform_figures(account: Any, start: date, end: date) -> dict[str, int]:
    """Followers and posts in the period, where a live connection with a token allows; else {}."""
    connection = (
        Connection.objects.filter(
            account=account, disconnected_at__isnull=True, health=Connection.Health.ACTIVE
        )
        .exclude(token_encrypted="")
        .order_by("pk")
        .first()
    )
    if (
        connection is None
        or connection.platform not in FIELDS
        or not ID_PATTERN.fullmatch(connection.external_id)
    ):
        return {}
    try:
        response = http.call(
            settings.META_GRAPH_URL,
            "GET",
            f"/{connection.external_id}",
            params={"fields": FIELDS[connection.platform], "access_token": connection.token},
            timeout=TIMEOUT_S,
        )
    except http.CallError:
        return {}
    data = response.json()
    if response.status != 200 or not isinstance(data, dict):
        return {}
    followers = _count(data.get("followers_count"))
    if followers is None and connection.platform == Platform.FACEBOOK:
        followers = _count(data.get("fan_count"))
    if followers is None:
        return {}
    posts = Publication.objects.filter(
        account=account,
        kind=Publication.Kind.POST,
        published_at__date__gte=start,
        published_at__date__lte=end,
    ).count()
    return {"followers": followers, "posts": posts}


def _count(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None

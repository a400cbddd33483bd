"""The YouTube quota as the connection page shows it (templates/connectors/status/youtube.html)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils import timezone

from connectors.models import Connection
from connectors.youtube.api import Quota, quota_of
from connectors.youtube.auth import refreshing

register = template.Library()


@register.simple_tag
def youtube_quota(connection: Connection) -> Quota:
    """``{% youtube_quota connection as quota %}``: what the channel spent today, its share, the rest."""
    return quota_of(connection, now=timezone.now())


@register.simple_tag
def youtube_setup() -> dict[str, object]:
    """The installation's side, for the connection page's help: whether reads carry an API key,
    whether it renews access tokens from refresh tokens, the project's quota and the polls' interval
    as it stands."""
    from connectors.youtube import ADAPTER  # the adapter module imports the api module this uses

    return {
        "with_key": bool(settings.YOUTUBE_API_KEY),
        "refreshing": refreshing(),
        "quota": int(settings.YOUTUBE_DAILY_QUOTA),
        "minutes": max(1, round(ADAPTER.interval().total_seconds() / 60)),
    }

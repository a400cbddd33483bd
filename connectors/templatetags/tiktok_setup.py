"""The installation's side of TikTok for the connection page's help (help/tiktok.html)."""

from __future__ import annotations

from django import template

from connectors.tiktok.auth import refreshing

register = template.Library()


@register.simple_tag
def tiktok_setup() -> dict[str, object]:
    """``{% tiktok_setup as setup %}``: whether the installation renews access tokens from refresh
    tokens (TIKTOK_APP_ID and TIKTOK_APP_SECRET are set)."""
    return {"refreshing": refreshing()}

"""System checks of core's settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from core.secrets import check_keys


@checks.register(checks.Tags.security, deploy=True)
def secrets_key_is_set(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The platforms' tokens are encrypted with KANALVAKT_SECRETS_KEY: production needs its own."""
    problem = check_keys(getattr(settings, "KANALVAKT_SECRETS_KEY", "") or "")
    if problem:
        return [
            checks.Error(
                problem,
                hint="Set KANALVAKT_SECRETS_KEY to a Fernet key kept apart from the database's backups.",
                id="kanalvakt.E010",
            )
        ]
    return []

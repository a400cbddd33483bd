"""System checks: a broken profile-guide file is reported by `manage.py check`, not by the first request."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def profile_guide_loads(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from governance.profile_guide import load_guide

    try:
        load_guide()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="kanalvakt.E001", hint="Fix the file or unset PROFILE_GUIDE_PATH.")]
    return []

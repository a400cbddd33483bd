"""Owner, deputies, major changes, absences and daily coverage (KAU-RESP-OWNER, KAU-RESP-DAILY)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def check_coverage(*, now: datetime) -> int:
    raise NotImplementedError


def flag_deactivated_people(*, now: datetime) -> int:
    raise NotImplementedError


def detail_context(account: Any, *, user: Any, now: datetime) -> dict[str, Any]:
    return {}


def todo_gaps(user: Any, now: datetime) -> Any:
    return None

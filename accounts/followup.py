"""Follow-up and closing of accounts (KAU-FOLLOWUP, KAU-CLOSE)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def remind_followups(*, now: datetime) -> int:
    raise NotImplementedError


def detail_context(account: Any, *, user: Any, now: datetime) -> dict[str, Any]:
    return {}


def todo_followups(user: Any, now: datetime) -> Any:
    return None

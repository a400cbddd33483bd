"""What the registry asks of each person, for the start page ("Att göra")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.utils.functional import Promise

from core.todo import TodoSection


def dated_section(
    key: str, title: str | Promise, rows: Sequence[Any], *, template: str, today: date
) -> TodoSection | None:
    """A start-page section of rows that the template dates against ``today``; None when there are no
    rows, so the start page shows no empty heading."""
    if not rows:
        return None
    return TodoSection(key=key, title=title, empty="", template=template, rows=rows, extra={"today": today})

"""The pages measured, in-process: SQL queries per request and p50/p95 through Django's test client.

A page that goes over the query budget, or counts moderation items without a bound, is reported with
the query, never changed here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import User
from moderation.models import Item

QUERY_BUDGET = 8
INBOX_PAGE_SIZE = 50  # moderation.views.PAGE_SIZE: the deepest page holds the oldest items
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A count whose own FROM is the items table (not one that only mentions it in a subquery).
_UNBOUNDED_COUNT = re.compile(r'SELECT COUNT\(\*\)(?: AS "\w+")? FROM "moderation_item"', re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    path: str
    user_id: int | None  # None: the public, signed out


def pages(info: dict[str, Any]) -> list[Page]:
    """The pages of the issue, for the people who use them, and the floor."""
    big, lead, owner = info["big_account"], info["lead"], info["big_owner"]
    return [
        Page("registry", "Registry list", "/konton/", lead),
        Page(
            "registry_filtered",
            "Registry list, filtered",
            f"/konton/?unit={info['filter_unit']}&status=active&flag=any&platform=instagram",
            lead,
        ),
        Page("account", "Account page", f"/konton/{big}/", lead),
        Page("inbox_first", "Inbox, first page", f"/moderering/konto/{big}/", owner),
        Page(
            "inbox_deepest",
            "Inbox, deepest page",
            f"/moderering/konto/{big}/?efter={deepest_key(big)}",
            owner,
        ),
        Page("queue", "My queue", "/moderering/", owner),
        Page("public", "Public list", "/officiella-konton/", None),
        Page("floor", "Floor (session + 1 indexed query)", "/bench/floor/", lead),
    ]


def deepest_key(account_id: int) -> str:
    """The inbox's "next page" key that leads to its last page (the account's oldest items)."""
    row = (
        Item.objects.filter(account_id=account_id)
        .order_by("received_at", "pk")
        .values_list("received_at", "pk")[INBOX_PAGE_SIZE : INBOX_PAGE_SIZE + 1]
    )
    received_at, pk = row[0]
    return f"{(received_at - _EPOCH) // timedelta(microseconds=1)}.{pk}"


class Clients:
    """One signed-in test client per person (and one signed out), reused across pages."""

    def __init__(self) -> None:
        self._clients: dict[int | None, Client] = {}

    def __call__(self, user_id: int | None) -> Client:
        if user_id not in self._clients:
            client = Client()
            if user_id is not None:
                client.force_login(User.objects.get(pk=user_id))
            self._clients[user_id] = client
        return self._clients[user_id]

    def session_cookie(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        return self(user_id).cookies["sessionid"].value


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def measure(page: Page, clients: Clients, *, runs: int = 40, warm: int = 5) -> dict[str, Any]:
    client = clients(page.user_id)
    for _ in range(warm):
        response = client.get(page.path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.path)
    queries = [query["sql"] for query in captured.captured_queries]
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(page.path)
        timings.append((time.perf_counter() - started) * 1000)
    slowest = sorted(captured.captured_queries, key=lambda q: float(q.get("time") or 0), reverse=True)[:3]
    return {
        "label": page.label,
        "path": page.path,
        "status": response.status_code,
        "bytes": len(response.content),
        "queries": len(queries),
        "unbounded_item_counts": [sql for sql in queries if _UNBOUNDED_COUNT.search(sql)],
        "slowest_queries": [{"ms": float(q.get("time") or 0) * 1000, "sql": q["sql"][:400]} for q in slowest],
        # Over the budget of 8: every query, shortened, to say which ones.
        "all_queries": [sql[:160] for sql in queries] if len(queries) > QUERY_BUDGET else [],
        "p50_ms": round(_percentile(timings, 0.50), 1),
        "p95_ms": round(_percentile(timings, 0.95), 1),
        "runs": runs,
    }


def profile(name: str, action: Callable[[], object], folder: Path, *, repeat: int = 10) -> list[str]:
    """Profile ``action`` with pyinstrument; keep the HTML in ``folder`` and return the top frames."""
    from pyinstrument import Profiler

    folder.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(repeat):
        action()
    profiler.stop()
    (folder / f"{name}.html").write_text(profiler.output_html(), encoding="utf-8")
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    # The frames only: pyinstrument's banner and its "Profile at <path>" line come first.
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith("Profile at")), 0)
    return lines[start : start + 30]

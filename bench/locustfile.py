"""The HTTP load (locust, headless), started by bench/run.py against gunicorn on loopback.

BENCH_LOCUST_CONFIG names a JSON file: the pages ({key, path, cookie, weight}), the think time in
seconds ([min, max]; [0, 0] saturates) and, optionally, the one page to request.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from locust import HttpUser, between, constant, task

_CONFIG: dict[str, Any] = json.loads(open(os.environ["BENCH_LOCUST_CONFIG"], encoding="utf-8").read())  # noqa: SIM115
_ONLY = _CONFIG.get("only") or ""
_PAGES = [page for page in _CONFIG["pages"] if not _ONLY or page["key"] == _ONLY]
_WEIGHTS = [1 if _ONLY else page["weight"] for page in _PAGES]
_THINK = _CONFIG["think"]


class Person(HttpUser):
    """Someone at work in Kanalvakt: opens a page, reads it, opens the next."""

    wait_time = between(*_THINK) if _THINK[1] > 0 else constant(0)

    @task
    def open_a_page(self) -> None:
        page = random.choices(_PAGES, weights=_WEIGHTS)[0]  # noqa: S311 - a traffic mix, not a secret
        headers = {"Cookie": f"sessionid={page['cookie']}"} if page["cookie"] else {}
        with self.client.get(
            page["path"], headers=headers, name=page["key"], allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

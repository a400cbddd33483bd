"""A fuzz run of the connector API from its own OpenAPI schema (schemathesis): cases that fit the schema
and cases that do not, sent with a valid token through Django's test client, in this process and on
the test database. No answer may be a server error (KAU-RESPONSE-DEADLINE: a connector that gets a 500
cannot tell whether its item arrived). Bounded: a few hundred cases, well under a minute.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from schemathesis.generation.modes import GenerationMode

from accounts.models import Account
from moderation import tokens
from moderation.api.views import ConnectorThrottle
from tests.conftest import Cast
from tests.moderation.conftest import NOW

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION_AND_MODE = 75  # two operations, two modes: 300 cases
TIME_BUDGET = 60.0


def _send(api: APIClient, case: Any) -> Any:
    path = case.formatted_path
    query = case.query or {}
    headers: dict[str, Any] = {
        f"HTTP_{name.upper().replace('-', '_')}": str(value)
        for name, value in (case.headers or {}).items()
        if name.lower() not in {"authorization", "content-type", "content-length", "host"}
    }
    if case.method.upper() == "GET":
        return api.get(path, query, **headers)
    body = case.body
    data: Any = json.dumps(body) if not isinstance(body, bytes | str) else body
    if body.__class__.__name__ == "NotSet":
        data = ""
    return api.generic(case.method.upper(), path, data, content_type="application/json", **headers)


def test_the_api_answers_every_fuzzed_request_without_a_server_error(
    cast: Cast, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fuzz is not a runaway connector: the limit is tested in test_api_security.py.
    monkeypatch.setattr(ConnectorThrottle, "THROTTLE_RATES", {"connector": "100000/min"})
    _token, secret = tokens.issue_token(
        name="Fuzz", accounts=[account], by=cast["social_media_lead"], now=NOW
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    raw = api.get("/api/schema/", {"format": "json"})
    assert raw.status_code == 200
    schema = schemathesis.openapi.from_dict(raw.json())
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert {op.label for op in operations} >= {
        "POST /api/v1/accounts/{account_id}/items/",
        "GET /api/v1/accounts/{account_id}/items/{item_id}/",
    }
    counter = itertools.count(1)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis_settings(
                max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                # Two cases in three go to the token's own account, so that the body is read at all.
                if next(counter) % 3 and isinstance(case.path_parameters, dict):
                    case.path_parameters["account_id"] = account.pk
                response = _send(api, case)
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} {case.body!r}")

            run()
    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    print(f"\nfuzzed {total} requests in {elapsed:.1f} s: {dict(sorted(statuses.items()))}")
    assert failures == []
    assert total >= 200  # the run did reach the API, a few hundred times
    assert statuses[201] + statuses[200] > 0  # and some cases were good enough to be stored
    assert statuses[400] > 0  # and some were refused by name
    assert elapsed < TIME_BUDGET

"""The connector API's defences: tokens kept only as hashes and revocable, a token scoped to its
accounts (another account's items can be neither read nor written), and a rate limit counted in the
shared cache, so that it holds across processes: Redis (CACHE_URL=redis://…) and the file cache of
one machine, each proved with a second Python process. Should Redis be down, connectors are let
through rather than refused.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Account
from moderation import tokens
from moderation.api.views import ConnectorThrottle
from moderation.models import ApiToken, Item, LogEntry
from tests.conftest import REDIS_URL, Cast
from tests.moderation.conftest import NOW
from tests.support import run_project

BASE_DIR = Path(django_settings.BASE_DIR)
BODY = {
    "platform_id": "ig-1",
    "kind": "comment",
    "author": "@besokare",
    "text": "Hej!",
    "received_at": "2026-11-24T10:00:00+01:00",
}


def client_for(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def items_url(account: Account) -> str:
    return f"/api/v1/accounts/{account.pk}/items/"


@dataclass
class Scopes:
    """Two accounts, each with a token of its own: A for mine, B for theirs."""

    mine: Account
    theirs: Account
    token_a: ApiToken
    secret_a: str
    token_b: ApiToken
    secret_b: str


@pytest.fixture
def scopes(cast: Cast, make_account: Any) -> Scopes:
    mine, theirs = make_account(), make_account()
    token_a, secret_a = tokens.issue_token(name="A", accounts=[mine], by=cast["social_media_lead"], now=NOW)
    token_b, secret_b = tokens.issue_token(name="B", accounts=[theirs], by=cast["social_media_lead"], now=NOW)
    return Scopes(mine, theirs, token_a, secret_a, token_b, secret_b)


# --- Tokens: hashed, revocable ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_column_of_the_token_table_holds_the_secret(cast: Cast, account: Account) -> None:
    token, secret = tokens.issue_token(name="K", accounts=[account], by=cast["social_media_lead"], now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM moderation_apitoken WHERE id = %s", [token.pk])
        row = cursor.fetchone()
    assert row is not None
    assert all(secret not in str(value) for value in row)
    assert ApiToken.objects.get(pk=token.pk).secret_hash == tokens.hash_secret(secret)
    # The hash alone is no key.
    assert client_for(token.secret_hash).get(f"{items_url(account)}1/").status_code == 401


@pytest.mark.django_db
def test_a_revoked_token_is_refused_from_its_next_request(cast: Cast, account: Account) -> None:
    token, secret = tokens.issue_token(name="K", accounts=[account], by=cast["social_media_lead"], now=NOW)
    api = client_for(secret)
    assert api.get(f"{items_url(account)}999999/").status_code == 404  # accepted, nothing there
    tokens.revoke_token(token, by=cast["social_media_lead"], now=NOW)
    refused = api.post(items_url(account), BODY, format="json")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert not Item.objects.exists()


# --- Scope: a token for account A cannot read or write account B ------------------------------------------


@pytest.mark.django_db
def test_a_token_for_one_account_cannot_write_another(scopes: Scopes) -> None:
    response = client_for(scopes.secret_a).post(items_url(scopes.theirs), BODY, format="json")
    assert response.status_code == 403
    assert not Item.objects.exists()
    assert not LogEntry.objects.exists()


@pytest.mark.django_db
def test_a_token_for_one_account_cannot_read_another(scopes: Scopes) -> None:
    created = client_for(scopes.secret_b).post(items_url(scopes.theirs), BODY, format="json")
    assert created.status_code == 201
    their_item = created.json()["id"]
    api = client_for(scopes.secret_a)
    # Through the other account's path: the token may not read it.
    assert api.get(f"{items_url(scopes.theirs)}{their_item}/").status_code == 403
    # Through the token's own account's path: that account has no such item.
    through_mine = api.get(f"{items_url(scopes.mine)}{their_item}/")
    assert through_mine.status_code == 404
    assert "Hej" not in through_mine.content.decode()


@pytest.mark.django_db
def test_a_revoked_account_grant_is_not_widened_by_another_token(cast: Cast, scopes: Scopes) -> None:
    """Two tokens of one connector stay two scopes: a valid token for A never reaches B."""
    tokens.revoke_token(scopes.token_b, by=cast["social_media_lead"], now=NOW)
    assert client_for(scopes.secret_a).post(items_url(scopes.theirs), BODY, format="json").status_code == 403


# --- The rate limit holds across processes -----------------------------------------------------------------

# A day's window: a minute's could turn over in the middle of the test and start the count again.
RATE = "6/day"

_SECOND_PROCESS = """
import json, os, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from rest_framework.test import APIClient
client = APIClient()
client.credentials(HTTP_AUTHORIZATION="Bearer " + os.environ["KANALVAKT_TEST_TOKEN"])
print(json.dumps([client.get(sys.argv[1]).status_code for _ in range(int(sys.argv[2]))]))
"""


def _database_url() -> str:
    """The test database, as the second process must name it: SQLite's test file, or PostgreSQL's
    test database."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def _second_process(url: str, count: int, *, cache_url: str, secret: str) -> list[int]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "CACHE_URL": cache_url,
        "API_RATE_LIMIT": RATE,
        "KANALVAKT_TEST_TOKEN": secret,
        "LOG_LEVEL": "ERROR",
    }
    done = run_project(["-c", _SECOND_PROCESS, url, str(count)], env, cwd=BASE_DIR, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def _cache_setting(cache_url: str) -> dict[str, Any]:
    if cache_url.startswith("redis://"):
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": cache_url}
        return {"default": {**backend, "KEY_PREFIX": "kanalvakt"}}
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": cache_url.removeprefix("file://"),
        }
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", [pytest.param("redis", marks=pytest.mark.redis), "file"])
def test_the_limit_is_shared_by_two_processes(
    cast: Cast,
    account: Account,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    backend: str,
) -> None:
    cache_url = REDIS_URL if backend == "redis" else f"file://{tmp_path / 'cache'}"
    settings.CACHES = _cache_setting(cache_url)
    monkeypatch.setattr(ConnectorThrottle, "THROTTLE_RATES", {"connector": RATE})
    _token, secret = tokens.issue_token(name="K", accounts=[account], by=cast["social_media_lead"], now=NOW)
    url = f"{items_url(account)}999999/"
    api = client_for(secret)
    here = [api.get(url).status_code for _ in range(3)]
    there = _second_process(url, 4, cache_url=cache_url, secret=secret)
    after = api.get(url)
    # Six in the day between both processes; the seventh is refused wherever it comes from.
    assert here == [404, 404, 404]
    assert there == [404, 404, 404, 429]
    assert after.status_code == 429
    assert int(after["Retry-After"]) > 0


@pytest.mark.django_db
def test_the_limit_is_per_token(
    cast: Cast, account: Account, settings: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    settings.CACHES = _cache_setting(f"file://{tmp_path / 'cache'}")
    monkeypatch.setattr(ConnectorThrottle, "THROTTLE_RATES", {"connector": "2/day"})
    url = f"{items_url(account)}999999/"
    busy = client_for(tokens.issue_token(name="A", accounts=[account], by=None, now=NOW)[1])
    quiet = client_for(tokens.issue_token(name="B", accounts=[account], by=None, now=NOW)[1])
    assert [busy.get(url).status_code for _ in range(3)] == [404, 404, 429]
    assert quiet.get(url).status_code == 404


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db
def test_connectors_are_let_through_while_the_cache_is_down(
    cast: Cast, account: Account, settings: Any, monkeypatch: Any
) -> None:
    settings.CACHES = _cache_setting(f"redis://127.0.0.1:{_closed_port()}/0")
    monkeypatch.setattr(ConnectorThrottle, "THROTTLE_RATES", {"connector": "1/day"})
    api = client_for(tokens.issue_token(name="K", accounts=[account], by=None, now=NOW)[1])
    assert [api.post(items_url(account), BODY, format="json").status_code for _ in range(2)] == [201, 200]

"""A capture costs a browser for seconds, so asking for one costs the asker (KAU-STARTPAGE,
KAU-DIARY-ACTION captures): a person, and everyone together on one account, may ask for only so many
(CAPTURE_RATE_PER_PERSON, CAPTURE_RATE_PER_ACCOUNT, counted in the shared cache); the same page (an
item, an account's start page) is captured once at a time, by anyone, the daily job included. A
refused request starts nothing and stores nothing; the views say why (429 with Retry-After, 409).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Account
from archive import services
from archive.models import CaptureAttempt
from archive.startpage import check_startpages
from tests.archive.screenshot_support import NOW, account, make_item, media_root, nothing_stored
from tests.conftest import REDIS_URL, Cast
from tests.core.test_settings import run_python
from tests.support import run_in_threads

__all__ = ["account", "make_item", "media_root"]

# Refused at once by the outbound rule (core.outbound), so no browser is started: these tests are about
# what comes before a capture.
URL = "http://10.0.0.1/"


@pytest.fixture(autouse=True)
def _rates(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CAPTURE_RATE_PER_PERSON = "2/min"
    settings.CAPTURE_RATE_PER_ACCOUNT = "3/hour"
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []
    # The views' clock: every request of a test falls in the same window.
    for view in ("archive.screenshot_views", "archive.startpage_views"):
        monkeypatch.setattr(f"{view}.timezone", SimpleNamespace(now=lambda: NOW))


def ask(account: Any, person: Any, *, item: Any = None, purpose: str = "item", now: Any = NOW) -> str:
    """ "started" when the capture was started (whatever its outcome), else the refusal's code."""
    try:
        with translation.override("en"):
            services.capture_screenshot(
                account, url=URL, purpose=purpose, by=person, now=now, item=item, timeout_ms=3000
            )
    except services.CaptureRefused as refused:
        return refused.code
    return "started"


def in_english(client: Client, person: Any) -> Client:
    client.force_login(person)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def said(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Rates -------------------------------------------------------------------------------------------------


def test_a_person_may_ask_for_only_so_many_captures(
    settings: Any, account: Any, cast: Cast, make_item: Any, media_root: Path
) -> None:
    settings.CAPTURE_RATE_PER_ACCOUNT = "100/hour"
    item = make_item(url=URL)
    assert [ask(account, cast["deputy"], item=item) for _ in range(3)] == ["started", "started", "rate"]
    assert CaptureAttempt.objects.filter(requested_by=cast["deputy"]).count() == 2
    # Another person is counted on their own, and the next minute is a new count.
    assert ask(account, cast["communicator"], item=item) == "started"
    assert ask(account, cast["deputy"], item=item, now=NOW + timedelta(minutes=1)) == "started"
    assert nothing_stored(media_root)


def test_an_account_may_be_captured_only_so_often_whoever_asks(
    account: Any, cast: Cast, make_item: Any
) -> None:
    """Three in an hour on the account, by two people; the fourth is refused, though neither person has
    reached their own rate. The daily start-page job (no person) is not counted and not held back."""
    item = make_item(url=URL)
    asked = [
        ask(account, cast["deputy"], item=item),
        ask(account, cast["communicator"], item=item),
        ask(account, cast["deputy"], item=item, now=NOW + timedelta(minutes=1)),
        ask(account, cast["communicator"], item=item, now=NOW + timedelta(minutes=2)),
    ]
    assert asked == ["started", "started", "started", "rate"]
    assert ask(account, None, purpose="startpage", now=NOW + timedelta(minutes=3)) == "started"
    assert CaptureAttempt.objects.count() == 4


def test_the_item_view_answers_429_with_retry_after_and_stores_nothing(
    client: Client, cast: Cast, make_item: Any, media_root: Path
) -> None:
    item = make_item(url=URL)
    client = in_english(client, cast["deputy"])
    capture = reverse("archive:item_capture", args=[item.pk])
    statuses = [client.post(capture).status_code for _ in range(2)]
    refused = client.post(capture)
    assert statuses == [302, 302]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert any("at most 2 captures per minute" in text for text in said(refused))
    assert "Upload a screenshot" in refused.content.decode()  # the way on: upload one instead
    assert CaptureAttempt.objects.count() == 2
    assert nothing_stored(media_root)


def test_the_start_page_view_answers_429_and_stores_nothing(
    client: Client, cast: Cast, account: Account
) -> None:
    Account.objects.filter(pk=account.pk).update(url=URL)
    client = in_english(client, cast["deputy"])
    capture = reverse("archive:startpage_capture", args=[account.pk])
    assert [client.post(capture).status_code for _ in range(3)] == [302, 302, 429]
    assert CaptureAttempt.objects.count() == 2


@pytest.mark.redis
def test_the_rate_is_counted_in_the_shared_cache_across_processes(settings: Any, tmp_path: Path) -> None:
    """Two captures counted by another process, then this one's is the third of a rate of two."""
    from core import ratelimit

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kanalvakt",
        }
    }
    key = f"capture:person:{uuid.uuid4().hex}"
    code = (
        "import django; django.setup(); from datetime import datetime, UTC; from core import ratelimit; "
        f"now = datetime.fromisoformat({NOW.isoformat()!r}); "
        f"print([ratelimit.hit({key!r}, ratelimit.Rate(2, 60), now=now) for _ in range(2)])"
    )
    there = run_python(code, {"CACHE_URL": REDIS_URL}, tmp_path)
    assert there.returncode == 0, there.stderr
    assert there.stdout.strip() == "[None, None]"
    assert ratelimit.hit(key, ratelimit.Rate(2, 60), now=NOW) == 60 - NOW.second


# --- Once at a time ----------------------------------------------------------------------------------------


def running(item: Any, cast: Cast, *, since: timedelta) -> CaptureAttempt:
    """A capture of ``item`` that started ``since`` before NOW and has not finished."""
    return CaptureAttempt.objects.create(
        account=item.account,
        item=item,
        purpose="item",
        url=URL,
        requested_by=cast["communicator"],
        started_at=NOW - since,
    )


def test_an_item_being_captured_is_not_captured_again_meanwhile(
    client: Client, cast: Cast, make_item: Any, media_root: Path
) -> None:
    item = make_item(url=URL)
    running(item, cast, since=timedelta(seconds=5))
    response = in_english(client, cast["deputy"]).post(reverse("archive:item_capture", args=[item.pk]))
    assert response.status_code == 409
    assert any("being captured right now" in text for text in said(response))
    assert CaptureAttempt.objects.count() == 1
    assert nothing_stored(media_root)
    # Another item of the same account is not held up.
    other = make_item(url=URL)
    assert client.post(reverse("archive:item_capture", args=[other.pk])).status_code == 302
    assert CaptureAttempt.objects.filter(item=other).count() == 1


def test_a_capture_left_pending_by_a_stopped_process_does_not_block_the_next(
    cast: Cast, make_item: Any, account: Any
) -> None:
    item = make_item(url=URL)
    stale = running(item, cast, since=timedelta(minutes=10))
    assert ask(account, cast["deputy"], item=item) == "started"
    stale.refresh_from_db()
    assert stale.outcome == CaptureAttempt.Outcome.FAILED
    assert "did not finish" in stale.error
    assert CaptureAttempt.objects.filter(item=item).count() == 2


def test_the_daily_job_waits_for_a_start_page_capture_that_runs(cast: Cast, account: Account) -> None:
    """KAU-STARTPAGE: the job is not held back by people's rates, but it keeps to one capture at a time."""
    Account.objects.filter(pk=account.pk).update(url=URL, capture_start_page=True)
    CaptureAttempt.objects.create(
        account=account, purpose="startpage", url=URL, requested_by=cast["deputy"], started_at=NOW
    )
    check_startpages(now=NOW + timedelta(seconds=5))
    assert CaptureAttempt.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_asking_at_once_start_one_capture(cast: Cast, make_item: Any) -> None:
    """Eight connections begin the same item's capture at the same moment: the database lets one in."""
    item = make_item(url=URL)

    def begin() -> str:
        try:
            services._begin_capture(
                item.account, url=URL, purpose="item", by=None, now=NOW, item=item, timeout_ms=3000
            )
        except services.CaptureRefused as refused:
            return refused.code
        return "started"

    outcomes = run_in_threads(*[begin] * 8)
    assert sorted(outcomes) == ["running"] * 7 + ["started"]
    assert CaptureAttempt.objects.filter(item=item, outcome="pending").count() == 1

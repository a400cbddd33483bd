"""The deadline sweep (KAU-RESPONSE-DEADLINE): each reminder and escalation is sent once, by a plain
function with ``now`` passed in, by two sweeps at once, and by a real Celery worker on Redis."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.calendar import STOCKHOLM, response_deadlines
from core.models import Notification
from moderation import services, sweep
from moderation.models import Alert, Item, LogEntry
from tests.conftest import REDIS_URL, Cast
from tests.core.test_worker import client, worker
from tests.moderation.conftest import NOW

WEDNESDAY_0800 = datetime(2026, 11, 25, 8, 0, tzinfo=STOCKHOLM)  # due Thursday 08:00, limit Friday 08:00
MONDAY_1000 = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)  # due Tuesday 10:00, limit Wednesday 10:00
FRIDAY_0900 = datetime(2026, 11, 27, 9, 0, tzinfo=STOCKHOLM)


@pytest.fixture(params=["python", pytest.param("database", marks=pytest.mark.postgres)])
def sweep_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test over both writers of a batch: the bulk inserts in Python (SQLite, and PostgreSQL on
    request) and the one statement on PostgreSQL (moderation.sweep_sql)."""
    set_based = request.param == "database"
    original = sweep.sweep_deadlines
    monkeypatch.setattr(
        sweep, "sweep_deadlines", lambda **kwargs: original(**{"set_based": set_based, **kwargs})
    )
    return str(request.param)


def alerts_of(item: Item) -> list[str]:
    return sorted(item.alerts.values_list("kind", flat=True))


def emails(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("email", flat=True))


@pytest.mark.usefixtures("sweep_path")
def test_an_item_past_due_reminds_the_owner_and_deputies_once_kau_response_deadline(
    cast: Cast, make_item: Any
) -> None:
    item = make_item(received_at=WEDNESDAY_0800)
    assert sweep.sweep_deadlines(now=NOW) == 1
    item.refresh_from_db()
    assert alerts_of(item) == [Alert.Kind.DUE]
    assert item.alerts.get().target == Alert.Target.OWNERS
    assert emails("item_due") == ["communicator@example.se", "deputy@example.se"]
    assert item.log.filter(action=LogEntry.Action.REMINDED, actor=None, at=NOW).count() == 1
    assert item.alert_after == item.limit_at  # next: the escalation
    # A second run, and a run a minute later, find nothing to do.
    assert sweep.sweep_deadlines(now=NOW) == 0
    assert sweep.sweep_deadlines(now=NOW + timedelta(minutes=1)) == 0
    assert Notification.objects.count() == 2
    assert item.log.count() == 2


@pytest.mark.usefixtures("sweep_path")
def test_an_item_past_the_limit_escalates_once_to_the_head_and_the_lead_kau_response_deadline(
    cast: Cast, make_item: Any
) -> None:
    item = make_item(received_at=WEDNESDAY_0800)
    sweep.sweep_deadlines(now=NOW)
    assert sweep.sweep_deadlines(now=FRIDAY_0900) == 1
    item.refresh_from_db()
    assert alerts_of(item) == [Alert.Kind.DUE, Alert.Kind.LIMIT]
    assert item.alerts.get(kind=Alert.Kind.LIMIT).target == Alert.Target.HEAD_AND_LEAD
    assert emails("item_limit") == ["head_of_unit@example.se", "social_media_lead@example.se"]
    assert item.log.filter(action=LogEntry.Action.LIMIT_PASSED).count() == 1
    assert item.alert_after is None  # nothing more to send: out of the sweep's index
    assert sweep.sweep_deadlines(now=FRIDAY_0900 + timedelta(days=7)) == 0
    assert Notification.objects.filter(kind="item_limit").count() == 2


@pytest.mark.usefixtures("sweep_path")
def test_an_item_first_swept_after_its_limit_gets_both_once(cast: Cast, make_item: Any) -> None:
    item = make_item(received_at=MONDAY_1000)
    assert sweep.sweep_deadlines(now=NOW) == 1
    assert alerts_of(item) == [Alert.Kind.DUE, Alert.Kind.LIMIT]
    assert list(item.log.values_list("action", flat=True)) == ["logged", "reminded", "limit_passed"]
    assert sweep.sweep_deadlines(now=NOW) == 0
    assert Notification.objects.count() == 4


@pytest.mark.usefixtures("sweep_path")
def test_an_item_answered_before_its_deadline_gets_nothing(cast: Cast, make_item: Any) -> None:
    item = make_item(received_at=WEDNESDAY_0800, now=WEDNESDAY_0800 + timedelta(minutes=10))
    services.answer_item(
        item, answer="Svar", by=cast["communicator"], now=WEDNESDAY_0800 + timedelta(hours=2)
    )
    assert sweep.sweep_deadlines(now=NOW + timedelta(days=7)) == 0
    assert not Alert.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.usefixtures("sweep_path")
def test_an_item_answered_after_the_reminder_is_not_escalated(cast: Cast, make_item: Any) -> None:
    item = make_item(received_at=WEDNESDAY_0800)
    sweep.sweep_deadlines(now=NOW)
    services.answer_item(item, answer="Svar", by=cast["deputy"], now=NOW + timedelta(hours=1))
    assert sweep.sweep_deadlines(now=FRIDAY_0900) == 0
    assert alerts_of(item) == [Alert.Kind.DUE]


@pytest.mark.usefixtures("sweep_path")
def test_an_item_not_yet_due_is_left_alone(cast: Cast, make_item: Any) -> None:
    item = make_item()
    assert sweep.sweep_deadlines(now=NOW) == 0
    item.refresh_from_db()
    assert item.alert_after == item.due_at
    assert not Alert.objects.exists()


@pytest.mark.usefixtures("sweep_path")
def test_an_item_closed_or_removed_is_out_of_the_sweep(cast: Cast, make_item: Any) -> None:
    closed = make_item(received_at=MONDAY_1000)
    services.close_item(closed, reason="Ett tack", by=cast["communicator"], now=NOW - timedelta(days=3))
    assert sweep.sweep_deadlines(now=NOW) == 0
    assert not Alert.objects.exists()


@pytest.mark.usefixtures("sweep_path")
def test_the_sweep_works_in_batches_and_sends_each_once(cast: Cast, make_item: Any) -> None:
    items = [make_item(received_at=MONDAY_1000) for _ in range(5)]
    assert sweep.sweep_deadlines(now=NOW, batch=2) == 5
    assert sweep.sweep_deadlines(now=NOW, batch=2) == 0
    assert Counter(Alert.objects.values_list("item_id", "kind")) == Counter(
        {(item.pk, kind): 1 for item in items for kind in ("due", "limit")}
    )


@pytest.mark.usefixtures("sweep_path")
def test_the_routing_alerts_are_not_sent_again_by_the_sweep(cast: Cast, make_item: Any) -> None:
    item = make_item(received_at=MONDAY_1000, triage=services.Triage(threat=True))
    sweep.sweep_deadlines(now=NOW)
    assert alerts_of(item) == [Alert.Kind.DUE, Alert.Kind.LIMIT, Alert.Kind.THREAT]
    assert Notification.objects.filter(kind="item_threat").count() == 2


# --- Queries ------------------------------------------------------------------------------------------

# Per batch, written in bulk: its savepoint (2), the claim, the deputies, the alerts already sent, the
# alerts, the log entries, the e-mails already sent (one read of their keys), the reminded people's
# choices of digest (core.digests; escalations are always sent at once) and the outbox's rows, and the
# next reminder times (one update per kind of next moment); for escalations also the heads of the
# units and the social media leads; then the empty claim that ends the run. Nothing per item or per
# account.
DUE_QUERIES = 2 + 9 + 3
LIMIT_QUERIES = DUE_QUERIES + 2


def _queries_per_batch(
    make_account: Any, make_item: Any, received_at: datetime, sizes: tuple[int, int], *, set_based: bool
) -> tuple[dict[int, int], CaptureQueriesContext]:
    """Sweeps a batch of each size in turn, a minute apart, over accounts in two units; each sweep must
    handle its whole batch. The queries each took, by size, and the last sweep's queries."""
    counts = {}
    for minutes, size in enumerate(sizes):
        now = NOW + timedelta(minutes=minutes)
        for number in range(size):
            on = make_account(
                unit="other" if number % 2 else "department", owner="deputy", deputies=("communicator",)
            )
            make_item(on, received_at=received_at, now=now)
        with CaptureQueriesContext(connection) as queries:
            assert sweep.sweep_deadlines(now=now, set_based=set_based) == size
        counts[size] = len(queries)
    return counts, queries


@pytest.mark.parametrize(
    ("received_at", "expected"),
    [(WEDNESDAY_0800, DUE_QUERIES), (MONDAY_1000, LIMIT_QUERIES)],
    ids=["due", "limit"],
)
def test_a_batch_costs_the_same_queries_at_any_size(
    cast: Cast, make_account: Any, make_item: Any, received_at: datetime, expected: int
) -> None:
    """Pinned at two sizes, over several accounts and units: no query per item or per account."""
    counts, queries = _queries_per_batch(make_account, make_item, received_at, (3, 12), set_based=False)
    assert counts == {3: expected, 12: expected}, [q["sql"][:80] for q in queries.captured_queries]


# On PostgreSQL: the savepoint (2), the claim, the leads, the institution's calendar for the digest
# times (once per run), the accounts, their heads, the one statement that writes alerts, log entries
# and e-mails, and the update of the next reminder times; then the empty claim that ends the run.
SET_BASED_QUERIES = 2 + 7 + 3


@pytest.mark.postgres
@pytest.mark.parametrize("received_at", [WEDNESDAY_0800, MONDAY_1000], ids=["due", "limit"])
def test_the_set_based_batch_costs_the_same_queries_at_any_size(
    cast: Cast, make_account: Any, make_item: Any, received_at: datetime
) -> None:
    counts, _queries = _queries_per_batch(make_account, make_item, received_at, (3, 40), set_based=True)
    assert counts == {3: SET_BASED_QUERIES, 40: SET_BASED_QUERIES}


def _written() -> dict[str, Any]:
    """Everything a sweep writes, without the rows' own ids."""
    return {
        "alerts": sorted(
            Alert.objects.values_list(
                "item_id", "kind", "target", "head_id", "created_at", "created_by_id", "note"
            )
        ),
        "log": sorted(
            (item_id, action, actor, at, note, str(before), str(after))
            for item_id, action, actor, at, note, before, after in LogEntry.objects.values_list(
                "item_id", "action", "actor_id", "at", "note", "before", "after"
            )
        ),
        "emails": sorted(
            Notification.objects.values_list(
                "key",
                "recipient_id",
                "email",
                "subject",
                "body",
                "url",
                "kind",
                "attachments",
                "attempts",
                "digest_at",
            )
        ),
        "next": sorted(Item.objects.values_list("pk", "alert_after")),
    }


@pytest.mark.postgres
def test_the_database_writes_exactly_what_the_python_batch_writes(
    cast: Cast, make_account: Any, make_item: Any
) -> None:
    """moderation.sweep_sql and moderation.sweep._sweep_batch are two writers of the same batch:
    the same alerts, log entries, e-mails (subject and body, byte for byte, in Swedish) and next
    reminder times, over items of every shape the e-mails must handle."""
    from django.db import transaction

    from core.models import User

    cast["communications"].email = " COMMUNICATOR@example.se "  # the owner's mailbox: told once
    cast["communications"].save()
    gone = User.objects.create_user(username="gone", email="gone@example.se", is_active=False)
    no_mail = User.objects.create_user(username="nomail", email=" ", first_name="Utan", last_name="Post")
    plain = make_account()
    odd = make_account(
        unit="other",
        platform="other",
        platform_other="Mastodon",
        name='Konto "100 %" & <co>',
        deputies=("deputy", "communications"),
    )
    odd.deputies.add(gone, no_mail)
    long_text = "Ett långt inlägg med 50 % rabatt, %s och %(x)s, 'citat' och \\ snedstreck.\n" * 8
    make_item(plain, received_at=MONDAY_1000)  # due and limit at once
    make_item(plain, received_at=WEDNESDAY_0800, kind="post")  # due only
    make_item(odd, received_at=MONDAY_1000, text=long_text, author="Ångström 👩‍🔬")
    make_item(odd, received_at=WEDNESDAY_0800, kind="message", text="x" * 300)
    make_item(odd, received_at=MONDAY_1000, text="y" * 301, triage=services.Triage(prohibited=[3, 1]))
    make_item(plain, received_at=NOW - timedelta(hours=1))  # not due
    # Tuesday noon: the items of Monday have had their reminder; at NOW they escalate, and the items
    # of Wednesday have theirs.
    assert sweep.sweep_deadlines(now=MONDAY_1000 + timedelta(hours=26), set_based=False) == 3
    before = _written()

    savepoint = transaction.savepoint()
    assert sweep.sweep_deadlines(now=NOW, set_based=False) == 5
    python = _written()
    transaction.savepoint_rollback(savepoint)
    assert _written() == before
    assert sweep.sweep_deadlines(now=NOW, set_based=True) == 5
    database = _written()

    assert python != before
    assert python == database
    bodies = [row[4] for row in database["emails"]]
    assert any("Mastodon" in body and '"100 %"' in body for body in bodies)
    assert any(body.count("y") >= 299 and "y…»" in body for body in bodies)
    assert not any(row[2] in {"gone@example.se", " "} for row in database["emails"])


def test_the_set_based_sweep_names_the_models_values() -> None:
    """The SQL spells the kinds, targets and actions by value; they must be the models' own."""
    from accounts.models import Platform
    from moderation import sweep_sql

    for value in (
        Alert.Kind.DUE,
        Alert.Kind.LIMIT,
        Alert.Target.OWNERS,
        Alert.Target.HEAD_AND_LEAD,
        LogEntry.Action.REMINDED,
        LogEntry.Action.LIMIT_PASSED,
        Platform.OTHER,
    ):
        assert f"'{value.value}'" in sweep_sql._STATEMENT + sweep_sql._MOVE_ON


@pytest.mark.postgres
def test_the_claim_uses_the_partial_index(cast: Cast, account: Any, make_item: Any) -> None:
    """Thousands of handled items have no alert_after: the planner reads the small partial index."""
    handled = NOW - timedelta(days=30)
    Item.objects.bulk_create(
        Item(
            account=account,
            kind=Item.Kind.COMMENT,
            author="@gammal",
            text="Besvarad för länge sedan",
            received_at=handled,
            due_at=handled,
            limit_at=handled,
            status=Item.Status.ANSWERED,
            answer="Svar",
            handled_at=handled,
            alert_after=None,
        )
        for _ in range(4000)
    )
    for _ in range(5):
        make_item(received_at=WEDNESDAY_0800)
    from moderation import sweep_sql

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE moderation_item")
        for queryset in (
            sweep.claimable(NOW)[: sweep.SWEEP_BATCH],
            sweep_sql.claimable(NOW)[: sweep.SET_BASED_BATCH],
        ):
            sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "item_alert_after_idx" in plan, plan
            assert "SKIP LOCKED" in sql


# --- Two sweeps at once -------------------------------------------------------------------------------


def _due_items(make_item: Any, count: int) -> list[Item]:
    return [make_item(received_at=MONDAY_1000) for _ in range(count)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_and_escalation_once(cast: Cast, make_item: Any) -> None:
    items = _due_items(make_item, 300)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run_sweep() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(sweep.sweep_deadlines(now=NOW, batch=40))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(results) == 300  # every item claimed by exactly one of the two
    assert Counter(Alert.objects.values_list("item_id", "kind")) == Counter(
        {(item.pk, kind): 1 for item in items for kind in ("due", "limit")}
    )
    # Owner and deputy for the reminder, head and lead for the escalation.
    assert Notification.objects.filter(kind="item_due").count() == 600
    assert Notification.objects.filter(kind="item_limit").count() == 600
    assert LogEntry.objects.filter(action=LogEntry.Action.REMINDED).count() == 300
    assert sweep.sweep_deadlines(now=NOW) == 0


# --- A real worker on Redis ---------------------------------------------------------------------------


def _received_for(now: datetime, *, past_limit: bool) -> datetime:
    """A time received such that, at ``now`` and for the next few minutes, the item is past due but
    not past its limit, or past its limit: found on the calendar, whatever day the test runs."""
    received = now - timedelta(hours=1)
    for _ in range(24 * 30):
        due, limit = response_deadlines(received)
        if past_limit and limit <= now:
            return received
        if not past_limit and due <= now and limit > now + timedelta(minutes=10):
            return received
        received -= timedelta(hours=1)
    raise AssertionError("no such time in the last 30 days")


def _log_item(account: Any, cast: Cast, received_at: datetime) -> Item:
    return services.log_item(
        account,
        kind=Item.Kind.COMMENT,
        author="@besokare",
        text="När öppnar anmälan?",
        received_at=received_at,
        by=cast["communicator"],
    )


def _wait_for_sweeps(log: Path, count: int, timeout: float = 90.0) -> list[int]:
    """What each finished sweep returned, read from the worker's log once ``count`` have finished."""
    pattern = re.compile(r"moderation\.tasks\.sweep_deadlines\[[^\]]+\] succeeded in [\d.]+s: (\d+)")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [int(n) for n in pattern.findall(log.read_text())]
        if len(done) >= count:
            return done
        time.sleep(0.2)
    raise AssertionError(f"the sweeps did not finish; the worker's log:\n{log.read_text()[-4000:]}")


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_sweeps_each_item_once_and_leaves_the_answered_alone(
    cast: Cast, account: Any, tmp_path: Path
) -> None:
    _flush_redis()
    now = timezone.now()
    overdue = [_log_item(account, cast, _received_for(now, past_limit=False)) for _ in range(3)]
    past_limit = [_log_item(account, cast, _received_for(now, past_limit=True)) for _ in range(3)]
    answered = _log_item(account, cast, now - timedelta(days=20))
    services.answer_item(
        answered, answer="Svar", by=cast["deputy"], now=now, answered_at=answered.received_at
    )
    fresh = _log_item(account, cast, now - timedelta(minutes=1))
    assert Notification.objects.count() == 0

    with worker(REDIS_URL, tmp_path) as process:
        client(REDIS_URL).send_task("moderation.tasks.sweep_deadlines")
        first, *later = _wait_for_sweeps(tmp_path / "worker.log", 1)
        assert first == 6
        assert not any(later)  # a sweep that came later (another run) found nothing left to send
        assert process.poll() is None

    expected = {(item.pk, "due"): 1 for item in overdue + past_limit} | {
        (item.pk, "limit"): 1 for item in past_limit
    }
    assert Counter(Alert.objects.values_list("item_id", "kind")) == Counter(expected)
    assert not answered.alerts.exists()
    assert not fresh.alerts.exists()
    assert Notification.objects.filter(kind="item_due").count() == 12
    assert Notification.objects.filter(kind="item_limit").count() == 6
    assert not Notification.objects.filter(key__startswith=f"item:{answered.pk}:").exists()


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_sent_at_once_to_a_prefork_worker_send_each_once(
    cast: Cast, account: Any, tmp_path: Path
) -> None:
    _flush_redis()
    now = timezone.now()
    items = [_log_item(account, cast, _received_for(now, past_limit=True)) for _ in range(120)]

    with worker(REDIS_URL, tmp_path, "--pool", "prefork", "--concurrency", "2") as process:
        celery = client(REDIS_URL)
        celery.send_task("moderation.tasks.sweep_deadlines")
        celery.send_task("moderation.tasks.sweep_deadlines")
        swept = _wait_for_sweeps(tmp_path / "worker.log", 2)
        assert process.poll() is None

    assert sum(swept) == 120  # each item claimed by one of the two
    assert Counter(Alert.objects.values_list("item_id", "kind")) == Counter(
        {(item.pk, kind): 1 for item in items for kind in ("due", "limit")}
    )
    assert Notification.objects.filter(kind="item_due").count() == 240
    assert Notification.objects.filter(kind="item_limit").count() == 240

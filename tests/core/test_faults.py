"""Faults survived: nothing lost, nothing doubled (KAU-RESPONSE-DEADLINE, KAU-PUBLIC-RECORD).

All deadline and notification state is in PostgreSQL: ``Item.alert_after``, one ``Alert`` per (item,
kind) under a unique constraint, and one ``Notification`` per (event, person) under a unique key,
written in the transaction that changes the state (the outbox). Redis carries only wake-ups. So a
worker killed at any point, a Redis that forgets everything, a PostgreSQL that drops every connection
and two beats at once must each end with every alert written once and every e-mail sent at least
once, with the notification's id as its Message-ID, and at most one e-mail sent twice per kill.

Everything here is real: a Celery worker (and beat) as a subprocess killed with SIGKILL, Redis servers
of the tests' own, gunicorn, PostgreSQL, and a TCP proxy in front of it that goes away. The tests
check what can be seen from outside (rows, e-mails written, ``alert_after``), not how the sweep does
its work.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.schedules import crontab, schedule
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.models import Notification
from moderation import services, sweep, tokens
from moderation.models import Alert, Item, LogEntry
from tests.conftest import Cast
from tests.core import faults_support as support

REAL_SERVICES = (
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
)


def real_services(test: Any) -> Any:
    """The markers of a test that runs the real worker, Redis and PostgreSQL, committing for real."""
    for mark in REAL_SERVICES:
        test = mark(test)
    return test


KILLS = 20
# Items past their outer limit: each is due + limit = 2 alerts and 4 e-mails. The kill test's backlog
# is large enough to be in the middle of delivery for most of the kills; the others' need only last
# through the fault.
KILL_BACKLOG = 300
BACKLOG = 40
# Beat ticks every second in these tests, so that work resumes at once after each fault.
FAST_BEAT = {"DEADLINE_SWEEP_INTERVAL": "1", "NOTIFICATION_DELIVERY_INTERVAL": "1"}


# --- The backlog and what must come of it -------------------------------------------------------------


def fast_beat_environment(redis: support.RedisServer, tmp_path: Path) -> dict[str, str]:
    """The environment of a web server or worker on the test database and this Redis, with a beat that
    sweeps and delivers every second."""
    return support.environment(
        database=support.database_url(connection.settings_dict),
        broker=redis.url,
        var_dir=tmp_path,
        **FAST_BEAT,
    )


def make_backlog(account: Any, cast: Cast, count: int, *, now: datetime, first: int = 0) -> list[Item]:
    received = support.long_ago(now)
    return [
        services.log_item(
            account,
            kind=Item.Kind.COMMENT,
            author=f"@besokare{number}",
            text=f"Fråga {number}: när öppnar anmälan?",
            platform_id=f"fault-{number}",
            received_at=received,
            by=cast["communicator"],
            now=now,
        )
        for number in range(first, first + count)
    ]


def sent_count() -> int:
    return Notification.objects.exclude(sent_at=None).count()


def expected_alerts(items: list[Item]) -> Counter[tuple[int, str]]:
    return Counter({(item.pk, kind): 1 for item in items for kind in (Alert.Kind.DUE, Alert.Kind.LIMIT)})


def all_done(items: list[Item]) -> bool:
    """Every alert written, every e-mail sent, nothing left due."""
    ids = [item.pk for item in items]
    return (
        Alert.objects.filter(item__in=ids).count() == 2 * len(items)
        and Notification.objects.count() == 4 * len(items)
        and not Notification.objects.unsent().exists()
        and not Item.objects.filter(pk__in=ids, alert_after__isnull=False).exists()
    )


def assert_nothing_lost_or_doubled(
    items: list[Item], mail_dir: Path, *, duplicates_allowed: int
) -> Counter[int]:
    """Rows: each alert and notification once. E-mails: every notification's, by its Message-ID, at
    least once, and no more e-mails sent twice than ``duplicates_allowed``. Returns the e-mail counts."""
    assert Counter(Alert.objects.values_list("item_id", "kind")) == expected_alerts(items)
    keys = list(Notification.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == 4 * len(items)
    assert not Notification.objects.unsent().exists()
    # Nothing left due: every item has had both its alerts, so none is in the sweep's index.
    assert not Item.objects.filter(pk__in=[item.pk for item in items], alert_after__isnull=False).exists()
    assert LogEntry.objects.filter(action=LogEntry.Action.REMINDED).count() == len(items)
    assert LogEntry.objects.filter(action=LogEntry.Action.LIMIT_PASSED).count() == len(items)
    sent = support.sent_message_ids(mail_dir)
    # The Message-ID is the notification's id: every row's e-mail is there, and nothing else is.
    assert set(sent) == set(Notification.objects.values_list("pk", flat=True))
    doubled = sum(count - 1 for count in sent.values())
    assert doubled <= duplicates_allowed, f"{doubled} e-mails sent twice, {duplicates_allowed} allowed"
    return sent


def report(line: str) -> None:
    """Figures for the README, printed with -s (and in the log of a failure)."""
    print(f"[faults] {line}")


# --- Worker killed with SIGKILL -----------------------------------------------------------------------------


@real_services
def test_a_worker_killed_twenty_times_loses_nothing_and_sends_each_email_once_per_kill_at_most(
    cast: Cast, make_account: Any, tmp_path: Path
) -> None:
    """KAU-RESPONSE-DEADLINE: a backlog is swept and delivered by a worker (with its beat) that is
    killed with SIGKILL at 20 random moments and started again each time (a new process, forked from a
    parent that has imported Kanalvakt: faults_support.Zygote). Each reminder and escalation is written
    once; each e-mail is sent, and sent twice at most once per kill (the one in flight)."""
    seed = int(os.environ.get("KANALVAKT_FAULT_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    now = timezone.now()
    items = make_backlog(make_account(), cast, KILL_BACKLOG, now=now)
    moments: list[tuple[float, int, int]] = []
    window, previous = 1.0, (0, 0)
    with support.redis_server(tmp_path) as redis:
        env = fast_beat_environment(redis, tmp_path)
        args = ["--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        args += ["--without-heartbeat", "-n", f"faults-{os.getpid()}@%h", "-B"]
        args += ["-s", str(tmp_path / "celerybeat-schedule")]
        zygote = support.Zygote(env, args, tmp_path / "worker.log")
        try:
            for _kill in range(KILLS):
                zygote.fork()
                zygote.wait_until_ready()  # then killed at a random moment of its work
                delay = rng.uniform(0.0, window)  # beat ticks every second: a sweep, a delivery, or between
                time.sleep(delay)
                zygote.kill()
                state = (Alert.objects.count(), Notification.objects.exclude(sent_at=None).count())
                moments.append((round(delay, 2), *state))
                # A sweep's batch commits whole or not at all: while kills keep cutting off all progress,
                # the window widens until the work can move; once it moves, or is done, it narrows.
                done = state == (2 * KILL_BACKLOG, 4 * KILL_BACKLOG)
                window = 1.0 if done or state != previous else min(window * 1.5, 8.0)
                previous = state
            zygote.fork()
            started = time.monotonic()
            support.wait_until(
                lambda: all_done(items), timeout=60, what="the backlog after the last kill", every=0.2
            )
            recovery = time.monotonic() - started
        finally:
            zygote.stop()
    sent = assert_nothing_lost_or_doubled(items, tmp_path / "mail", duplicates_allowed=KILLS)
    doubled = sum(count - 1 for count in sent.values())
    before_sweep = sum(1 for _d, alerts, _s in moments if alerts < 2 * KILL_BACKLOG)
    mid_delivery = sum(1 for _d, alerts, sent_ in moments if alerts and 0 < sent_ < 4 * KILL_BACKLOG)
    report(
        f"seed {seed}: {KILLS} kills survived, {len(sent)} e-mails, {doubled} sent twice, 0 lost; "
        f"{before_sweep} kills before the sweep had committed, {mid_delivery} in the middle of delivery; "
        f"backlog finished {recovery:.1f} s after the last restart"
    )
    # Not vacuous: kills fell while e-mails were going out, where a duplicate can arise.
    assert mid_delivery >= 1, moments
    report("after each kill (delay s, alerts, e-mails sent): " + json.dumps(moments))


# --- "Once" is the database's -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_database_refuses_a_second_alert_or_notification_for_the_same_event(
    cast: Cast, make_account: Any
) -> None:
    """The unique constraints that make a re-run harmless: one alert per (item, kind), one notification
    per key. Each is written in the transaction that changes the item (the sweep's claim)."""
    from django.db import IntegrityError, transaction

    now = timezone.now()
    (item,) = make_backlog(make_account(), cast, 1, now=now)
    assert sweep.sweep_deadlines(now=now) == 1
    alert = Alert.objects.get(item=item, kind=Alert.Kind.DUE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(item=item, kind=alert.kind, target=alert.target, created_at=now)
    notification = Notification.objects.filter(kind="item_due").first()
    assert notification is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            key=notification.key, kind=notification.kind, email=notification.email, subject="x", body="x"
        )


# --- Redis stopped, restarted empty -------------------------------------------------------------------------


@real_services
def test_redis_lost_and_restarted_empty_the_worker_and_beat_finish_the_work(
    cast: Cast, make_account: Any, tmp_path: Path
) -> None:
    """Redis dies in the middle of a run and comes back with nothing in it (no queue, no unacked
    messages). Items fall due while it is down, and their wake-ups are lost with it. The worker and its
    beat reconnect by themselves, and the next sweeps and deliveries finish all the work."""
    now = timezone.now()
    account = make_account()
    items = make_backlog(account, cast, BACKLOG, now=now)
    with support.redis_server(tmp_path) as redis:
        env = fast_beat_environment(redis, tmp_path)
        worker = support.worker_service(env, tmp_path, beat=True)
        worker.start()
        try:
            support.wait_until(lambda: sent_count() > 0, timeout=60, what="the first e-mail", every=0.05)
            redis.stop()
            down_at = time.monotonic()
            items += make_backlog(account, cast, BACKLOG, now=now, first=BACKLOG)  # due while it is down
            time.sleep(max(0.0, 3 - (time.monotonic() - down_at)))
            assert worker.alive()
            redis.start()  # empty: --save "" kept nothing
            back_at = time.monotonic()
            restarted_at = len(worker.text())
            support.wait_until(
                lambda: all_done(items), timeout=60, what="the work after Redis came back", every=0.2
            )
            recovered = time.monotonic() - back_at
            assert worker.alive()  # reconnected, not restarted
            log = worker.text()
        finally:
            worker.stop()
    # Beat too: it sent the sweep again after Redis came back, and the worker ran it.
    after = log[restarted_at:]
    assert "Sending due task sweep-deadlines" in after, after[-3000:]
    assert re.search(r"moderation\.tasks\.sweep_deadlines\[[^\]]+\] succeeded", after), after[-3000:]
    assert_nothing_lost_or_doubled(items, tmp_path / "mail", duplicates_allowed=0)
    report(f"Redis down {back_at - down_at:.1f} s, restarted empty; work finished {recovered:.1f} s after")


# --- Every PostgreSQL connection terminated -----------------------------------------------------------------


def terminate_every_other_backend() -> int:
    """pg_terminate_backend on every connection to the test database except this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def connector_token(cast: Cast, account: Any) -> str:
    _token, secret = tokens.issue_token(name="Kopplingen", accounts=[account], by=None, now=timezone.now())
    return secret


def api_item(
    base: str, account: Any, secret: str, platform_id: str, *, method: str = "POST"
) -> support.Response:
    body = {
        "platform_id": platform_id,
        "kind": "comment",
        "author": "@besokare",
        "text": "När öppnar anmälan?",
        "received_at": timezone.now().isoformat(),
    }
    return support.http(
        f"{base}/api/v1/accounts/{account.pk}/items/",
        method=method,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )


def signed_in_cookie(user: Any) -> str:
    browser = Client()
    browser.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"


@real_services
@pytest.mark.parametrize("health_checks", [True, False], ids=["conn-health-checks", "control-without"])
def test_every_connection_terminated_the_next_request_is_served_and_the_sweep_completes(
    cast: Cast, make_account: Any, tmp_path: Path, health_checks: bool
) -> None:
    """pg_terminate_backend on every connection, gunicorn's kept one and the worker's included, in the
    middle of delivery: with CONN_HEALTH_CHECKS (config.settings) the next web request is served
    normally, and the worker's next runs deliver the rest and sweep the items that fell due since. The
    control, the same server without health checks, answers the first request after the cut with the
    503 page: the setting is what makes the difference."""
    now = timezone.now()
    account = make_account()
    secret = connector_token(cast, account)
    items = make_backlog(account, cast, BACKLOG if health_checks else 0, now=now)
    port = support.free_port()
    base = f"http://127.0.0.1:{port}"
    with support.redis_server(tmp_path) as redis:
        env = fast_beat_environment(redis, tmp_path)
        app = "config.wsgi" if health_checks else "tests.core.faults_support:wsgi_without_health_checks"
        web = support.gunicorn_service(env, tmp_path, port=port, app=app)
        worker = support.worker_service(env, tmp_path, beat=True) if health_checks else None
        web.start()
        if worker:
            worker.start()
        try:
            support.wait_for_http(f"{base}/health/", timeout=60)
            assert api_item(base, account, secret, "before").status == 201  # gunicorn now keeps a connection
            if worker:
                support.wait_until(
                    lambda: 0 < sent_count() < 4 * BACKLOG,
                    timeout=60,
                    what="delivery to be under way",
                    every=0.02,
                )
            terminated = terminate_every_other_backend()
            assert terminated >= (2 if worker else 1)  # gunicorn's kept connection, and the worker's
            cut_at = time.monotonic()
            answer = api_item(base, account, secret, "after")
            if not health_checks:
                assert answer.status == 503, answer.body
                assert answer.headers["Retry-After"]
                assert api_item(base, account, secret, "after").status == 201  # the next one reconnects
                return
            assert answer.status == 201, answer.body
            assert Item.objects.filter(platform_id="after").count() == 1
            assert worker is not None
            assert worker.alive()
            items += make_backlog(account, cast, BACKLOG, now=now, first=BACKLOG)  # for the next sweep
            support.wait_until(lambda: all_done(items), timeout=60, what="the sweep after the cut", every=0.2)
            report(
                f"{terminated} PostgreSQL connections terminated: next request served at once, "
                f"backlog finished {time.monotonic() - cut_at:.1f} s after"
            )
        finally:
            web.stop()
            if worker:
                worker.stop()
    # At most the one e-mail whose sent_at was being committed when the connection was cut.
    assert_nothing_lost_or_doubled(items, tmp_path / "mail", duplicates_allowed=1)


# --- Two beats ---------------------------------------------------------------------------------------------


@real_services
def test_two_beats_at_once_send_nothing_twice(cast: Cast, make_account: Any, tmp_path: Path) -> None:
    """A second beat by mistake (two deployments, or one left behind): every sweep and delivery is
    sent twice, to a worker that runs two at once; each alert and each e-mail is still written once."""
    now = timezone.now()
    items = make_backlog(make_account(), cast, BACKLOG, now=now)
    with support.redis_server(tmp_path) as redis:
        env = fast_beat_environment(redis, tmp_path)
        worker = support.worker_service(env, tmp_path, beat=False)
        worker.args[worker.args.index("solo")] = "prefork"
        worker.args += ["--concurrency", "2"]
        beats = [support.beat_service(env, tmp_path, name=f"beat-{n}") for n in (1, 2)]
        for service in (worker, *beats):
            service.start()
        try:
            support.wait_until(lambda: all_done(items), timeout=60, what="the backlog", every=0.2)
            time.sleep(2)  # both beats go on sending: still nothing more
            assert all(service.alive() for service in (worker, *beats))
            sent_by = [beat.text().count("Sending due task sweep-deadlines") for beat in beats]
        finally:
            for service in (worker, *beats):
                service.stop()
    assert all(count >= 2 for count in sent_by), sent_by  # both beats were really sending
    sent = assert_nothing_lost_or_doubled(items, tmp_path / "mail", duplicates_allowed=0)
    assert set(sent.values()) == {1}
    report(f"two beats: {sum(sent_by)} sweeps sent, {len(sent)} e-mails, none twice")


# --- PostgreSQL down: the 503 page, and nothing half-written -----------------------------------------------


@real_services
def test_while_postgresql_is_down_pages_answer_503_and_nothing_is_half_written(
    cast: Cast, make_account: Any, tmp_path: Path
) -> None:
    """gunicorn reaches PostgreSQL through a proxy. With the proxy gone, a signed-in page, a public
    page and the connector API answer 503 with Retry-After and the page in Swedish and English, read
    from no database. A connection cut in the middle of a write leaves nothing of it; once the proxy
    is back the next request is served normally and the same write is stored whole."""
    account = make_account()
    secret = connector_token(cast, account)
    cookie = signed_in_cookie(cast["communicator"])
    port = support.free_port()
    base = f"http://127.0.0.1:{port}"
    params = connection.settings_dict
    with support.tcp_proxy((params["HOST"] or "127.0.0.1", int(params["PORT"] or 5432))) as proxy:
        env = support.environment(
            database=support.database_url(params, port=proxy.port), broker="memory://", var_dir=tmp_path
        )
        web = support.gunicorn_service(env, tmp_path, port=port)
        web.start()
        try:
            support.wait_for_http(f"{base}/health/", timeout=60)
            home = support.http(f"{base}/", headers={"Cookie": cookie})
            assert home.status == 200, (home.headers.get("Location"), home.body[:500])
            assert support.http(f"{base}/officiella-konton/").status == 200

            proxy.down()
            for page in (
                support.http(f"{base}/", headers={"Cookie": cookie}),  # the session cannot be read
                support.http(f"{base}/officiella-konton/"),  # the view's own query fails
            ):
                assert page.status == 503, page.body[:500]
                assert page.headers["Retry-After"] == "30"
                assert "Kanalvakt är tillfälligt otillgänglig" in page.body
                assert "Kanalvakt is temporarily unavailable" in page.body
                assert "communicator" not in page.body.lower()  # nobody's name: no user was read
            api = api_item(base, account, secret, "while-down")
            assert api.status == 503
            assert json.loads(api.body)["code"] == "unavailable"
            assert api.headers["Retry-After"] == "30"
            assert support.http(f"{base}/health/").status == 503

            # Back, but the connection dies between the item's INSERT and its log entry's.
            proxy.up()
            proxy.cut_when(b'INSERT INTO "moderation_logentry"')
            cut = api_item(base, account, secret, "cut-mid-write")
            assert proxy.cuts == 1
            assert cut.status == 503
            assert not Item.objects.filter(platform_id="cut-mid-write").exists()  # rolled back whole

            proxy.cut_when(None)
            again = api_item(base, account, secret, "cut-mid-write")
            assert again.status == 201, again.body
            assert support.http(f"{base}/", headers={"Cookie": cookie}).status == 200
        finally:
            web.stop()
    item = Item.objects.get(platform_id="cut-mid-write")
    assert item.log.count() >= 1
    assert not Item.objects.filter(platform_id="while-down").exists()


def test_the_503_page_needs_no_database() -> None:
    """The template renders with no request: no context processor, no session, no user."""
    from django.test import RequestFactory

    from core.unavailable import unavailable_response

    response = unavailable_response(RequestFactory().get("/konton/"))
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Kanalvakt är tillfälligt otillgänglig" in body
    assert '<h2 lang="en">Kanalvakt is temporarily unavailable</h2>' in body


# --- Time limits, acknowledgement and expiry of every task --------------------------------------------------

# Not re-queued when its worker is lost: an export that killed its process would kill the next one.
NOT_REQUEUED = {"archive.tasks.run_export"}
OUR_APPS = ("core.", "governance.", "accounts.", "moderation.", "archive.")


WEEKS_4 = 4 * 7 * 24 * 60  # minutes


def interval_seconds(entry_schedule: Any) -> float:
    """The shortest time between two runs of a beat schedule."""
    fields: Any = entry_schedule  # celery's stubs do not name the parsed fields
    if isinstance(entry_schedule, crontab):
        start = datetime(2027, 1, 4)  # a Monday; four weeks of minutes cover every weekly pattern
        runs = [
            minute
            for minute in range(WEEKS_4)
            if (moment := start + timedelta(minutes=minute)).minute in fields.minute
            and moment.hour in fields.hour
            and moment.isoweekday() % 7 in fields.day_of_week  # crontab counts Sunday as 0
            and moment.day in fields.day_of_month
            and moment.month in fields.month_of_year
        ]
        assert runs, entry_schedule
        gaps = [later - earlier for earlier, later in zip(runs, [*runs[1:], runs[0] + WEEKS_4], strict=True)]
        return float(min(gaps) * 60)
    if isinstance(entry_schedule, int | float):
        return float(entry_schedule)
    if isinstance(entry_schedule, timedelta):
        return entry_schedule.total_seconds()
    assert isinstance(entry_schedule, schedule), entry_schedule
    return float(fields.run_every.total_seconds())


def test_every_task_sets_its_time_limits_and_acknowledgement() -> None:
    """Each of Kanalvakt's tasks names its own soft and hard time limits, is acknowledged late, and is
    re-queued when its worker is lost unless it is known not to be safe to run again; the broker's
    visibility timeout is above every hard limit, so a running task is never handed out twice."""
    from config.celery import app

    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if name.startswith(OUR_APPS)}
    assert {"moderation.tasks.sweep_deadlines", "core.tasks.deliver_notifications"} <= set(ours)
    for name, task in ours.items():
        assert task.soft_time_limit, name
        assert task.time_limit, name
        assert 0 < task.soft_time_limit < task.time_limit < settings.KANALVAKT_BROKER_VISIBILITY_TIMEOUT, name
        assert task.acks_late is True, name
        assert task.reject_on_worker_lost is (name not in NOT_REQUEUED), name


def test_every_beat_entry_expires_within_its_interval() -> None:
    """A periodic task's message expires before the next one is sent: a worker back after an outage
    runs each job once, not once per interval it missed."""
    from config.celery import app

    app.loader.import_default_modules()
    beat_schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    assert len(beat_schedule) >= 8
    for name, entry in beat_schedule.items():
        assert entry["task"] in app.tasks, name
        expires = entry["options"]["expires"]
        interval = interval_seconds(entry["schedule"])
        assert 0 < expires <= interval, (name, expires, interval)
    assert interval_seconds(crontab(minute=20)) == 3600
    assert interval_seconds(crontab(hour=6, minute=5)) == 86400

"""The deadline sweep (KAU-RESPONSE-DEADLINE) at scale.

Idle: with nothing due, the claim's time and plan (it must use the partial index item_alert_after_idx).
Due: 100,000 handled items of the last weeks are made open and due at once, and one worker clears them
with ``moderation.sweep.sweep_deadlines(now=…)``, exactly as the task does; then, on the same data,
one raw SQL statement does the same marking (the reminder, its log entry, the e-mails to the owner and
deputies in the outbox, ``alert_after`` moved to the limit). Both run inside one transaction that is
rolled back, so the data set stays as seeded: the sweep's per-batch COMMITs are savepoints there, so
the flush of a commit per batch is not in its time.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from core.models import Notification
from moderation import sweep, sweep_sql
from moderation.models import Alert, LogEntry

from .seed import with_defaults

CLAIM_RUNS = 50


def _claim(now: datetime) -> QuerySet[Any]:
    """The claim the sweep runs here: on PostgreSQL the set-based sweep's (ids only, no joins), else
    sweep.claimable."""
    if connection.vendor == "postgresql":
        return sweep_sql.claimable(now)
    return sweep.claimable(now)


def idle(now: datetime) -> dict[str, Any]:
    """Catch up first (what the worker would have done since the data set was seeded), then time the
    claim that finds nothing."""
    started = time.perf_counter()
    caught_up = sweep.sweep_deadlines(now=now)
    catch_up_s = time.perf_counter() - started
    batch = sweep.SET_BASED_BATCH if connection.vendor == "postgresql" else sweep.SWEEP_BATCH
    orm, sql = [], []
    with transaction.atomic():
        query = _claim(now)[:batch]
        statement, params = query.query.sql_with_params()
        for _ in range(CLAIM_RUNS):
            started = time.perf_counter()
            found = list(query.all())  # a fresh query each time, never the cached rows
            orm.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                cursor.fetchall()
            sql.append((time.perf_counter() - started) * 1000)
        plan = query.explain(analyze=True, buffers=True)
    execution = [line for line in plan.splitlines() if line.startswith("Execution Time")]
    orm.sort()
    sql.sort()
    return {
        "caught_up_items": caught_up,
        "catch_up_s": round(catch_up_s, 2),
        "found": len(found),
        # The query's time as a client sees it (round trip on loopback), and through the ORM (with
        # building the query and the model instances).
        "claim_p50_ms": round(sql[len(sql) // 2], 3),
        "claim_orm_p50_ms": round(orm[len(orm) // 2], 3),
        "plan_execution_ms": float(execution[0].split(":")[1].strip().split()[0]) if execution else None,
        "uses_partial_index": "item_alert_after_idx" in plan,
        "plan": plan,
    }


def _make_due(now: datetime, count: int) -> int:
    """``count`` items answered or closed in the last weeks become open and due now (not yet past the
    limit), with their reminder to come: ``alert_after`` at the due time."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE moderation_item i
            SET status = 'open', handled_at = NULL, handled_by_id = NULL, answered_at = NULL, answer = '',
                close_reason = '', received_at = %(now)s - interval '30 hours',
                due_at = %(now)s - interval '1 hour', limit_at = %(now)s + interval '23 hours',
                alert_after = %(now)s - interval '1 hour'
            FROM (SELECT id FROM moderation_item WHERE handled_at IS NOT NULL
                  ORDER BY id DESC LIMIT %(count)s) p
            WHERE i.id = p.id
            """,
            {"now": now, "count": count},
        )
        return cursor.rowcount


RAW_SWEEP = """
WITH due AS (
    SELECT id, account_id, limit_at FROM moderation_item
    WHERE alert_after IS NOT NULL AND alert_after <= %(now)s AND handled_at IS NULL AND due_at <= %(now)s
    ORDER BY alert_after, id
    FOR UPDATE SKIP LOCKED
), alerts AS (
    {alerts}
    ON CONFLICT (item_id, kind) WHERE kind <> 'escalation' DO NOTHING
    RETURNING item_id
), logs AS (
    {logs}
    RETURNING 1
), mails AS (
    {mails}
    ON CONFLICT (key) DO NOTHING
    RETURNING 1
)
UPDATE moderation_item i SET alert_after = d.limit_at FROM due d WHERE i.id = d.id
"""
RAW_ALERTS = """INSERT INTO moderation_alert (kind, target, created_at, note, item_id)
    SELECT 'due', 'owners', %(now)s, '', id /*defaults*/ FROM due"""
RAW_LOGS = """INSERT INTO moderation_logentry (action, at, note, before, after, item_id)
    SELECT 'reminded', %(now)s, '', '{}'::jsonb, jsonb_build_object('status', 'open'), item_id /*defaults*/
    FROM alerts"""
# Once per item and person by the notification's unique key, as the app's outbox does.
RAW_MAILS = """INSERT INTO core_notification (key, email, subject, body, url, kind, created_at, recipient_id)
    SELECT 'item:' || d.id || ':due:' || u.id, u.email, 'Dags att svara: ' || a.name,
           %(body)s, '/moderering/' || d.id || '/', 'item_due', %(now)s, u.id /*defaults*/
    FROM due d
    JOIN accounts_account a ON a.id = d.account_id
    JOIN LATERAL (SELECT a.owner_id AS person UNION
                  SELECT user_id FROM accounts_account_deputies WHERE account_id = a.id) r ON true
    JOIN core_user u ON u.id = r.person AND u.is_active AND u.email <> ''"""
RAW_BODY = (
    "Hej!\n\nEn fråga eller kommentar på ett konto du ansvarar för har passerat sin svarstid och väntar "
    "fortfarande på svar. Öppna den i Kanalvakt och svara, eller stäng den med en anledning om den inte "
    "kräver något svar (KAU-RESPONSE-DEADLINE).\n\nDu får detta meddelande eftersom du är kontoansvarig "
    "eller ersättare för kontot.\n\nKanalvakt"
)


def due(now: datetime, count: int = 100_000) -> dict[str, Any]:
    """The time one worker takes to clear ``count`` due items, beside one raw SQL statement."""
    statement = RAW_SWEEP.format(
        alerts=with_defaults(Alert, RAW_ALERTS),
        logs=with_defaults(LogEntry, RAW_LOGS),
        mails=with_defaults(Notification, RAW_MAILS),
    )
    with transaction.atomic():
        started = time.perf_counter()
        made = _make_due(now, count)
        prepare_s = time.perf_counter() - started
        mark = transaction.savepoint()
        counts_before = _counts()

        started = time.perf_counter()
        swept = sweep.sweep_deadlines(now=now)
        sweep_s = time.perf_counter() - started
        sweep_writes = _delta(counts_before)
        left = _claim(now).count()

        transaction.savepoint_rollback(mark)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(statement, {"now": now, "body": RAW_BODY})
            raw_rows = cursor.rowcount
        raw_s = time.perf_counter() - started
        raw_writes = _delta(counts_before)
        transaction.set_rollback(True)  # the data set stays as seeded
    vacuum_s = vacuum()
    return {
        "made_due": made,
        "prepare_s": round(prepare_s, 2),
        "swept": swept,
        "left_claimable": left,
        "sweep_s": round(sweep_s, 2),
        "sweep_rows_per_s": round(swept / sweep_s) if sweep_s else None,
        "sweep_writes": sweep_writes,
        "raw_rows": raw_rows,
        "raw_s": round(raw_s, 2),
        "raw_writes": raw_writes,
        "ratio_to_raw": round(sweep_s / raw_s, 2) if raw_s else None,
        "vacuum_s": vacuum_s,
    }


def vacuum() -> float:
    """Clear the dead row versions a rolled-back run leaves in the tables and their indexes, which
    the pages and the next idle claim would otherwise wade through. Returns the seconds it took."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("moderation_item", "moderation_alert", "core_notification", "moderation_logentry"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return round(time.perf_counter() - started, 1)


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM moderation_alert), (SELECT max(id) FROM moderation_logentry), "
            "(SELECT count(*) FROM core_notification)"
        )
        alerts, last_log, notifications = cursor.fetchone() or (0, 0, 0)
    return {"alerts": alerts, "last_log": last_log or 0, "notifications": notifications}


def _delta(before: dict[str, int]) -> dict[str, int]:
    """Rows written since ``before`` (log entries by id: counting ten million rows each time is not
    needed to know how many were added)."""
    after = _counts()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM moderation_logentry WHERE id > %s", [before["last_log"]])
        (log_entries,) = cursor.fetchone() or (0,)
    return {
        "alerts": after["alerts"] - before["alerts"],
        "log_entries": log_entries,
        "notifications": after["notifications"] - before["notifications"],
    }

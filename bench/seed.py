"""The benchmark's data set: a whole sector's registry and three years of moderation, built in SQL.

10,000 accounts over 400 units with owners, deputies, follow-ups and start-page screenshots' records;
5,000,000 moderation items over three years with their log entries, about 1 % open and 0.2 % past
due. Handled items are made by ``INSERT … SELECT generate_series`` (deadlines approximated: a day on
a working day, over the weekend otherwise); the open ones, the only ones whose deadlines the app reads
today, get exact working-hour deadlines (core.calendar) and are written with ``COPY``. Past-due
items already have the reminder (and, past the limit, the escalation) the sweep would have sent, so
that ``alert_after`` is set exactly on the open items with an alert still to come
(item_alert_after_idx) and an idle sweep finds nothing.

The secondary indexes and foreign keys of the two big tables are dropped for the load and made again
afterwards (the foreign keys validated), then everything is analysed. The whole load is one
transaction; a row in ``bench_seed`` records it, so that running again with the same scale reuses it.
PostgreSQL only. To start again, drop and recreate the database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
import struct
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import Account, FollowUp
from archive.models import Screenshot
from core.calendar import response_deadlines
from core.models import InstitutionSettings, OrgUnit, User
from moderation.models import Alert, Item, LogEntry

MARKER_TABLE = "bench_seed"
# Every seeded person can sign in with it (the load test uses sessions made in-process instead).
PASSWORD = "bench-password-0123"  # noqa: S105
BIG_TABLES = ("moderation_item", "moderation_logentry")
# Every table the load fills: analysed after it, and measured in the results.
SEEDED_TABLES = (
    "core_user",
    "core_orgunit",
    "accounts_account",
    "accounts_account_deputies",
    "accounts_followup",
    "archive_screenshot",
    *BIG_TABLES,
    "moderation_alert",
)
# The columns of a screenshot's record that the load writes; with_defaults adds the rest.
SCREENSHOT_INSERT = """
    INSERT INTO archive_screenshot (purpose, source, source_url, image, content_type, extension,
        width, height, size, sha256, received_sha256, taken_at, taken_from, account_id, item_id,
        taken_by_id, stamped, stamped_sha256)
"""


@dataclass(frozen=True)
class Scale:
    accounts: int = 10_000
    units: int = 400
    items: int = 5_000_000
    years: int = 3
    open_share: float = 0.01
    past_due_share: float = 0.002
    export_screenshots: int = 1_000
    export_year_items: int = 3_000  # the export account is the one whose last year is nearest this

    @property
    def name(self) -> str:
        return (
            f"accounts={self.accounts} units={self.units} items={self.items} years={self.years} "
            f"open={self.open_share} past_due={self.past_due_share} shots={self.export_screenshots}"
        )

    @property
    def communicators(self) -> int:
        return max(self.accounts // 4, 4)


FULL = Scale()

Log = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


class SeedMismatch(Exception):
    """The database already holds a data set of another scale."""


def seeded(scale: Scale) -> dict[str, Any] | None:
    """The recorded facts of the data set of ``scale``, or None when it is not there."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name text PRIMARY KEY, seeded_at timestamptz "
            "NOT NULL, seconds double precision NOT NULL, info jsonb NOT NULL)"
        )
        cursor.execute(f"SELECT name, info FROM {MARKER_TABLE}")  # noqa: S608
        rows = cursor.fetchall()
    for name, info in rows:
        if name == scale.name:
            return dict(json.loads(info) if isinstance(info, str) else info)
    if rows:
        raise SeedMismatch(
            f"The database holds another data set ({rows[0][0]}); drop and recreate it to change the scale."
        )
    return None


def seed(scale: Scale = FULL, *, now: datetime | None = None, log: Log = _quiet) -> dict[str, Any]:
    """Seed the data set of ``scale`` once; return its facts (ids the benchmark uses, counts, timing).
    ``reused`` is True when it was already there."""
    found = seeded(scale)
    if found is not None:
        log(f"data set already seeded ({found['seconds']:.0f} s on {found['seeded_at']}): reused")
        return {**found, "reused": True}
    now = now or timezone.now()
    started = time.monotonic()
    with transaction.atomic():
        info = _Loader(scale, now, log).load()
        info["seconds"] = round(time.monotonic() - started, 1)
        info["seeded_at"] = now.isoformat()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {MARKER_TABLE} (name, seeded_at, seconds, info) VALUES (%s, %s, %s, %s)",  # noqa: S608
                [scale.name, now, info["seconds"], json.dumps(info)],
            )
    log(f"seeded in {info['seconds']:.0f} s")
    return {**info, "reused": False}


class _Loader:
    def __init__(self, scale: Scale, now: datetime, log: Log) -> None:
        self.scale, self.now, self.log = scale, now, log
        self.rng = random.Random(42)  # noqa: S311 - a reproducible data set, not a secret

    def sql(self, label: str, statement: str, params: dict[str, Any] | Sequence[Any] | None = None) -> int:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(statement, params if params is not None else [])  # "%%" is "%" everywhere
            rows = cursor.rowcount
        if label:
            self.log(f"  {label}: {rows:,} rows in {time.monotonic() - started:.1f} s")
        return rows

    def insert(
        self,
        label: str,
        model: type[Model],
        statement: str,
        params: dict[str, Any] | Sequence[Any] | None = None,
        *,
        many: Sequence[Sequence[Any]] | None = None,
    ) -> int:
        statement = with_defaults(model, statement)
        if many is not None:
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.executemany(statement, many)
            self.log(f"  {label}: {len(many):,} rows in {time.monotonic() - started:.1f} s")
            return len(many)
        return self.sql(label, statement, params)

    def one(self, statement: str, params: dict[str, Any] | Sequence[Any] | None = None) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            row = cursor.fetchone()
        return row[0] if row else None

    # --- The whole load --------------------------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        s = self.scale
        self.log(f"seeding {s.accounts:,} accounts, {s.units} units, {s.items:,} items")
        InstitutionSettings.objects.get_solo()
        self.sql("", "SET CONSTRAINTS ALL IMMEDIATE")  # no queued foreign-key events; DDL below is allowed
        self.sql("", "SELECT setseed(0.42)")
        self.people()
        self.units()
        self.accounts()
        dropped = self.drop_secondary(BIG_TABLES)
        handled = self.handled_items()
        open_items = self.open_items()
        self.alerts()
        self.log_entries()
        self.restore(dropped)
        self.sql("", "SET CONSTRAINTS ALL DEFERRED")
        started = time.monotonic()
        for table in SEEDED_TABLES:
            self.sql("", f"ANALYZE {table}")
        self.log(f"  analyse: {time.monotonic() - started:.1f} s")
        info = self.facts()
        info.update(self.export_screenshots(info))
        info.update(handled_items=handled, open_items=open_items)
        return info

    # --- People, units, accounts -----------------------------------------------------------------------

    def people(self) -> None:
        s = self.scale
        groups = {
            "comm": (s.communicators, "communicator"),
            "head": (s.units, "head_of_unit"),
            "comms": (3, "communications"),
            "lead": (1, "social_media_lead"),
            "registrar": (2, "registrar"),
            "security": (1, "security_officer"),
        }
        first = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Per", "Elin", "Anders", "Linnea"]
        last = ["Andersson", "Berg", "Carlsson", "Dahl", "Eriksson", "Forsberg", "Holm", "Johansson", "Lind"]
        password = make_password(PASSWORD)
        joined = self.now - timedelta(days=1500)
        started = time.monotonic()
        people = [
            User(
                username=f"bench-{kind}-{n}",
                password=password,
                first_name=first[n % len(first)],
                last_name=last[(n * 7) % len(last)],
                email=f"bench-{kind}-{n}@bench.example",
                date_joined=joined,
            )
            for kind, (count, _group) in groups.items()
            for n in range(1, count + 1)
        ]
        User.objects.bulk_create(people, batch_size=2000)
        self.log(f"  people: {len(people):,} rows in {time.monotonic() - started:.1f} s")
        self.sql(
            "",
            """
            CREATE TEMP TABLE bench_people ON COMMIT DROP AS
            SELECT split_part(username, '-', 2) AS kind, split_part(username, '-', 3)::int AS n, id
            FROM core_user WHERE username LIKE 'bench-%%'
            """,
        )
        self.sql("", "CREATE INDEX ON bench_people (kind, n)")
        for kind, (_count, group) in groups.items():
            self.sql(
                "",
                "INSERT INTO core_user_groups (user_id, group_id) SELECT p.id, g.id FROM bench_people p "
                "JOIN auth_group g ON g.name = %s WHERE p.kind = %s",
                [group, kind],
            )

    def units(self) -> None:
        total = self.scale.units
        faculties = max(1, min(8, total // 50))
        departments = (total - 2 - faculties) * 2 // 3
        # (first n, last n, kind, name, parent n as SQL over n)
        levels = [
            (1, 1, "university", "Universitetet", "NULL"),
            (2, 2, "communications", "Kommunikationsavdelningen", "1"),
            (3, 2 + faculties, "faculty", "Fakulteten", "1"),
            (
                3 + faculties,
                2 + faculties + departments,
                "department",
                "Institutionen",
                f"3 + u.k %% {faculties}",
            ),
            (
                3 + faculties + departments,
                total,
                "division",
                "Avdelningen",
                f"3 + {faculties} + u.k %% {max(departments, 1)}",
            ),
        ]
        for first, last, kind, name, parent in levels:
            if last < first:
                continue
            self.insert(
                f"units ({kind})",
                OrgUnit,
                f"""
                INSERT INTO core_orgunit (name, name_en, code, kind, path, is_active, head_id,
                                                parent_id)
                SELECT %(name)s || ' ' || u.k, '', 'bench-u-' || u.k, %(kind)s, '', true, head.id, parent.id
                       /*defaults*/
                FROM generate_series(%(first)s, %(last)s) AS u(k)
                JOIN bench_people head ON head.kind = 'head' AND head.n = u.k
                LEFT JOIN core_orgunit parent ON parent.code = 'bench-u-' || ({parent})
                ORDER BY u.k
                """,  # noqa: S608 - the parent expression is ours
                {"name": name, "kind": kind, "first": first, "last": last},
            )
        self.sql(
            "unit paths",
            """
            WITH RECURSIVE tree AS (
                SELECT id, '/' || id || '/' AS path FROM core_orgunit WHERE code = 'bench-u-1'
                UNION ALL
                SELECT c.id, tree.path || c.id || '/'
                FROM core_orgunit c JOIN tree ON c.parent_id = tree.id
            )
            UPDATE core_orgunit o SET path = tree.path FROM tree WHERE o.id = tree.id
            """,
        )
        self.sql(
            "",
            "CREATE TEMP TABLE bench_units ON COMMIT DROP AS SELECT split_part(code, '-', 3)::int AS n, id, "
            "kind, head_id FROM core_orgunit WHERE code LIKE 'bench-u-%%'",
        )

    def accounts(self) -> None:
        s = self.scale
        params = {
            "accounts": s.accounts,
            "units": s.units,
            "comm": s.communicators,
            "now": self.now,
        }
        self.insert(
            "accounts",
            Account,
            """
            INSERT INTO accounts_account (
                platform, platform_other, name, handle, url, status, created_at, owner_id, unit_id,
                closed_at, closing_reason, closing_started_at, commenting, followup_due_on,
                last_startpage_at, notice_confirmed_at, notice_confirmed_by_id, registered_by_id,
                sender_confirmed_at, sender_confirmed_by_id, capture_start_page)
            SELECT s.platform, '', s.label || ' ' || s.g, 'bench_' || s.g,
                   'https://example.org/bench_' || s.g, s.status, s.created, owner.id, unit.id,
                   CASE WHEN s.status = 'closed' THEN s.created + interval '400 days' END,
                   CASE WHEN s.status = 'closed' THEN 'Kanalen används inte längre.' ELSE '' END,
                   CASE WHEN s.status = 'closed' THEN s.created + interval '370 days' END,
                   CASE WHEN s.status = 'closed' THEN 'off' ELSE '' END,
                   (%(now)s::timestamptz + (s.g %% 400 - 40) * interval '1 day')::date,
                   %(now)s::timestamptz - (s.g %% 200) * interval '1 day',
                   CASE WHEN s.g %% 17 <> 0 THEN s.created + interval '1 day' END,
                   CASE WHEN s.g %% 17 <> 0 THEN owner.id END,
                   owner.id,
                   CASE WHEN s.g %% 19 <> 0 THEN s.created + interval '1 day' END,
                   CASE WHEN s.g %% 19 <> 0 THEN owner.id END,
                   s.g %% 5 = 0 /*defaults*/
            FROM (
                SELECT g,
                       (ARRAY['facebook_page','instagram','linkedin','youtube','x','tiktok','blog',
                              'facebook_group'])[1 + g %% 8] AS platform,
                       (ARRAY['Studera vid','Forskning vid','Alumner vid','Nyheter från','Biblioteket vid',
                              'Evenemang vid'])[1 + g %% 6] AS label,
                       CASE WHEN g > 100 AND g %% 25 = 0 THEN 'closed'
                            WHEN g > 100 AND g %% 31 = 0 THEN 'paused' ELSE 'active' END AS status,
                       %(now)s::timestamptz - interval '1300 days' + (g %% 500) * interval '1 day' AS created
                FROM generate_series(1, %(accounts)s) g
            ) s
            JOIN bench_people owner ON owner.kind = 'comm' AND owner.n = 1 + s.g %% %(comm)s
            JOIN bench_units unit ON unit.n = 1 + (s.g * 37) %% %(units)s
            ORDER BY s.g
            """,
            params,
        )
        self.sql(
            "",
            """
            CREATE TEMP TABLE bench_accounts ON COMMIT DROP AS
            SELECT split_part(a.handle, '_', 2)::int AS n, a.id, a.owner_id, a.unit_id, a.status,
                   a.last_startpage_at, u.head_id
            FROM accounts_account a JOIN core_orgunit u ON u.id = a.unit_id
            WHERE a.handle LIKE 'bench\\_%%'
            """,
        )
        self.sql("", "CREATE UNIQUE INDEX ON bench_accounts (n)")
        self.sql(
            "deputies",
            """
            INSERT INTO accounts_account_deputies (account_id, user_id)
            SELECT DISTINCT a.id, p.id
            FROM bench_accounts a
            CROSS JOIN LATERAL (VALUES (1 + (a.n * 7 + 1) %% %(comm)s),
                                       (CASE WHEN a.n %% 3 <> 0 THEN 1 + (a.n * 13 + 2) %% %(comm)s END)) d(k)
            JOIN bench_people p ON p.kind = 'comm' AND p.n = d.k
            WHERE p.id <> a.owner_id
            """,
            params,
        )
        self.insert(
            "follow-ups",
            FollowUp,
            """
            INSERT INTO accounts_followup (period_end, followers, posts, reactions, comments, traffic,
                reaches_audiences, keeps_up, value_estimate, decision, note, recorded_at, account_id,
                recorded_by_id)
            SELECT (%(now)s::timestamptz - k * interval '6 months')::date, 800 + (a.n * 97) %% 20000,
                   20 + a.n %% 60, 400 + (a.n * 31) %% 5000, 30 + (a.n * 7) %% 400,
                   (ARRAY['up','same','down'])[1 + (a.n + k) %% 3], 'yes', 'partly',
                   'Kanalen når studenterna och tar ungefär två timmar i veckan.', 'continue', '',
                   %(now)s::timestamptz - k * interval '6 months' + interval '3 days', a.id, a.owner_id
                   /*defaults*/
            FROM bench_accounts a CROSS JOIN generate_series(1, 2) k
            WHERE a.status <> 'closed'
            """,
            params,
        )
        self.insert(
            "start-page screenshots' records",
            Screenshot,
            SCREENSHOT_INSERT  # noqa: S608 (constants only)
            + """
            SELECT 'startpage', 'upload', 'https://example.org/bench_' || a.n,
                   'screenshots/' || left(h.original, 2) || '/' || h.original || '.png', 'image/png', 'png',
                   1280, 1600, 240000 + a.n %% 5000, h.original, h.original, a.last_startpage_at,
                   '127.0.0.1', a.id, NULL, a.owner_id, 'stamped/' || h.stamped || '.png', h.stamped
                   /*defaults*/
            FROM bench_accounts a
            CROSS JOIN LATERAL (SELECT encode(sha256(('startpage-' || a.n)::bytea), 'hex') AS original,
                                       encode(sha256(('stamped-' || a.n)::bytea), 'hex') AS stamped) h
            """,
        )

    # --- Items and their log -----------------------------------------------------------------------------

    def drop_secondary(self, tables: Sequence[str]) -> list[str]:
        """Drop the secondary indexes and foreign keys of ``tables``; return the DDL that restores them."""
        restore: list[str] = []
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                cursor.execute(
                    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {name}")
                    restore.insert(0, definition)  # indexes first: the foreign keys' checks use them
        return restore

    def restore(self, statements: Sequence[str]) -> None:
        started = time.monotonic()
        self.sql("", "SET LOCAL maintenance_work_mem = '512MB'")
        for statement in statements:
            self.sql("", statement)
        self.log(f"  indexes and foreign keys made again: {time.monotonic() - started:.1f} s")

    def handled_items(self) -> int:
        s = self.scale
        handled = s.items - round(s.items * s.open_share)
        start = self.now - timedelta(days=365 * s.years)
        end = self.now - timedelta(days=1, minutes=15)
        return self.insert(
            "handled items",
            Item,
            """
            INSERT INTO moderation_item (kind, platform_id, url, author, text, received_at, due_at, limit_at,
                handled_at, logged_at, account_id, handled_by_id, logged_by_id, alert_after, answer,
                answered_at, classification, close_reason, evidence_id, pile_on_risk, prohibited,
                requires_registration, registration, source, status, threat)
            SELECT t.kind, 'b' || t.g, '', 'Besökare ' || (t.g::bigint * 7919) %% 250000, t.text, t.received,
                   t.due,
                   t.lim, t.handled, t.received + interval '2 minutes', acc.id, acc.owner_id,
                   CASE WHEN t.source = 'form' THEN acc.owner_id END, NULL,
                   CASE WHEN t.answered THEN 'Tack för din fråga! Svaret finns på vår webbplats.' ELSE '' END,
                   CASE WHEN t.answered THEN t.handled END,
                   CASE WHEN t.answered THEN 'question' WHEN t.g %% 2 = 0 THEN 'comment' ELSE 'no_answer' END,
                   CASE WHEN t.answered THEN '' ELSE 'Kräver inget svar.' END, NULL, false, '[]'::jsonb,
                   t.g %% 97 = 0, CASE WHEN t.g %% 97 = 0 THEN 'required' ELSE 'undecided' END,
                   t.source, CASE WHEN t.answered THEN 'answered' ELSE 'closed' END,
                   false /*defaults*/
            FROM (
                SELECT d.*, LEAST(d.received + d.x * (d.lim - d.received) * 0.9,
                                  %(now)s::timestamptz - interval '1 minute') AS handled
                FROM (
                    SELECT r.*, r.due + CASE extract(isodow FROM r.due) WHEN 5 THEN interval '3 days'
                                             WHEN 6 THEN interval '2 days' ELSE interval '1 day' END AS lim
                    FROM (
                        SELECT b.*, b.received + CASE extract(isodow FROM b.received)
                                 WHEN 5 THEN interval '3 days' WHEN 6 THEN interval '2 days'
                                 ELSE interval '1 day' END AS due
                        FROM (
                            SELECT g,
                                   %(start)s::timestamptz + (g::float8 / %(handled)s) * %(span)s::interval
                                     + (random() - 0.5) * interval '20 minutes' AS received,
                                   1 + floor(%(accounts)s * random() ^ 3)::int AS an,
                                   random() AS x,
                                   g %% 100 < 64 AS answered,
                                   CASE WHEN g %% 10 = 0 THEN 'post' WHEN g %% 7 = 0 THEN 'message'
                                        ELSE 'comment' END AS kind,
                                   CASE WHEN g %% 10 < 7 THEN 'api' WHEN g %% 10 < 9 THEN 'form'
                                        ELSE 'import' END AS source,
                                   (ARRAY['Hej! När öppnar anmälan till','Varför har ni ändrat',
                                          'Tack för ett bra inlägg om','Hur söker man till',
                                          'Kan ni förklara','Bra jobbat med'])[1 + g %% 6] || ' ' ||
                                   (ARRAY['sjuksköterskeprogrammet','biblioteket','höstterminen',
                                          'antagningen','campus','forskningen om klimatet',
                                          'studentbostäderna','tentorna'])[1 + (g / 7) %% 8] || '? ' ||
                                   left(md5(g::text), 8 + g %% 24) AS text
                            FROM generate_series(1, %(handled)s) g
                        ) b
                    ) r
                ) d
            ) t
            JOIN bench_accounts acc ON acc.n = t.an
            """,
            {
                "now": self.now,
                "start": start,
                "span": end - start,
                "handled": handled,
                "accounts": s.accounts,
            },
        )

    def open_items(self) -> int:
        """The open items, with exact deadlines: most not yet due, the past-due ones a few days old."""
        s = self.scale
        total = round(s.items * s.open_share)
        past_due = round(s.items * s.past_due_share)
        institution = InstitutionSettings.objects.get_solo()
        calendar = institution.working_calendar()
        with connection.cursor() as cursor:
            cursor.execute("SELECT n, id, status FROM bench_accounts")
            accounts = {n: (pk, status) for n, pk, status in cursor.fetchall()}
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        rng = self.rng
        for k in range(total):
            overdue = k < past_due
            while True:
                ago = rng.uniform(25 * 3600, 14 * 86400) if overdue else rng.uniform(60, 23 * 3600)
                received = self.now - timedelta(seconds=ago)
                due, limit = response_deadlines(
                    received,
                    due_hours=institution.response_due_hours,
                    limit_hours=institution.response_limit_hours,
                    calendar=calendar,
                )
                if (due <= self.now) == overdue:
                    break
            n = 1 + int(s.accounts * rng.random() ** 3)
            while accounts[n][1] == "closed":
                n = n - 1 if n > 1 else s.accounts
            alert_after = (limit if limit > self.now else None) if overdue else due
            writer.writerow(
                [
                    "comment" if k % 5 else "message",
                    f"o{k}",
                    "",
                    f"Besökare {rng.randrange(250_000)}",
                    f"Hej! Hur söker man till höstterminen? {k}",
                    received.isoformat(),
                    due.isoformat(),
                    limit.isoformat(),
                    (received + timedelta(minutes=2)).isoformat(),
                    accounts[n][0],
                    alert_after.isoformat() if alert_after else "",
                    "",
                    "",
                    "question" if k % 3 == 0 else "",
                    "[]",
                    "api",
                    "open",
                    "f",
                    "f",
                    "f",
                ]
            )
        buffer.seek(0)
        started = time.monotonic()
        columns = (
            "kind, platform_id, url, author, text, received_at, due_at, limit_at, logged_at, account_id, "
            "alert_after, answer, close_reason, classification, prohibited, source, status, pile_on_risk, "
            "threat, requires_registration"
        )
        self.sql(
            "",
            f"CREATE TEMP TABLE bench_open ON COMMIT DROP AS SELECT {columns} FROM moderation_item LIMIT 0",  # noqa: S608
        )
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY bench_open ({columns}) FROM STDIN "
                "WITH (FORMAT csv, FORCE_NOT_NULL (url, answer, close_reason, classification))",
                buffer,
            )
        self.insert(
            "",
            Item,
            f"INSERT INTO moderation_item ({columns}) SELECT {columns} /*defaults*/ FROM bench_open",  # noqa: S608
        )
        self.log(f"  open items: {total:,} rows in {time.monotonic() - started:.1f} s (COPY)")
        return total

    def alerts(self) -> None:
        """What the sweep already sent for the past-due items: the reminder, and past the limit the
        escalation to the head of unit and the social media lead; half of them acknowledged."""
        for kind, target, moment, head in (
            ("due", "owners", "due_at", "NULL"),
            ("limit", "head_lead", "limit_at", "acc.head_id"),
        ):
            self.insert(
                f"alerts ({kind})",
                Alert,
                f"""
                INSERT INTO moderation_alert (kind, target, created_at, note, acknowledged_at,
                    acknowledged_by_id, created_by_id, item_id, head_id)
                SELECT %(kind)s, %(target)s, i.{moment} + interval '1 minute', '',
                       CASE WHEN i.id %% 2 = 0 THEN LEAST(i.{moment} + interval '2 hours', %(now)s) END,
                       CASE WHEN i.id %% 2 = 0 THEN acc.owner_id END, NULL, i.id, {head} /*defaults*/
                FROM moderation_item i JOIN bench_accounts acc ON acc.id = i.account_id
                WHERE i.status = 'open' AND i.{moment} <= %(now)s
                """,  # noqa: S608 - column names are ours
                {"kind": kind, "target": target, "now": self.now},
            )

    def log_entries(self) -> None:
        snapshot = """jsonb_build_object('status', {status}, 'classification', {classification},
            'prohibited', '[]'::jsonb, 'pile_on_risk', false, 'threat', false,
            'requires_registration', i.requires_registration,
            'registration', i.registration, 'answer', {answer},
            'close_reason', {reason}, 'evidence_id', NULL)"""
        logged = snapshot.format(status="'open'", classification="''", answer="''", reason="''")
        before = snapshot.format(status="'open'", classification="i.classification", answer="''", reason="''")
        after = snapshot.format(
            status="i.status", classification="i.classification", answer="i.answer", reason="i.close_reason"
        )
        self.insert(
            "log entries (logged)",
            LogEntry,
            f"""
            INSERT INTO moderation_logentry (action, at, note, before, after, actor_id, item_id)
            SELECT 'logged', i.logged_at, '', '{{}}'::jsonb, {logged}, i.logged_by_id, i.id /*defaults*/
            FROM moderation_item i
            """,  # noqa: S608
        )
        self.insert(
            "log entries (answered, closed)",
            LogEntry,
            f"""
            INSERT INTO moderation_logentry (action, at, note, before, after, actor_id, item_id)
            SELECT i.status, i.handled_at, '', {before}, {after}, i.handled_by_id, i.id /*defaults*/
            FROM moderation_item i WHERE i.handled_at IS NOT NULL
            """,  # noqa: S608
        )
        self.insert(
            "log entries (reminded, escalated)",
            LogEntry,
            f"""
            INSERT INTO moderation_logentry (action, at, note, before, after, actor_id, item_id)
            SELECT CASE a.kind WHEN 'due' THEN 'reminded' ELSE 'limit_passed' END, a.created_at, '',
                   '{{}}'::jsonb, {after}, NULL, i.id /*defaults*/
            FROM moderation_alert a JOIN moderation_item i ON i.id = a.item_id
            WHERE a.kind IN ('due', 'limit')
            """,  # noqa: S608
        )

    # --- What the benchmark reads ------------------------------------------------------------------------

    def facts(self) -> dict[str, Any]:
        def person(kind: str, n: int = 1) -> int:
            return int(self.one("SELECT id FROM bench_people WHERE kind = %s AND n = %s", [kind, n]))

        big = self.one("SELECT id FROM bench_accounts WHERE n = 1")
        year_end = self.now - timedelta(days=1)
        year_start = year_end - timedelta(days=365)
        # The export's account: the one whose last year holds nearest export_year_items items.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT a.id, (SELECT count(*) FROM moderation_item i WHERE i.account_id = a.id
                              AND i.received_at >= %s AND i.received_at < %s) AS year_items
                FROM bench_accounts a WHERE a.n <= 200 AND a.status = 'active'
                """,
                [year_start, year_end],
            )
            counts = cursor.fetchall()
        export_account, export_items = min(
            counts, key=lambda row: (abs(row[1] - self.scale.export_year_items), row[0])
        )
        return {
            "scale": self.scale.name,
            "now": self.now.isoformat(),
            "lead": person("lead"),
            "registrar": person("registrar"),
            "big_account": int(big),
            "big_owner": int(self.one("SELECT owner_id FROM bench_accounts WHERE n = 1")),
            "filter_unit": int(
                self.one("SELECT id FROM bench_units WHERE kind = 'faculty' ORDER BY n LIMIT 1")
            ),
            "export_account": int(export_account),
            "export_items": int(export_items),
            "export_start": year_start.date().isoformat(),
            "export_end": year_end.date().isoformat(),
        }

    def export_screenshots(self, info: dict[str, Any]) -> dict[str, Any]:
        """Screenshots of posts and replies, with real files (original and date-stamped copy), for the
        export account's items of the year."""
        count = self.scale.export_screenshots
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, received_at FROM moderation_item WHERE account_id = %s AND received_at >= %s "
                "AND received_at < %s ORDER BY md5(id::text) LIMIT %s",
                [
                    info["export_account"],
                    info["export_start"],
                    datetime.fromisoformat(info["export_end"]) + timedelta(days=1),
                    count,
                ],
            )
            items = cursor.fetchall()
        written = startpage_files(info["export_account"])
        media = Path(settings.MEDIA_ROOT)
        original, stamped = _png(b"original"), _png(b"stamped")
        rows = []
        for item_id, received_at in items:
            data = _with_text(original, f"item {item_id}")
            copy = _with_text(stamped, f"item {item_id} stamped")
            sha, stamped_sha = hashlib.sha256(data).hexdigest(), hashlib.sha256(copy).hexdigest()
            image_name = f"screenshots/{sha[:2]}/{sha}.png"
            stamped_name = f"stamped/{stamped_sha}.png"
            for name, content in ((image_name, data), (stamped_name, copy)):
                path = media / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                written += len(content)
            rows.append(
                (
                    image_name,
                    len(data),
                    sha,
                    received_at + timedelta(minutes=5),
                    info["export_account"],
                    item_id,
                    stamped_name,
                    stamped_sha,
                )
            )
        self.insert(
            "export screenshots' records",
            Screenshot,
            SCREENSHOT_INSERT
            + """
                VALUES ('item', 'upload', '', %s, 'image/png', 'png', 1280, 1600, %s, %s, %s, %s, '127.0.0.1',
                        %s, %s, NULL, %s, %s /*defaults*/)
                """,
            many=[
                (name, size, sha, sha, at, acc, item, st, st_sha)
                for name, size, sha, at, acc, item, st, st_sha in rows
            ],
        )
        self.log(f"  export screenshots: {len(rows):,} with {written / 1e6:.0f} MB of files")
        return {"export_screenshots": len(rows), "export_screenshot_bytes": written}


def startpage_files(account_id: int) -> int:
    """Real files for the start-page screenshots of one account (the export's), whose records the seed
    made without: the export copies and re-hashes every screenshot of the account. Returns the bytes."""
    media = Path(settings.MEDIA_ROOT)
    base, base_stamped = _png(b"startpage"), _png(b"startpage stamped")
    written = 0
    for shot in Screenshot.objects.filter(account_id=account_id, purpose=Screenshot.Purpose.STARTPAGE):
        data = _with_text(base, f"start page {shot.pk}")
        copy = _with_text(base_stamped, f"start page {shot.pk} stamped")
        sha, stamped_sha = hashlib.sha256(data).hexdigest(), hashlib.sha256(copy).hexdigest()
        image_name, stamped_name = f"screenshots/{sha[:2]}/{sha}.png", f"stamped/{stamped_sha}.png"
        for name, content in ((image_name, data), (stamped_name, copy)):
            (media / name).parent.mkdir(parents=True, exist_ok=True)
            (media / name).write_bytes(content)
            written += len(content)
        Screenshot.objects.filter(pk=shot.pk).update(
            image=image_name,
            sha256=sha,
            received_sha256=sha,
            size=len(data),
            stamped=stamped_name,
            stamped_sha256=stamped_sha,
        )
    return written


def with_defaults(model: type[Model], statement: str) -> str:
    """An INSERT written for today's columns, completed with Django's default of every other NOT NULL
    column (a field with a default, or a blank text field: ""), put where ``/*defaults*/`` stands, so
    that a field the model gains later does not break the load. ``%`` in a default is doubled: the
    statement is always run with parameters."""
    match = re.search(r"INSERT INTO \w+ \(([^)]*)\)", statement)
    assert match is not None
    assert "/*defaults*/" in statement
    given = {column.strip() for column in match.group(1).split(",")}
    columns, values = [], []
    with connection.cursor() as cursor:
        for field in model._meta.concrete_fields:
            if field.primary_key or field.null or field.column in given:
                continue
            default = field.get_default()
            if default is None:
                continue  # no default Django knows of (auto_now_add): the statement must name it
            value = field.get_db_prep_save(default, connection)
            columns.append(field.column)
            values.append(cursor.cursor.mogrify("%s", [value]).decode().replace("%", "%%"))
    if not columns:
        return statement
    statement = f"{statement[: match.end(1)]}, {', '.join(columns)}{statement[match.end(1) :]}"
    return statement.replace("/*defaults*/", ", " + ", ".join(values))


def _png(seed: bytes) -> bytes:
    """A 1280x1600 PNG of about 240 kB: a white page with a band that does not compress (as a photo in
    a screenshot does not)."""
    from PIL import Image

    noise = random.Random(seed).randbytes(1280 * 62 * 3)  # noqa: S311 - picture content
    image = Image.new("RGB", (1280, 1600), "white")
    image.paste(Image.frombytes("RGB", (1280, 62), noise), (0, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _with_text(png: bytes, text: str) -> bytes:
    """The same picture with a tEXt chunk before IEND: other bytes, so another SHA-256 and file name."""
    payload = b"Comment\x00" + text.encode()
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + payload) & 0xFFFFFFFF)
    return png[:-12] + chunk + png[-12:]

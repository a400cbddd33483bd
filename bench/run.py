"""``make bench``: seed (or reuse) the data set, measure the pages, the sweep and the export, print the
table and write bench/results.json. Run as ``python -m bench.run`` with DATABASE_URL set; the database
is created when it does not exist, and migrated.

    --skip-http     no gunicorn/locust (in-process figures only)
    --quick         short load runs (a smoke test of the harness, not figures to report); 2,000
                    webhook events instead of 10,000
    --parts webhook or polling (or both) alone run on a small data set (they need only accounts): give
                    them a database of their own (DATABASE_URL=…/kanalvakt_bench_webhook) so that it
                    never stands in for the full one
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PROFILES = BENCH_DIR / "profiles"
RESULTS = BENCH_DIR / "results.json"
VENV_BIN = Path(sys.executable).parent

USERS = 20
STEADY_S = 60
SATURATED_S = 15
SPAWN_S = 3
THINK_S = (0.5, 2.0)
# The steady mix: what people open most. The floor is measured on its own, never in the mix.
WEIGHTS = {
    "registry": 3,
    "registry_filtered": 2,
    "account": 2,
    "inbox_first": 3,
    "inbox_deepest": 1,
    "queue": 4,
    "public": 2,
    "floor": 0,
}


def log(message: str) -> None:
    print(message, flush=True)


# --- The database -----------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the database DATABASE_URL names when it does not exist (on the same server)."""
    import psycopg2  # type: ignore[import-untyped]

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    server = psycopg2.connect(
        dbname="postgres",
        user=parsed.username or "",
        password=parsed.password or "",
        host=parsed.hostname or "",
        port=parsed.port or 5432,
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()


# --- The machine -------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    from django.db import connection

    memory_kb = 0
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (postgres,) = cursor.fetchone() or ("?",)
        cursor.execute("SHOW shared_buffers")
        (shared_buffers,) = cursor.fetchone() or ("?",)
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "django": version("django"),
        "postgresql": postgres,
        "postgresql_shared_buffers": shared_buffers,
        "gunicorn": version("gunicorn"),
        "locust": version("locust"),
        "os": platform.platform(),
    }


def data_sizes() -> dict[str, Any]:
    from django.db import connection

    from bench.seed import SEEDED_TABLES

    tables = [*SEEDED_TABLES, "core_notification"]
    sizes: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")  # noqa: S608
            rows, size = cursor.fetchone() or (0, 0)
            sizes[table] = {"rows": rows, "mb": round(size / 1e6)}
        cursor.execute(
            "SELECT count(*) FILTER (WHERE handled_at IS NULL), "
            "count(*) FILTER (WHERE handled_at IS NULL AND due_at <= now()), "
            "min(received_at), max(received_at) "
            "FROM moderation_item"
        )
        open_items, past_due, first, last = cursor.fetchone() or (0, 0, None, None)
        cursor.execute("SELECT pg_database_size(current_database())")
        (database,) = cursor.fetchone() or (0,)
    sizes["moderation_item"].update(
        open=open_items,
        past_due=past_due,
        received_from=first.date().isoformat() if first else None,
        received_to=last.date().isoformat() if last else None,
    )
    sizes["database_gb"] = round(database / 1e9, 2)
    return sizes


# --- HTTP under load ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(workers: int) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    process = subprocess.Popen(  # noqa: S603
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/officiella-konton/", timeout=30):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def drain(base: str, *, limit_s: float = 90) -> None:
    """Wait until the server answers a cheap page at once again (its workers are free)."""
    deadline = time.monotonic() + limit_s
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/health/", timeout=60):  # noqa: S310
            pass
        quick = quick + 1 if time.monotonic() - started < 0.1 else 0
        time.sleep(0.2)


def locust(
    base: str, pages: list[dict[str, Any]], *, seconds: int, think: tuple[float, float], only: str = ""
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kanalvakt-bench-") as folder:
        config = Path(folder) / "config.json"
        config.write_text(json.dumps({"pages": pages, "think": list(think), "only": only}))
        prefix = Path(folder) / "run"
        subprocess.run(  # noqa: S603
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(BENCH_DIR / "locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(USERS),
                "--run-time",
                f"{seconds + SPAWN_S}s",
                "--host",
                base,
                "--csv",
                str(prefix),
                "--reset-stats",
                "--only-summary",
                "--loglevel",
                "ERROR",
                "--stop-timeout",
                "5",
            ],
            cwd=ROOT,
            env={**os.environ, "BENCH_LOCUST_CONFIG": str(config)},
            check=False,
            capture_output=True,
        )
        with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as stats:
            rows = {row["Name"]: row for row in csv.DictReader(stats)}

    def figures(row: dict[str, str]) -> dict[str, Any]:
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
            "rps": round(float(row["Requests/s"]), 1),
        }

    return {name: figures(row) for name, row in rows.items() if row["Request Count"] not in ("", "0")}


# --- Targets ---------------------------------------------------------------------------------------------


def target(name: str, value: Any, limit: float, *, at_most: bool, unit: str) -> dict[str, Any]:
    if value is None:
        return {
            "target": name,
            "value": None,
            "limit": limit,
            "unit": unit,
            "met": False,
            "miss": "not measured",
        }
    met = value <= limit if at_most else value >= limit
    miss = ""
    if not met:
        if at_most:
            miss = (
                f"{value / limit:.1f}x the limit (+{value - limit:g} {unit})" if limit else f"{value} {unit}"
            )
        else:
            miss = f"{(1 - value / limit) * 100:.0f} % short ({limit - value:g} {unit} below)"
    return {"target": name, "value": value, "limit": limit, "unit": unit, "met": met, "miss": miss}


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    pages, http, sweep, export, hook = (
        results.get(k) or {} for k in ("pages", "http", "sweep", "export", "webhook")
    )
    poll = results.get("polling") or {}
    checks = []
    for key, page in pages.items():
        if key != "floor":
            checks.append(
                target(f"{key}: SQL queries per request", page["queries"], 8, at_most=True, unit="queries")
            )
    for key in ("registry", "registry_filtered"):
        if key in pages:
            checks.append(target(f"{key}: in-process p95", pages[key]["p95_ms"], 50, at_most=True, unit="ms"))
    if "inbox_deepest" in pages:
        checks.append(
            target(
                "inbox_deepest: in-process p95", pages["inbox_deepest"]["p95_ms"], 50, at_most=True, unit="ms"
            )
        )
    steady = (http.get("steady") or {}).get("Aggregated")
    if http:
        checks.append(
            target("HTTP p95 at 20 users", steady and steady["p95_ms"], 200, at_most=True, unit="ms")
        )
        checks.append(
            target("HTTP p99 at 20 users", steady and steady["p99_ms"], 400, at_most=True, unit="ms")
        )
        checks.append(
            target("HTTP errors at 20 users", steady and steady["failures"], 0, at_most=True, unit="errors")
        )
        mixed = (http.get("saturated_mix") or {}).get("Aggregated")
        checks.append(
            target("saturated throughput (mix)", mixed and mixed["rps"], 60, at_most=False, unit="req/s")
        )
    if sweep:
        idle = sweep.get("idle") or {}
        checks.append(target("sweep idle claim (p50)", idle.get("claim_p50_ms"), 1, at_most=True, unit="ms"))
        checks.append(
            target(
                "sweep idle claim uses item_alert_after_idx",
                1 if idle.get("uses_partial_index") else 0,
                1,
                at_most=False,
                unit="",
            )
        )
        due = sweep.get("due") or {}
        checks.append(
            target(
                "sweep: due items/s per worker",
                due.get("sweep_rows_per_s"),
                5000,
                at_most=False,
                unit="items/s",
            )
        )
        checks.append(target("sweep: 100,000 due cleared", due.get("sweep_s"), 30, at_most=True, unit="s"))
        checks.append(target("sweep: time vs raw SQL", due.get("ratio_to_raw"), 2, at_most=True, unit="x"))
    if export:
        checks.append(target("export throughput", export.get("mb_per_s"), 20, at_most=False, unit="MB/s"))
    if hook:
        checks.append(target("webhook receive p95", hook.get("receive_p95_ms"), 30, at_most=True, unit="ms"))
        checks.append(
            target("webhook end to end", hook.get("items_per_s"), 500, at_most=False, unit="items/s")
        )
    if poll:
        # KAU-RESP-DAILY: one UPDATE per connection, plus the claim's two statements per batch of 50
        # (and the last claim, which finds nothing).
        checks.append(
            target(
                "polling: statements per connection (nothing new)",
                poll.get("statements_per_connection"),
                1.05,
                at_most=True,
                unit="",
            )
        )
        checks.append(
            target(
                "polling: 1,000 connections, share of the interval",
                poll.get("share_of_interval"),
                0.5,
                at_most=True,
                unit="",
            )
        )
    return checks


# --- The run -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-profiles", action="store_true")
    parser.add_argument(
        "--parts",
        default="pages,http,sweep,export,webhook,polling",
        help="a comma-separated subset; results.json only for all",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if args.skip_http:
        parts.discard("http")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("make bench needs DATABASE_URL=postgres://… (PostgreSQL).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from bench import export as export_bench
    from bench import pages as page_bench
    from bench.seed import FULL, Scale, seed

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    results: dict[str, Any] = {"started_at": timezone.now().isoformat(), "machine": machine()}
    log("== seed")
    # The webhook intake needs only accounts: run alone, it runs on a small data set (in a database
    # of its own, e.g. DATABASE_URL=…/kanalvakt_bench_webhook, so as not to stand in for the full one).
    small = parts <= {"webhook", "polling"}
    scale = Scale(accounts=20, units=5, items=2_000, years=1, export_screenshots=2, export_year_items=50)
    info = seed(scale if small else FULL, log=log)
    results["seed"] = {
        k: info[k]
        for k in ("scale", "seconds", "seeded_at", "reused", "handled_items", "open_items")
        if k in info
    }
    results["data"] = data_sizes()
    profiles: dict[str, list[str]] = {}
    if PROFILES.exists():
        shutil.rmtree(PROFILES)

    log("== pages (in-process)")
    clients = page_bench.Clients()
    measured = page_bench.pages(info) if parts & {"pages", "http"} else []
    results["pages"] = {}
    for page in measured if "pages" in parts else []:
        figures = page_bench.measure(page, clients, runs=15 if args.quick else 40)
        results["pages"][page.key] = figures
        log(
            f"  {page.key}: {figures['queries']} queries, "
            f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms"
        )

    if "http" in parts:
        log("== HTTP (gunicorn + locust)")
        workers = 2 * (os.cpu_count() or 1)
        load_pages = [
            {
                "key": p.key,
                "path": p.path,
                "cookie": clients.session_cookie(p.user_id),
                "weight": WEIGHTS[p.key],
            }
            for p in measured
        ]
        steady_s, saturated_s = (10, 5) if args.quick else (STEADY_S, SATURATED_S)
        http: dict[str, Any] = {
            "workers": workers,
            "users": USERS,
            "think_s": THINK_S,
            "steady_s": steady_s,
            "saturated_s": saturated_s,
        }
        # The floor first, on an idle server; every run after the server has drained the last one's
        # requests (a slow page's requests go on after locust stops).
        measured_order = sorted(measured, key=lambda p: p.key != "floor")
        with gunicorn(workers) as base:
            log(f"  steady: {USERS} users, think time {THINK_S[0]}–{THINK_S[1]} s, {steady_s} s")
            http["steady"] = locust(base, load_pages, seconds=steady_s, think=THINK_S)
            drain(base)
            log("  saturated: the mix")
            http["saturated_mix"] = locust(base, load_pages, seconds=saturated_s, think=(0, 0))
            http["saturated"] = {}
            for page in measured_order:
                drain(base)
                log(f"  saturated: {page.key}")
                http["saturated"][page.key] = locust(
                    base, load_pages, seconds=saturated_s, think=(0, 0), only=page.key
                ).get(page.key)
        floor_rps = (http["saturated"].get("floor") or {}).get("rps") or 0
        http["ratio_to_floor"] = {
            key: round(figures["rps"] / floor_rps, 2) if figures and floor_rps else None
            for key, figures in http["saturated"].items()
        }
        results["http"] = http

    if "sweep" in parts:
        sweep(results, quick=args.quick)
    if "export" in parts:
        log("== export")
        results["export"] = export_bench.export_year(info)
        log(f"  {results['export']['bag_mb']} MB in {results['export']['seconds']} s")

    if "webhook" in parts:
        from bench import webhook as webhook_bench

        log("== webhook intake (gunicorn + a Celery worker on Redis)")
        results["webhook"] = webhook_bench.intake(gunicorn, events=2_000 if args.quick else 10_000, log=log)
        hook = results["webhook"]
        log(
            f"  {hook['events']:,} events in {hook['deliveries']} deliveries: receive p95 "
            f"{hook['receive_p95_ms']} ms; {hook['items']:,} items in {hook['end_to_end_s']} s "
            f"= {hook['items_per_s']} items/s"
        )

    if "polling" in parts:
        from bench import polling as polling_bench

        log("== polling: 1,000 Mastodon connections with nothing new")
        results["polling"] = poll = polling_bench.idle(log=log)
        log(
            f"  {poll['connections']:,} connections in {poll['seconds']} s "
            f"({poll['share_of_interval']:.1%} of the {poll['interval_s']:g} s interval); "
            f"{poll['statements_per_connection']} statements and "
            f"{poll['http_requests'] / max(poll['connections'], 1):g} HTTP requests per connection"
        )

    results["targets"] = evaluate(results)
    if not args.no_profiles:
        profiles = profile_misses(results, info, clients, measured)
    results["profiles"] = profiles
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["total_s"] = round(time.monotonic() - started)
    print(table(results))
    if parts >= {"pages", "http", "sweep", "export", "webhook", "polling"} and not args.quick:
        RESULTS.write_text(
            json.dumps(results, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        log(f"written {RESULTS.relative_to(ROOT)} in {results['total_s']} s")
    else:
        log(f"a partial or quick run: {RESULTS.relative_to(ROOT)} left as it was ({results['total_s']} s)")


def sweep(results: dict[str, Any], *, quick: bool) -> None:
    from django.utils import timezone

    from bench import sweep as sweep_bench

    log("== sweep")
    now = timezone.now()
    results["sweep"] = {"idle": sweep_bench.idle(now)}
    log(
        f"  idle claim: {results['sweep']['idle']['claim_p50_ms']} ms, "
        f"partial index: {results['sweep']['idle']['uses_partial_index']}"
    )
    results["sweep"]["due"] = sweep_bench.due(timezone.now(), count=20_000 if quick else 100_000)
    due = results["sweep"]["due"]
    log(
        f"  due: {due['swept']:,} in {due['sweep_s']} s ({due['sweep_rows_per_s']}/s); "
        f"raw SQL {due['raw_s']} s"
    )


def profile_misses(
    results: dict[str, Any], info: dict[str, Any], clients: Any, measured: list[Any]
) -> dict[str, list[str]]:
    """A pyinstrument profile of each missed target's code path, in bench/profiles/ (not committed)."""
    from django.db import transaction
    from django.utils import timezone

    from bench import export as export_bench
    from bench import pages as page_bench
    from bench import sweep as sweep_bench
    from moderation import sweep

    missed = {check["target"] for check in results["targets"] if not check["met"]}
    profiles: dict[str, list[str]] = {}
    by_key = {page.key: page for page in measured}
    page_keys = {name.split(":")[0] for name in missed if name.split(":")[0] in by_key}
    if any(name.startswith(("HTTP", "saturated")) for name in missed):
        # The slowest pages under load are the path to profile.
        saturated = (results.get("http") or {}).get("saturated") or {}
        slowest = sorted((f["rps"], k) for k, f in saturated.items() if f and k != "floor")[:3]
        page_keys |= {key for _rps, key in slowest}
    for key in sorted(page_keys):
        page = by_key[key]
        client = clients(page.user_id)
        log(f"  profiling page {key}")
        profiles[f"page_{key}"] = page_bench.profile(f"page_{key}", partial(client.get, page.path), PROFILES)
    if any(name.startswith("sweep:") for name in missed):
        log("  profiling the sweep (10,000 due items, rolled back)")

        def sweep_10k() -> None:
            with transaction.atomic():
                now = timezone.now()
                sweep_bench._make_due(now, 10_000)
                sweep.sweep_deadlines(now=now)
                transaction.set_rollback(True)

        profiles["sweep"] = page_bench.profile("sweep", sweep_10k, PROFILES, repeat=1)
        sweep_bench.vacuum()
    if any(name.startswith("export") for name in missed):
        log("  profiling the export")
        profiles["export"] = page_bench.profile(
            "export", lambda: export_bench.export_year(info), PROFILES, repeat=1
        )
    return profiles


def table(results: dict[str, Any]) -> str:
    """The figures as Markdown (the README's Performance section is this table)."""
    lines = []
    m, data = results["machine"], results["data"]
    lines.append(
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB; PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}, locust {m['locust']}; "
        f"load average at start {m['load_average_at_start'][0]:.1f}."
    )
    item = data["moderation_item"]
    lines.append(
        f"Data: {data['accounts_account']['rows']:,} accounts, {data['core_orgunit']['rows']:,} units, "
        f"{data['core_user']['rows']:,} people; {item['rows']:,} items "
        f"({item['received_from']} – {item['received_to']}; {item['open']:,} open, "
        f"{item['past_due']:,} past due), {data['moderation_logentry']['rows']:,} log entries; "
        f"database {data['database_gb']} GB."
    )
    lines.append("")
    http = results.get("http") or {}
    steady = http.get("steady") or {}
    lines.append(
        "| page | queries | in-process p50 / p95 (ms) | HTTP p50 / p95 / p99 (ms), 20 users | errors "
        "| saturated req/s | x floor |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for key, page in results["pages"].items():
        h = steady.get(key) or {}
        s = (http.get("saturated") or {}).get(key) or {}
        ratio = (http.get("ratio_to_floor") or {}).get(key)
        lines.append(
            f"| {page['label']} | {page['queries']} | {page['p50_ms']} / {page['p95_ms']} | "
            + (f"{h['p50_ms']:g} / {h['p95_ms']:g} / {h['p99_ms']:g}" if h else "–")
            + f" | {h.get('failures', '–')} | {s.get('rps', '–')} | {ratio if ratio is not None else '–'} |"
        )
    agg = steady.get("Aggregated")
    mix = (http.get("saturated_mix") or {}).get("Aggregated")
    if agg:
        lines.append(
            f"| **all, mixed** | | | **{agg['p50_ms']:g} / {agg['p95_ms']:g} / {agg['p99_ms']:g}** "
            f"({agg['requests']:,} requests, {agg['rps']} req/s) | {agg['failures']} "
            f"| {mix['rps'] if mix else '–'} | |"
        )
    sweep = results.get("sweep") or {}
    idle, due = sweep.get("idle") or {}, sweep.get("due") or {}
    export = results.get("export") or {}
    lines.append("")
    lines.append("| sweep and export | figure |")
    lines.append("|---|---|")
    lines.append(
        f"| idle claim (nothing due) | {idle.get('claim_p50_ms')} ms per claim, SQL round trip p50 "
        f"(in PostgreSQL {idle.get('plan_execution_ms')} ms; "
        f"through the ORM {idle.get('claim_orm_p50_ms')} ms), "
        f"item_alert_after_idx {'used' if idle.get('uses_partial_index') else 'NOT used'} |"
    )
    lines.append(
        f"| {due.get('made_due', 0):,} due, one worker | "
        f"{due.get('swept', 0):,} items in {due.get('sweep_s')} s "
        f"= {due.get('sweep_rows_per_s')} items/s |"
    )
    lines.append(
        f"| the same marking, one raw SQL statement | {due.get('raw_s')} s "
        f"(sweep = {due.get('ratio_to_raw')}x raw) |"
    )
    lines.append(
        f"| BagIt export of one account's year | {export.get('items')} items, "
        f"{export.get('screenshots')} screenshots, "
        f"{export.get('bag_mb')} MB in {export.get('seconds')} s = {export.get('mb_per_s')} MB/s |"
    )
    hook = results.get("webhook") or {}
    if hook:
        lines.append(
            f"| webhook intake: {hook.get('events', 0):,} signed events in {hook.get('deliveries')} "
            f"deliveries | receive p50 / p95 / p99 {hook.get('receive_p50_ms')} / "
            f"{hook.get('receive_p95_ms')} / {hook.get('receive_p99_ms')} ms; "
            f"{hook.get('items', 0):,} items in {hook.get('end_to_end_s')} s end to end "
            f"= {hook.get('items_per_s')} items/s ({hook.get('worker')}) |"
        )
    poll = results.get("polling") or {}
    if poll:
        lines.append(
            f"| polling {poll.get('connections', 0):,} Mastodon connections with nothing new | "
            f"{poll.get('seconds')} s ({poll.get('per_connection_ms')} ms each) against a "
            f"{poll.get('interval_s'):g} s interval; {poll.get('statements_per_connection')} statements "
            f"and {poll.get('http_requests', 0) / max(poll.get('connections', 1), 1):g} HTTP requests "
            f"per connection |"
        )
    lines.append("")
    lines.append("| target | measured | limit | met |")
    lines.append("|---|---:|---:|---|")
    for check in results.get("targets", []):
        verdict = "yes" if check["met"] else f"**no**: {check['miss']}"
        lines.append(
            f"| {check['target']} | {check['value']} {check['unit']} "
            f"| {check['limit']} {check['unit']} | {verdict} |"
        )
    lines.append(
        f"\nMeasured {datetime.fromisoformat(results['started_at']):%Y-%m-%d %H:%M} UTC "
        f"in {results.get('total_s')} s."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""The organisation tree and the institution's settings moved from governance to core with every row
kept: tables, history, content types, permissions and guardian's object permissions.

A second process migrates a database of its own (a SQLite file, and a PostgreSQL database beside the
test database), fills it with the demonstration's people, units, accounts and requests, and reads
everything the move touches; then it migrates back to before the move and forward again, reading the
same after each step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

# Run in the second process: migrate, seed, then read before and after the move, both ways.
_CHECK = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

call_command("migrate", verbosity=0)

from django.utils import timezone
from core.roles import sync_roles
from demo.accounts import seed_accounts
from demo.governance import seed_people, seed_requests, seed_units

# The demonstration's part that the move touches: the roles and their permissions, the people, the
# units and the settings, and the accounts and requests that point at the units. The rest of the demo
# (items, packages, consents) is not read here and would only make each migration step slower.
sync_roles()
people = seed_people()
units = seed_units(people)
seed_accounts(people, units)
seed_requests(people, units, now=timezone.now())

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from guardian.shortcuts import assign_perm
from core.models import OrgUnit, User

# One object permission on a unit, so that guardian's rows are seen to follow the content type.
assign_perm("core.view_orgunit", User.objects.order_by("pk").first(), OrgUnit.objects.order_by("pk").first())

UNITS = "('orgunit', 'historicalorgunit', 'institutionsettings', 'historicalinstitutionsettings')"
QUERIES = {
    "units": "SELECT id, name, code, kind, path, parent_id, head_id, is_active FROM {app}_orgunit ORDER BY 1",
    "unit_history": "SELECT history_id, id, name, path, history_type FROM {app}_historicalorgunit ORDER BY 1",
    "settings": "SELECT id, institution_name, extra_days_off FROM {app}_institutionsettings",
    "settings_history": "SELECT COUNT(*) FROM {app}_historicalinstitutionsettings",
    "accounts": "SELECT id, unit_id FROM accounts_account ORDER BY 1",
    "requests": "SELECT id, unit_id FROM governance_accountrequest ORDER BY 1",
    "content_types": (
        "SELECT id, app_label, model FROM django_content_type WHERE model IN " + UNITS + " ORDER BY 1"
    ),
    "permissions": (
        "SELECT p.id, p.codename, c.app_label FROM auth_permission p "
        "JOIN django_content_type c ON c.id = p.content_type_id WHERE c.model IN " + UNITS + " ORDER BY 1"
    ),
    "group_permissions": (
        "SELECT gp.group_id, gp.permission_id FROM auth_group_permissions gp "
        "JOIN auth_permission p ON p.id = gp.permission_id "
        "JOIN django_content_type c ON c.id = p.content_type_id WHERE c.model IN " + UNITS + " ORDER BY 1, 2"
    ),
    "object_permissions": (
        "SELECT o.user_id, o.object_pk, c.app_label, c.model FROM guardian_userobjectpermission o "
        "JOIN django_content_type c ON c.id = o.content_type_id WHERE c.model = 'orgunit' ORDER BY 1, 2"
    ),
}


def read(app):
    with connection.cursor() as cursor:
        out = {}
        for key, sql in QUERIES.items():
            cursor.execute(sql.format(app=app))
            out[key] = [list(map(str, row)) for row in cursor.fetchall()]
    return out


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


after = read("core")
migrate([("core", "0005_user_break_glass")])
before = read("governance")
leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
migrate(leaves)
again = read("core")
print(json.dumps({"after": after, "before": before, "again": again}))
"""


def _run(database_url: str) -> dict[str, Any]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url}
    env["LOG_LEVEL"] = "ERROR"
    done = subprocess.run(
        [sys.executable, "-c", _CHECK],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _assert_every_row_kept(result: dict[str, Any]) -> None:
    after, before, again = result["after"], result["before"], result["again"]
    assert len(after["units"]) >= 5
    assert len(after["accounts"]) >= 5
    assert len(after["requests"]) >= 1
    assert len(after["unit_history"]) >= len(after["units"])
    assert after["settings"]
    assert after["object_permissions"]
    assert any(codename == "change_institutionsettings" for _id, codename, _app in after["permissions"])
    assert after["group_permissions"], "the roles hold permissions on units and settings"
    # Before the move: the same rows under governance, the same content type and permission ids.
    for key in ("units", "unit_history", "settings", "settings_history", "accounts", "requests"):
        assert before[key] == after[key], key
        assert again[key] == after[key], key
    assert [row[0] for row in before["content_types"]] == [row[0] for row in after["content_types"]]
    assert {row[1] for row in before["content_types"]} == {"governance"}
    assert {row[1] for row in after["content_types"]} == {"core"}
    assert [row[:2] for row in before["permissions"]] == [row[:2] for row in after["permissions"]]
    assert before["group_permissions"] == after["group_permissions"] == again["group_permissions"]
    objects_before = [row[:2] for row in before["object_permissions"]]
    assert objects_before == [row[:2] for row in after["object_permissions"]]
    assert again == after


def test_every_row_is_kept_on_sqlite(tmp_path: Path) -> None:
    _assert_every_row_kept(_run(f"sqlite:///{tmp_path / 'move.sqlite3'}"))


@pytest.mark.postgres
def test_every_row_is_kept_on_postgresql() -> None:
    import psycopg2  # type: ignore[import-untyped]

    db = settings.DATABASES["default"]
    name = f"kanalvakt_move_{uuid.uuid4().hex[:8]}"
    server = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    admin = psycopg2.connect(dbname="postgres", **server)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        user = server["user"] or ""
        auth = f"{user}:{server['password']}@" if server["password"] else f"{user}@"
        _assert_every_row_kept(_run(f"postgres://{auth}{server['host']}:{server['port']}/{name}"))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

"""manage.py connect_account: what the connection page does, from a script; the token from a file or
standard input, never the command line; a refusal exits with 1 and stores nothing."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account
from connectors.models import Connection
from tests.conftest import Cast
from tests.connectors.standin import StandIn
from tests.connectors.test_connect import GOOD, PAGE_ID, graph
from tests.support import ROOT

__all__ = ["graph"]


@pytest.fixture
def account(make_account: Any) -> Account:
    return make_account(platform="facebook_page", name="Karlstads universitet")


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("connect_account", *args, stdout=out)
    finally:
        sys.stdin = old_stdin
    return out.getvalue()


def test_connecting_with_a_token_file(cast: Cast, account: Account, graph: StandIn, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(GOOD + "\n")
    out = run(
        str(account.pk), "--platform", "facebook", "--external-id", PAGE_ID, "--token-file", str(token_file)
    )
    assert "Connected Karlstads universitet" in out
    assert PAGE_ID in out
    assert str(Connection.Health.ACTIVE.label) in out
    assert GOOD not in out
    made = Connection.objects.get()
    assert made.token == GOOD
    assert made.connected_by is None
    assert graph.sent("GET", rf"/v24\.0/{PAGE_ID}")[0].query["access_token"] == GOOD


def test_the_token_from_standard_input(cast: Cast, account: Account, graph: StandIn) -> None:
    run(str(account.pk), "--platform", "facebook", "--external-id", PAGE_ID, "--token-file", "-", stdin=GOOD)
    assert Connection.objects.get().token == GOOD


def test_without_a_token_the_connection_receives_but_cannot_answer(
    cast: Cast, account: Account, graph: StandIn
) -> None:
    out = run(str(account.pk), "--platform", "facebook", "--external-id", PAGE_ID)
    assert str(Connection.Health.ATTENTION.label) in out
    assert str(Connection.Cause.NO_TOKEN.label) in out
    assert graph.sent() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "instagram", "--external-id", PAGE_ID], "kan inte kopplas till Instagram"),
        (["--platform", "facebook", "--external-id", "abc"], "bara siffror"),
        (
            ["--platform", "facebook", "--external-id", PAGE_ID, "--token-file", "/nonexistent/token"],
            "could not be read",
        ),
    ],
)
def test_refused_input_is_a_clear_message_and_stores_nothing(
    cast: Cast, account: Account, graph: StandIn, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError) as refused:
        run(str(account.pk), *args)
    assert message in str(refused.value)
    assert not Connection.objects.exists()


def test_a_refused_token_and_an_unknown_account(
    cast: Cast, account: Account, graph: StandIn, tmp_path: Path
) -> None:
    bad = tmp_path / "token"
    bad.write_text("EAAExpired")
    with pytest.raises(CommandError) as refused:
        run(str(account.pk), "--platform", "facebook", "--external-id", PAGE_ID, "--token-file", str(bad))
    assert "Meta godtog inte token" in str(refused.value)
    assert "EAAExpired" not in str(refused.value)
    with pytest.raises(CommandError, match="No account with id 999999"):
        run("999999", "--platform", "facebook", "--external-id", PAGE_ID)
    assert not Connection.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_token_cannot_be_given_on_the_command_line_and_a_refusal_exits_with_1(tmp_path: Path) -> None:
    """Run as a script would: the argument parser knows no --token, and a refusal is exit code 1.

    On PostgreSQL the script uses this test's database, already migrated; on SQLite (an in-memory
    test database) it migrates a file of its own first."""
    import os

    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KANALVAKT_VAR_DIR"] = str(tmp_path / "var")
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert migrate.returncode == 0, migrate.stderr
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "connect_account",
            "1",
            "--platform",
            "facebook",
            "--external-id",
            "1",
            "--token",
            GOOD,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "unrecognized arguments" in result.stderr
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "connect_account",
            "424242",
            "--platform",
            "facebook",
            "--external-id",
            "1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "No account with id 424242" in result.stderr

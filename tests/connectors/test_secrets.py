"""Tokens at rest: encrypted with KANALVAKT_SECRETS_KEY (core.secrets), keys rotated by putting the new
one first, and production's ``check --deploy`` refusing to pass without a key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest

from core.secrets import SecretUnreadable, decrypt, encrypt, new_key
from tests.support import assert_check_deploy_is_clean, run_project


def test_a_token_is_encrypted_and_read_back(settings: Any) -> None:
    settings.KANALVAKT_SECRETS_KEY = new_key()
    stored = encrypt("EAAToken")
    assert "EAAToken" not in stored
    assert stored != encrypt("EAAToken")
    assert decrypt(stored) == "EAAToken"
    assert encrypt("") == ""
    assert decrypt("") == ""


def test_a_new_key_first_still_reads_what_the_old_one_wrote(settings: Any) -> None:
    old, new = new_key(), new_key()
    settings.KANALVAKT_SECRETS_KEY = old
    stored = encrypt("EAAToken")
    settings.KANALVAKT_SECRETS_KEY = f"{new},{old}"
    assert decrypt(stored) == "EAAToken"
    settings.KANALVAKT_SECRETS_KEY = new
    with pytest.raises(SecretUnreadable):
        decrypt(stored)


def _production(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "KANALVAKT_ENV",
            "DEBUG",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "KANALVAKT_SECRETS_KEY",
        }
    }
    env.update(
        {
            "KANALVAKT_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "kanalvakt.example.se",
            "KANALVAKT_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    env.update(extra)
    return env


def test_check_deploy_fails_in_production_without_the_secrets_key(tmp_path: Path) -> None:
    result = run_project(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production(tmp_path))
    assert result.returncode != 0
    assert "kanalvakt.E010" in result.stderr + result.stdout
    assert "KANALVAKT_SECRETS_KEY is empty" in result.stderr + result.stdout
    assert not (tmp_path / "var" / "secrets_key").exists()  # production never makes one up


def test_check_deploy_passes_in_production_with_the_secrets_key(tmp_path: Path) -> None:
    assert_check_deploy_is_clean(_production(tmp_path, KANALVAKT_SECRETS_KEY=f"{new_key()},{new_key()}"))


def test_a_malformed_secrets_key_stops_kanalvakt_at_start(tmp_path: Path) -> None:
    result = run_project(["manage.py", "check"], _production(tmp_path, KANALVAKT_SECRETS_KEY="not-a-key"))
    assert result.returncode != 0
    assert "KANALVAKT_SECRETS_KEY must hold Fernet keys" in result.stderr

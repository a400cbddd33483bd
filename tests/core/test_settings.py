"""Configuration from the environment: embedded defaults, PostgreSQL by DATABASE_URL, production posture."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from core.secrets import new_key
from tests.support import assert_check_deploy_is_clean, run_project


def run_python(code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "KANALVAKT_ENV"}
    }
    clean.update({"KANALVAKT_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "config.settings"})
    clean.update(env)
    return run_project(["-c", code], clean)


def test_nothing_configured_means_sqlite_and_filesystem_broker_in_var(tmp_path: Path) -> None:
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE']); print(s.DATABASES['default']['NAME']); "
        "print(s.CELERY_BROKER_URL); print(s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']); "
        "print(s.DEBUG, s.TIME_ZONE, s.USE_TZ, s.LANGUAGE_CODE)",
        {},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    engine, name, broker, folder, flags = result.stdout.strip().splitlines()
    assert engine == "django.db.backends.sqlite3"
    assert name == str(tmp_path / "var" / "kanalvakt.sqlite3")
    assert broker == "filesystem://localhost/"
    assert Path(folder).is_dir()
    assert Path(folder).is_relative_to(tmp_path / "var")
    assert flags == "True Europe/Stockholm True sv"


@pytest.mark.postgres
def test_database_url_switches_to_a_working_postgresql(tmp_path: Path) -> None:
    from django.db import connection

    params = connection.settings_dict
    host = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    url = f"postgres://{params['USER'] or 'root'}@{host}/postgres"
    result = run_python(
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('select version()'); "
        "print(connection.vendor); print(c.fetchone()[0].split()[0])",
        {"DATABASE_URL": url},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["postgresql", "PostgreSQL"]


def test_celery_broker_url_switches_to_redis(tmp_path: Path) -> None:
    result = run_python(
        "from config.celery import app; print(app.conf.broker_url); print(app.connection().transport_cls)",
        {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/3"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["redis://127.0.0.1:6379/3", "redis"]


def _production_env() -> dict[str, str]:
    return {
        "KANALVAKT_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "kanalvakt.example.se",
        # The platforms' tokens are encrypted with it; check --deploy requires it (core/checks.py).
        "KANALVAKT_SECRETS_KEY": new_key(),
    }


def test_production_settings_pass_check_deploy_without_warnings(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "KANALVAKT_ENV", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(_production_env())
    env["KANALVAKT_VAR_DIR"] = str(tmp_path / "var")
    assert_check_deploy_is_clean(env)


def test_production_posture(tmp_path: Path) -> None:
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.EMAIL_BACKEND.rsplit('.', 1)[-1])",
        _production_env(),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "EmailBackend"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_secret_key_or_hosts(tmp_path: Path, missing: str) -> None:
    env = _production_env()
    env[missing] = ""
    result = run_python("import django; django.setup()", env, tmp_path)
    assert result.returncode != 0
    assert missing in result.stderr


def test_development_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY)"
    first = run_python(code, {"SECRET_KEY": ""}, tmp_path)
    second = run_python(code, {"SECRET_KEY": ""}, tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0

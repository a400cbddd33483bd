"""A real Celery worker, started as a subprocess, runs Kanalvakt's tasks through each transport.

Nothing is eager: the task travels through the broker (Redis, or kombu's filesystem transport in a
folder), a separate worker process picks it up and writes to the same database the test reads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from celery import Celery
from django.db import connection

from core.models import Heartbeat
from tests.conftest import REDIS_URL
from tests.support import SOLO_WORKER

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def database_url() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    user = params["USER"] or "root"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    return f"postgres://{user}{password}@{host}/{params['NAME']}"


def client(broker_url: str, transport_options: dict[str, Any] | None = None) -> Celery:
    """A bare Celery client that only knows the broker: the task is known by name alone."""
    # Not the current app: shared tasks of later tests must stay bound to Kanalvakt's own app.
    return Celery(
        "test-client",
        broker=broker_url,
        broker_transport_options=transport_options or {},
        set_as_current=False,
    )


def filesystem_options(folder: Path) -> dict[str, Any]:
    queue, processed, control = (folder / "celery" / name for name in ("queue", "processed", "control"))
    for path in (queue, processed, control):
        path.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "store_processed": False,
        "control_folder": str(control),
    }


@contextmanager
def worker(
    broker_url: str, var_dir: Path, *extra_args: str, **extra_env: str
) -> Iterator[subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_RESULT_BACKEND"}}
    env.update(
        {
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            "KANALVAKT_VAR_DIR": str(var_dir),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **extra_env,
        }
    )
    log = (var_dir / "worker.log").open("w")
    process = subprocess.Popen(
        [
            CELERY,
            *SOLO_WORKER,
            "-n",
            f"test-{os.getpid()}@%h",
            *extra_args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_for(found: Callable[[], T | None], var_dir: Path, what: str, timeout: float = 60.0) -> T:
    """What ``found`` returns once it is not None; the worker's log in the failure if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()
        if result is not None:
            return result
        time.sleep(0.25)
    log = (var_dir / "worker.log").read_text()
    raise AssertionError(f"the worker never {what}; its log:\n{log[-4000:]}")


def wait_for_heartbeat(var_dir: Path, name: str = "worker", timeout: float = 60.0) -> Heartbeat:
    return wait_for(lambda: Heartbeat.objects.filter(name=name).first(), var_dir, "ran the task", timeout)


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_sent_through_redis(tmp_path: Path) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    assert not Heartbeat.objects.exists()
    with worker(REDIS_URL, tmp_path) as process:
        client(REDIS_URL).send_task("core.tasks.heartbeat", kwargs={"name": "sent-through-redis"})
        beat = wait_for_heartbeat(tmp_path, "sent-through-redis")
        assert process.poll() is None
    assert f"pid {process.pid}" in beat.detail  # written by the worker process, not by this one


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_sent_through_the_filesystem_transport(tmp_path: Path) -> None:
    options = filesystem_options(tmp_path)
    with worker("filesystem://", tmp_path) as process:
        client("filesystem://", options).send_task(
            "core.tasks.heartbeat", kwargs={"name": "sent-through-files"}
        )
        beat = wait_for_heartbeat(tmp_path, "sent-through-files")
    assert f"pid {process.pid}" in beat.detail
    assert list(Path(options["data_folder_in"]).iterdir()) == []  # the message was consumed


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_embedded_beat_schedules_the_heartbeat_by_itself(tmp_path: Path) -> None:
    """`celery worker -B` as `make run` starts it: beat enqueues, the worker runs, nobody sends anything."""
    with worker(
        "filesystem://", tmp_path, "-B", "-s", str(tmp_path / "celerybeat-schedule"), HEARTBEAT_INTERVAL="2"
    ) as process:
        first = wait_for_heartbeat(tmp_path)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            latest = Heartbeat.objects.get(name="worker")
            if latest.seen_at > first.seen_at:
                break
            time.sleep(0.25)
        else:
            raise AssertionError("beat did not schedule the heartbeat a second time")
    assert f"pid {process.pid}" in latest.detail

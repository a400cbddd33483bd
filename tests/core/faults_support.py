"""What the fault tests need to break things for real: their own Redis server, a TCP proxy in front of
PostgreSQL, a Celery worker (and beat) in a process group of its own that can be killed with SIGKILL,
gunicorn, and a count of the e-mails the worker wrote to files.

Nothing here is a mock: the worker, beat, gunicorn, Redis and PostgreSQL are the real programs; the
proxy only forwards bytes, and closes the connections when told to, as a network or a server would.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support import SOLO_WORKER

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MESSAGE_ID = re.compile(rb"^Message-ID: <kanalvakt-notification-(\d+)@[^>]+>", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll ``condition`` until it returns something true; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# --- Redis ---------------------------------------------------------------------------------------------


class RedisServer:
    """A throwaway redis-server on a free port, with nothing saved to disk: stopped, it forgets."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, timeout=10, what="redis-server to answer")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash would: nothing saved, clients cut off
            self.process.wait()
            self.process = None


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- A TCP proxy in front of PostgreSQL ---------------------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL, in a thread of the test process.

    ``down()`` closes every forwarded connection and refuses new ones, as a server that went away;
    ``up()`` accepts again. ``cut_when(pattern)`` closes a connection the moment the client sends
    bytes containing ``pattern`` (a statement), before the server sees them: the connection dies in
    the middle of the client's transaction.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._cut: bytes | None = None
        self.cuts = 0

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        if self._listener is not None:
            with suppress(OSError):
                # Wakes the thread blocked in accept(); a plain close() would leave it listening.
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            self._close(pair)

    def cut_when(self, pattern: bytes | None) -> None:
        self._cut = pattern

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            pair = (client, server)
            with self._lock:
                self._pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket]) -> None:
        client, server = pair
        chooser = selectors.DefaultSelector()
        chooser.register(client, selectors.EVENT_READ, server)
        chooser.register(server, selectors.EVENT_READ, client)
        try:
            while True:
                for key, _events in chooser.select(timeout=1):
                    source = key.fileobj
                    assert isinstance(source, socket.socket)
                    data = source.recv(65536)
                    if not data:
                        return
                    if source is client and self._cut is not None and self._cut in data:
                        self.cuts += 1
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return  # closed by down()
        finally:
            chooser.close()
            self._close(pair)

    @staticmethod
    def _close(pair: tuple[socket.socket, socket.socket]) -> None:
        for sock in pair:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@contextmanager
def tcp_proxy(target: tuple[str, int]) -> Iterator[TcpProxy]:
    proxy = TcpProxy(target)
    proxy.up()
    try:
        yield proxy
    finally:
        proxy.down()


# --- Processes: worker, beat, gunicorn -------------------------------------------------------------------


def database_url(settings_dict: dict[str, Any], *, port: int | None = None) -> str:
    user = settings_dict["USER"] or "root"
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    return (
        f"postgres://{user}{password}@{host}:{port or settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


def environment(*, database: str, broker: str, var_dir: Path, **extra: str) -> dict[str, str]:
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_RESULT_BACKEND", "EMAIL_HOST"}}
    env.update(
        {
            # The test's own key, so that a session it signs is valid in the subprocess.
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": broker,
            "KANALVAKT_VAR_DIR": str(var_dir),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **extra,
        }
    )
    return env


class Service:
    """A subprocess in a process group of its own, so that a SIGKILL takes all of it at once (a worker
    with embedded beat is two processes, a prefork worker more): as when its machine dies."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.args, self.env, self.log = name, args, env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"\n===== start {self.starts + 1} =====\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: nothing runs a handler, nothing is acknowledged."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def worker_service(env: dict[str, str], var_dir: Path, *, beat: bool, name: str = "worker") -> Service:
    """A solo worker: one task at a time, so at most one e-mail is in flight when it is killed."""
    args = [
        str(BIN / "celery"),
        *SOLO_WORKER,
        "--without-heartbeat",
        "-n",
        f"{name}-{os.getpid()}@%h",
    ]
    if beat:
        args += ["-B", "-s", str(var_dir / f"{name}-celerybeat-schedule")]
    return Service(name, args, env, var_dir / f"{name}.log")


def beat_service(env: dict[str, str], var_dir: Path, *, name: str) -> Service:
    args = [
        str(BIN / "celery"),
        "-A",
        "config",
        "beat",
        "--loglevel",
        "INFO",
        "-s",
        str(var_dir / f"{name}-celerybeat-schedule"),
    ]
    return Service(name, args, env, var_dir / f"{name}.log")


def gunicorn_service(env: dict[str, str], var_dir: Path, *, port: int, app: str = "config.wsgi") -> Service:
    """One sync gunicorn worker: one process keeping its database connection, as in production."""
    args = [
        str(BIN / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        "30",
        "--graceful-timeout",
        "2",
        "--no-control-socket",  # its default path is shared by every gunicorn on the machine
    ]
    return Service("gunicorn", args, env, var_dir / "gunicorn.log")


def wsgi_without_health_checks(environ: dict[str, Any], start_response: Any) -> Any:
    """Kanalvakt's WSGI application with CONN_HEALTH_CHECKS off: the control case, which shows what the
    setting is for (gunicorn loads it as ``tests.core.faults_support:wsgi_without_health_checks``)."""
    global _without_health_checks
    if _without_health_checks is None:
        import django
        from django.conf import settings

        settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
        django.setup()
        from django.core.wsgi import get_wsgi_application

        _without_health_checks = get_wsgi_application()
    return _without_health_checks(environ, start_response)


_without_health_checks: Any = None


# --- HTTP --------------------------------------------------------------------------------------------------


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: str) -> None:
        self.status, self.headers, self.body = status, headers, body


def http(
    url: str, *, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> Response:
    """One request, no redirects followed, any status returned (not raised)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only the test's own server: {url}")
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    try:
        with opener.open(request, timeout=20) as answer:
            return Response(answer.status, dict(answer.headers), answer.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read().decode())


def wait_for_http(url: str, *, timeout: float = 30) -> None:
    def answers() -> bool:
        try:
            http(url)
        except OSError:
            return False
        return True

    wait_until(answers, timeout=timeout, what=f"{url} to answer")


# --- The mail the worker wrote ---------------------------------------------------------------------------


def sent_message_ids(mail_dir: Path) -> Counter[int]:
    """How many times each notification's e-mail was written by the file backend, by Message-ID."""
    counts: Counter[int] = Counter()
    if mail_dir.exists():
        for path in mail_dir.iterdir():
            counts.update(int(number) for number in MESSAGE_ID.findall(path.read_bytes()))
    return counts


def long_ago(now: datetime) -> datetime:
    """A time received for which both the due time and the outer limit have passed, on any calendar."""
    return now - timedelta(days=30)


# --- A worker that restarts in a fraction of a second ------------------------------------------------------
#
# Importing Kanalvakt takes seconds; twenty restarts would take minutes. The zygote imports it once,
# then forks a fresh worker on each "fork" line it reads (gunicorn's preload, for Celery): the child
# is a whole new worker process, in a session of its own, that has never connected to the broker or
# the database. It is killed with SIGKILL like any other.

ZYGOTE = [sys.executable, "-m", "tests.core.faults_support", "zygote"]


class Zygote:
    """The test's side of the zygote: ``fork()`` starts a worker, ``kill()`` SIGKILLs its group."""

    def __init__(self, env: dict[str, str], worker_args: list[str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [*ZYGOTE, *worker_args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("ab"),
            text=True,
            bufsize=1,
        )
        ready = self._read_line()
        if ready != "ready":
            raise AssertionError(f"the zygote did not start: {ready!r}; {log.read_text()[-3000:]}")
        self.pid: int | None = None
        self.starts = 0

    def _read_line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def fork(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write(f"fork {self.log}\n")
        self.process.stdin.flush()
        self.pid = int(self._read_line())
        self.starts += 1
        return self.pid

    def wait_until_ready(self) -> None:
        """Until the worker last forked says it is ready (Celery's "<name> ready." line in the log)."""
        wait_until(
            lambda: self.log.read_text(errors="replace").count(" ready.") >= self.starts,
            timeout=30,
            what="the worker to be ready",
            every=0.02,
        )

    def kill(self) -> None:
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        wait_until(lambda: not _exists(pid), timeout=10, what=f"worker {pid} to die")

    def stop(self) -> None:
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                wait_until(lambda: not _exists(self.pid or 0), timeout=15, what="the worker to stop")
            except (ProcessLookupError, AssertionError):
                self.kill()
            self.pid = None
        self.process.kill()
        self.process.wait()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _zygote(worker_args: list[str]) -> None:
    import django

    django.setup()
    from config.celery import app

    app.loader.import_default_modules()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked workers are reaped as they die
    print("ready", flush=True)
    for line in sys.stdin:
        command, _space, log = line.strip().partition(" ")
        if command != "fork":
            continue
        pid = os.fork()
        if pid:
            print(pid, flush=True)
            continue
        # The worker: a session of its own (killpg reaches its beat too), its output to the log.
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.dup2(out, 1)
        os.dup2(out, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        try:
            app.worker_main(["worker", *worker_args])
        finally:
            os._exit(0)


if __name__ == "__main__" and sys.argv[1:2] == ["zygote"]:
    _zygote(sys.argv[2:])

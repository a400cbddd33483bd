"""Bluesky's reference network for the tests: @atproto/dev-env (a PDS, an AppView on PostgreSQL and a
PLC directory, the real implementation) started once per test process by ``tests/bluesky/network.mjs``
(``make bluesky`` installs it), with helpers that act as Bluesky's own users through the PDS's XRPC:
accounts, app passwords, posts, replies, mentions, quotes, likes.

Without node or the installed network the tests are skipped with the reason; with
KANALVAKT_REQUIRE_SERVICES=1 (as in CI) that is a failure. The AppView and Ozone get schemas of their
own (letters only) in the database DATABASE_URL names, dropped when the network stops. dev-env
requires REDIS_HOST to be set, but this version connects to no Redis (see network.mjs).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.conftest import REQUIRE_SERVICES

NODE_DIR = Path(__file__).resolve().parents[1] / "bluesky"
INSTALLED = NODE_DIR / "node_modules" / ".installed"
START_TIMEOUT = 120.0
T = TypeVar("T")
_numbers = count(1)


def missing() -> str | None:
    """Why the network cannot start here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (Node 20: Bluesky's dev-env 0.3.215 needs it)"
    if not INSTALLED.is_file():
        return f"Bluesky's dev-env is not installed in {NODE_DIR} (run `make bluesky`)"
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "the Bluesky network needs PostgreSQL (set DATABASE_URL=postgres://…)"
    return None


@dataclass
class Account:
    """A user of the network: its DID, handle, account password and a session of its own."""

    did: str
    handle: str
    password: str
    access: str


class Network:
    """The running network: its PDS address, commands to the Node process, and XRPC as a user."""

    def __init__(
        self, process: subprocess.Popen[str], lines: queue.Queue[str], ready: dict[str, Any]
    ) -> None:
        self.process = process
        self.lines = lines
        # 127.0.0.1, not localhost: Kanalvakt's outbound check allows exactly that network in tests.
        self.pds = str(ready["pds"]).replace("//localhost:", "//127.0.0.1:")
        self.schema = str(ready["schema"])
        self._ids = count(1)
        self._lock = threading.Lock()

    def command(self, cmd: str, timeout: float = 30.0, **args: Any) -> dict[str, Any]:
        """One command to network.mjs, and its answer."""
        with self._lock:
            ident = next(self._ids)
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps({"id": ident, "cmd": cmd, **args}) + "\n")
            self.process.stdin.flush()
            deadline = time.monotonic() + timeout
            while True:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.1))
                try:
                    answer = json.loads(line)
                except ValueError:
                    continue
                if isinstance(answer, dict) and answer.get("id") == ident:
                    if not answer.get("ok"):
                        raise RuntimeError(f"{cmd}: {answer.get('error')}")
                    return answer

    def process_all(self) -> None:
        """Wait until the AppView has indexed everything written so far (TestNetwork.processAll)."""
        self.command("process")

    def expired_token(self, did: str) -> str:
        """An access token of the account that expired a minute ago, signed by the PDS."""
        return str(self.command("expiredToken", did=did)["token"])

    # --- XRPC as a user of the network -----------------------------------------------------------

    def xrpc(
        self,
        nsid: str,
        *,
        token: str = "",
        params: dict[str, Any] | None = None,
        body: Any = None,
        expect: int = 200,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{self.pds}/xrpc/{nsid}"
        if (body is None and params is not None) or (body is None and nsid.split(".")[-1].startswith("get")):
            answer = requests.get(url, params=params, headers=headers, timeout=30)
        else:
            answer = requests.post(url, json=body, headers=headers, timeout=30)
        assert answer.status_code == expect, f"{nsid}: {answer.status_code} {answer.text[:500]}"
        return answer.json() if answer.content else {}

    def create_account(self, name: str) -> Account:
        """A new account ``<name><n>.test`` (the dev PDS needs no invite code)."""
        handle = f"{name}{next(_numbers)}{os.getpid()}.test"
        password = f"pw-{handle}"
        made = self.xrpc(
            "com.atproto.server.createAccount",
            body={"handle": handle, "email": f"{handle}@example.org", "password": password},
        )
        return Account(did=made["did"], handle=made["handle"], password=password, access=made["accessJwt"])

    def app_password(self, account: Account, name: str = "Kanalvakt", *, privileged: bool = False) -> str:
        made = self.xrpc(
            "com.atproto.server.createAppPassword",
            token=account.access,
            body={"name": name, "privileged": privileged},
        )
        return str(made["password"])

    def revoke_app_password(self, account: Account, name: str = "Kanalvakt") -> None:
        self.xrpc("com.atproto.server.revokeAppPassword", token=account.access, body={"name": name})

    def write(self, account: Account, collection: str, record: dict[str, Any]) -> dict[str, str]:
        made = self.xrpc(
            "com.atproto.repo.createRecord",
            token=account.access,
            body={"repo": account.did, "collection": collection, "record": record},
        )
        return {"uri": made["uri"], "cid": made["cid"]}

    def post(
        self,
        account: Account,
        text: str,
        *,
        reply_to: dict[str, str] | None = None,
        root: dict[str, str] | None = None,
        quote: dict[str, str] | None = None,
        mention: Account | None = None,
    ) -> dict[str, str]:
        """A post as Bluesky's app writes it: a reply names its root and parent, a mention is a facet
        over the @handle in the text, a quote embeds the quoted post."""
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": now_iso()}
        if reply_to:
            record["reply"] = {"root": root or reply_to, "parent": reply_to}
        if mention:
            at = f"@{mention.handle}"
            start = len(text.split(at)[0].encode("utf-8"))
            record["facets"] = [
                {
                    "index": {"byteStart": start, "byteEnd": start + len(at.encode("utf-8"))},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": mention.did}],
                }
            ]
        if quote:
            record["embed"] = {"$type": "app.bsky.embed.record", "record": quote}
        return self.write(account, "app.bsky.feed.post", record)

    def like(self, account: Account, subject: dict[str, str]) -> None:
        self.write(
            account,
            "app.bsky.feed.like",
            {"$type": "app.bsky.feed.like", "subject": subject, "createdAt": now_iso()},
        )

    def follow(self, account: Account, other: Account) -> None:
        self.write(
            account,
            "app.bsky.graph.follow",
            {"$type": "app.bsky.graph.follow", "subject": other.did, "createdAt": now_iso()},
        )

    def notifications(self, account: Account) -> list[dict[str, Any]]:
        body = self.xrpc(
            "app.bsky.notification.listNotifications", token=account.access, params={"limit": 100}
        )
        return list(body["notifications"])

    def thread(self, account: Account, uri: str) -> dict[str, Any]:
        body = self.xrpc("app.bsky.feed.getPostThread", token=account.access, params={"uri": uri, "depth": 5})
        return dict(body["thread"])

    def settle(self, found: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
        """Process the network until ``found`` gives something (the AppView indexes asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            self.process_all()
            value = found()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"the network never {what}")
            time.sleep(0.2)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _reader(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.strip())


def start(tmp: Path) -> Iterator[Network]:
    """Start network.mjs, wait for its ready line, yield, and stop it (stdin closed, then SIGTERM)."""
    env = {
        **os.environ,
        "TMPDIR": str(tmp),  # the PDS's repositories and blobs, removed with the folder
        "REDIS_HOST": os.environ.get("BLUESKY_REDIS_HOST", "127.0.0.1:6379"),
        "LOG_ENABLED": "false",
    }
    stderr = (tmp / "network.log").open("w")
    process = subprocess.Popen(
        ["node", "network.mjs"],
        cwd=NODE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        ready: dict[str, Any] | None = None
        while ready is None:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                raise RuntimeError(f"the Bluesky network did not start in {START_TIMEOUT:.0f} s") from None
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if isinstance(answer, dict) and "ready" in answer:
                if not answer["ready"]:
                    raise RuntimeError(f"the Bluesky network did not start: {answer.get('error')}")
                ready = answer
        yield Network(process, lines, ready)
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=10)
        stderr.close()


_started: dict[str, Network] = {}


@pytest.fixture(scope="session")
def bluesky_network(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Network:
    """The reference network, started once per test process (however many test modules import this
    fixture) and stopped when the session ends."""
    reason = missing()
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"[bluesky] required but unavailable: {reason}", pytrace=False)
        pytest.skip(f"[bluesky] {reason}")
    if "network" not in _started:
        running = start(tmp_path_factory.mktemp("bluesky"))
        _started["network"] = next(running)

        def stop() -> None:
            _started.pop("network", None)
            next(running, None)

        request.config.add_cleanup(stop)
    return _started["network"]

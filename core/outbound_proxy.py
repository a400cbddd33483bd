"""A SOCKS5 proxy on 127.0.0.1 through which headless Chromium reaches the network, for one capture.

Chromium resolves nothing itself behind a SOCKS5 proxy: it sends every host name, and every address in
its canonical spelling, to the proxy, which resolves it, checks every address (``core.outbound``) and
connects to one of the addresses it checked. So the page, each redirect, and everything the page
loads (images, scripts, styles, frames, fetch, beacons, WebSocket) go only to public addresses on
ports 80 and 443, and a name cannot resolve differently between the check and the connection.

SOCKS rather than an HTTP proxy: one rule for every kind of connection (http, https and WebSocket are
all a tunnel to a host and port), and nothing of the traffic is read or rewritten.

The browser is also kept from the two ways around a proxy: Chromium connects to loopback addresses
itself unless the bypass list says ``<-loopback>`` (``chromium_args``), and WebRTC sends UDP (STUN,
TURN, peers) outside any proxy unless the profile's preference forbids UDP that is not proxied
(``prepare_chromium_profile``; the command-line switch for it is not honoured by this Chromium, the
preference is). QUIC is off (``archive.capture``).

A refused connection is answered with SOCKS5's "connection not allowed by ruleset" and kept in
``refusals`` by host and port, so that the capture can say the page itself was refused rather than
report a network error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import selectors
import socket
import struct
import threading
from pathlib import Path
from types import TracebackType

from django.utils import translation

from core.outbound import OutboundError, OutboundRefused, open_connection

logger = logging.getLogger(__name__)

# SOCKS5 (RFC 1928) reply codes.
SUCCEEDED, GENERAL_FAILURE, NOT_ALLOWED, HOST_UNREACHABLE, COMMAND_NOT_SUPPORTED = 0, 1, 2, 4, 7
CONNECT = 1
MAX_CONNECTIONS = 64  # a page cannot make the server hold more sockets than this at once
HANDSHAKE_SECONDS = 10.0
CONNECT_SECONDS = 10.0
IDLE_SECONDS = 60.0


class OutboundProxy:
    """The proxy for one capture: ``with OutboundProxy() as proxy:`` then launch Chromium with
    ``proxy.chromium_args()``. Leaving the block closes the proxy and every connection through it."""

    def __init__(self) -> None:
        self.refusals: dict[tuple[str, int], OutboundRefused] = {}
        # The reasons are written in the capture's language; the active language is per thread.
        self._language = translation.get_language()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = threading.Event()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(32)
        self._server.settimeout(0.2)  # the accept loop looks at _closed this often
        self.port: int = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="outbound-proxy", daemon=True)

    def __enter__(self) -> OutboundProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def chromium_args(self) -> list[str]:
        return [
            f"--proxy-server=socks5://127.0.0.1:{self.port}",
            # Without this rule Chromium connects to loopback addresses itself, around the proxy.
            "--proxy-bypass-list=<-loopback>",
        ]

    @staticmethod
    def prepare_chromium_profile(directory: Path) -> None:
        """Write the preferences of a fresh Chromium profile (its user data directory) that keep
        WebRTC's UDP from leaving outside the proxy: SOCKS carries no UDP here, so WebRTC sends none."""
        preferences = {
            "webrtc": {"ip_handling_policy": "disable_non_proxied_udp", "multiple_routes_enabled": False}
        }
        (directory / "Default").mkdir(parents=True, exist_ok=True)
        (directory / "Default" / "Preferences").write_text(json.dumps(preferences), encoding="utf-8")

    def refusal_for(self, host: str, port: int) -> OutboundRefused | None:
        """The refusal of a connection to ``host``:``port``, if the proxy refused one."""
        with self._lock:
            return self.refusals.get((host.lower().strip("[]"), port))

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.close()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            _close(sock)
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    # --- Inside the proxy ---------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _peer = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                crowded = len(self._open) >= 2 * MAX_CONNECTIONS
                if not crowded:
                    self._open.add(client)
            if crowded:
                _close(client)
                continue
            worker = threading.Thread(target=self._serve, args=(client,), name="outbound-conn", daemon=True)
            worker.start()

    def _serve(self, client: socket.socket) -> None:
        with translation.override(self._language):
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(HANDSHAKE_SECONDS)
            request = _handshake(client)
            if request is None:
                return
            command, host, port = request
            if command != CONNECT:  # BIND and UDP ASSOCIATE would open other ways out
                _reply(client, COMMAND_NOT_SUPPORTED)
                return
            try:
                upstream = open_connection(host, port, timeout=CONNECT_SECONDS)
            except OutboundRefused as refused:
                with self._lock:
                    self.refusals[(host.lower(), port)] = refused
                logger.info("Outbound connection to %s:%s refused: %s", host, port, refused.reason)
                _reply(client, NOT_ALLOWED)
                return
            except OutboundError:
                _reply(client, HOST_UNREACHABLE)
                return
            with self._lock:
                if self._closed.is_set():
                    return
                self._open.add(upstream)
            _reply(client, SUCCEEDED)
            _relay(client, upstream)
        except (OSError, ValueError):
            return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with self._lock:
                        self._open.discard(sock)
                    _close(sock)


def _recv_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ValueError("the client closed the connection")
        data += chunk
    return data


def _handshake(client: socket.socket) -> tuple[int, str, int] | None:
    """The client's greeting and request (RFC 1928): the command, host and port; None when it is not
    SOCKS5 or offers no method without authentication."""
    version, count = _recv_exactly(client, 2)
    methods = _recv_exactly(client, count)
    if version != 5 or 0 not in methods:
        client.sendall(b"\x05\xff")
        return None
    client.sendall(b"\x05\x00")
    version, command, _reserved, kind = _recv_exactly(client, 4)
    if version != 5:
        return None
    if kind == 1:
        host = socket.inet_ntop(socket.AF_INET, _recv_exactly(client, 4))
    elif kind == 3:
        host = _recv_exactly(client, _recv_exactly(client, 1)[0]).decode("ascii", errors="strict")
    elif kind == 4:
        host = socket.inet_ntop(socket.AF_INET6, _recv_exactly(client, 16))
    else:
        _reply(client, GENERAL_FAILURE)
        return None
    (port,) = struct.unpack(">H", _recv_exactly(client, 2))
    return command, host, port


def _reply(client: socket.socket, code: int) -> None:
    with contextlib.suppress(OSError):
        client.sendall(bytes([5, code, 0, 1]) + b"\x00\x00\x00\x00\x00\x00")


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until both sides have finished or the connection idles."""
    client.settimeout(IDLE_SECONDS)
    upstream.settimeout(IDLE_SECONDS)
    with selectors.DefaultSelector() as selector:
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        reading = 2
        while reading:
            events = selector.select(timeout=IDLE_SECONDS)
            if not events:
                return
            for key, _mask in events:
                source, target = key.fileobj, key.data
                assert isinstance(source, socket.socket)
                data = source.recv(65536)
                if data:
                    target.sendall(data)
                    continue
                selector.unregister(source)
                reading -= 1
                with contextlib.suppress(OSError):
                    target.shutdown(socket.SHUT_WR)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()

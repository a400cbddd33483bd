"""The outbound rule (core.outbound): Kanalvakt fetches only public addresses on ports 80 and 443.

A table of every range the rule refuses, each spelled as a browser may spell it (decimal, hex and
short IPv4, IPv4 inside IPv6, percent-encoded hosts), the public addresses it lets through, the
check of every address a name resolves to, the test allowance (never under production settings),
the intake validator (no DNS), and the SOCKS5 proxy that pins every connection of a capture to a
checked address, with real sockets on 127.0.0.1 and 127.0.0.2.
"""

# ruff: noqa: S104 (0.0.0.0 appears as an address the rule refuses; nothing here binds to it)

from __future__ import annotations

import ipaddress
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core import outbound
from core.outbound import OutboundRefused, OutboundUnreachable
from core.outbound_proxy import OutboundProxy
from tests.core.test_settings import _production_env, run_python


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def no_allowance(settings: Any) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []


@pytest.fixture
def loopback_allowed(settings: Any) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]


# --- The address rule -----------------------------------------------------------------------------------

REFUSED_ADDRESSES = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "shared"),  # carrier-grade NAT
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("fe80::1", "link-local"),
    ("fc00::1", "unique-local"),
    ("fd12:3456::1", "unique-local"),
    ("fec0::1", "site-local"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("0.1.2.3", "not-global"),  # "this network"
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.1", "not-global"),  # documentation
    ("198.18.0.1", "not-global"),  # benchmarking
    ("2001:db8::1", "not-global"),  # documentation
    ("3fff::1", "not-global"),  # documentation (2024)
    ("100::1", "reserved"),  # discard-only
    ("2001::1", "not-global"),  # Teredo
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ("64:ff9b:1::1", "reserved"),  # local-use NAT64
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of 169.254.169.254
    ("::127.0.0.1", "reserved"),  # IPv4-compatible (deprecated)
]

PUBLIC_ADDRESSES = [
    "8.8.8.8",
    "93.184.216.34",
    "192.0.0.9",  # a globally reachable anycast in 192.0.0.0/24
    "2606:4700::6810:84e5",
    "2a03:2880:f12f:83:face:b00c:0:25de",
    "::ffff:8.8.8.8",  # IPv4-mapped public address
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8, as an IPv6-only network with DNS64 sees it
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "kind"), REFUSED_ADDRESSES)
def test_every_range_that_is_not_public_unicast_is_refused(address: str, kind: str) -> None:
    assert outbound.address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_unicast_addresses_pass(address: str) -> None:
    assert outbound.address_kind(ipaddress.ip_address(address)) is None


# --- URLs as a browser reads them (no DNS) ---------------------------------------------------------------

REFUSED_URLS = [
    ("http://127.0.0.1/", "address", "127.0.0.1"),
    ("http://127.1/", "address", "127.0.0.1"),  # short IPv4
    ("http://2130706433/", "address", "127.0.0.1"),  # decimal
    ("http://0x7f000001/", "address", "127.0.0.1"),  # hex
    ("http://0x7f.1/", "address", "127.0.0.1"),
    ("http://0177.0.0.1/", "address", "127.0.0.1"),  # octal
    ("http://127.0.0.1./", "address", "127.0.0.1"),  # trailing dot
    ("http://%31%32%37.0.0.1/", "address", "127.0.0.1"),  # percent-encoded host
    ("http://１２７.０.０.１/", "address", "127.0.0.1"),  # fullwidth digits  # noqa: RUF001
    ("http://[::1]/", "address", "::1"),
    ("http://[::ffff:127.0.0.1]/", "address", "::ffff:7f00:1"),
    ("http://[::ffff:a00:1]/", "address", "::ffff:a00:1"),
    ("http://[64:ff9b::7f00:1]/", "address", "64:ff9b::7f00:1"),
    ("http://[2002:7f00:1::]/", "address", "2002:7f00:1::"),
    ("http://localhost/", "address", "127.0.0.1"),
    ("http://admin.localhost/", "address", "127.0.0.1"),
    ("http://10.0.0.1/", "address", "10.0.0.1"),
    ("http://172.16.0.1/", "address", "172.16.0.1"),
    ("http://192.168.0.1/", "address", "192.168.0.1"),
    ("http://100.64.0.1/", "address", "100.64.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "address", "169.254.169.254"),
    ("http://[fe80::1]/", "address", "fe80::1"),
    ("http://[fc00::1]/", "address", "fc00::1"),
    ("http://224.0.0.1/", "address", "224.0.0.1"),
    ("http://[ff02::1]/", "address", "ff02::1"),
    ("http://0.0.0.0/", "address", "0.0.0.0"),
    ("http://0/", "address", "0.0.0.0"),
    ("http://[::]/", "address", "::"),
    ("http://240.0.0.1/", "address", "240.0.0.1"),
    ("http://255.255.255.255/", "address", "255.255.255.255"),
    ("http://example.org@127.0.0.1/", "userinfo", ""),
    ("https://user:secret@www.facebook.com/", "userinfo", ""),
    ("http://example.org\\@127.0.0.1/", "malformed", ""),  # a browser reads the host as example.org
    ("http://www.facebook.com:8080/", "port", ""),
    ("https://8.8.8.8:22/", "port", ""),
    ("ftp://ftp.example.org/", "scheme", ""),
    ("file:///etc/passwd", "scheme", ""),
    ("gopher://127.0.0.1:6379/_FLUSHALL", "scheme", ""),
    ("javascript:alert(1)", "scheme", ""),
    ("http://localhost./", "address", "127.0.0.1"),
    ("http://%6c%6f%63%61%6c%68%6f%73%74/", "address", "127.0.0.1"),  # "localhost", percent-encoded
    ("http://8.8.8.8:0/", "port", ""),  # port 0 is not the default port
    ("http://[2606:4700::1%25eth0]/", "malformed", ""),  # no zone in a URL
    ("http://256.0.0.1/", "malformed", ""),  # a number too large: no browser opens it
    ("http:///path-only", "malformed", ""),
    ("http://exa mple.org/", "malformed", ""),
]


@pytest.mark.parametrize(("url", "code", "address"), REFUSED_URLS)
def test_urls_are_read_as_a_browser_reads_them_and_refused(
    no_allowance: None, url: str, code: str, address: str
) -> None:
    with pytest.raises(OutboundRefused) as refused:
        outbound.check_static(url)
    assert refused.value.code == code
    if address:
        assert address in refused.value.reason
        assert "is not a public address" in refused.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://www.facebook.com/kau/posts/123",
        "https://www.instagram.com/p/abc123/",
        "http://www.kau.se/",
        "https://www.kau.se:443/nyheter",
        "http://8.8.8.8:80/",
        "https://[2606:4700::6810:84e5]/",
        "https://bücher.example/",
        "https://example.org/path?next=http://127.0.0.1/",  # an inside address in the query is just text
    ],
)
def test_public_urls_pass_the_static_check(no_allowance: None, url: str) -> None:
    outbound.check_static(url)


# --- Resolution: every address a name leads to ---------------------------------------------------------


def test_a_name_that_resolves_inward_is_refused(no_allowance: None) -> None:
    """localhost resolves (in /etc/hosts) to 127.0.0.1: the address, not the name, decides."""
    with pytest.raises(OutboundRefused) as refused:
        outbound.resolve_checked("localhost", 80)
    assert refused.value.code == "address"
    assert "localhost leads to 127.0.0.1" in refused.value.reason


def test_one_inside_address_among_public_ones_refuses_the_name(no_allowance: None) -> None:
    addresses = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")]
    with pytest.raises(OutboundRefused) as refused:
        outbound.check_addresses("rebind.example", 443, addresses)
    assert "10.0.0.7" in refused.value.reason
    outbound.check_addresses("public.example", 443, addresses[:1])


def test_a_name_that_does_not_resolve_is_unreachable_not_refused(no_allowance: None) -> None:
    with pytest.raises(OutboundUnreachable) as unreachable:
        outbound.resolve_checked("no-such-host.invalid", 443)
    assert unreachable.value.code == "unresolved"


# --- The test allowance ----------------------------------------------------------------------------------


def test_the_allowance_lets_its_network_through_on_any_port(loopback_allowed: None) -> None:
    outbound.check_static("http://127.0.0.1:8123/")
    assert outbound.resolve_checked("127.0.0.1", 8123) == (ipaddress.ip_address("127.0.0.1"),)
    # Only what it names: 127.0.0.2 is still loopback, and a public address keeps its port rule.
    with pytest.raises(OutboundRefused):
        outbound.check_static("http://127.0.0.2:8123/")
    with pytest.raises(OutboundRefused):
        outbound.check_static("http://8.8.8.8:8123/")


def test_the_allowance_is_off_by_default(settings: Any) -> None:
    from config import settings as configured

    assert configured.KANALVAKT_OUTBOUND_ALLOW_NETWORKS == []
    assert outbound.allowed_networks() == ()


def test_the_allowance_counts_for_nothing_under_production_settings(settings: Any) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.PRODUCTION = True
    assert outbound.allowed_networks() == ()
    with pytest.raises(OutboundRefused):
        outbound.check_static("http://127.0.0.1:8123/")


def test_production_refuses_to_start_with_an_allowance(tmp_path: Path) -> None:
    env = {**_production_env(), "KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32"}
    result = run_python("import django; django.setup()", env, tmp_path)
    assert result.returncode != 0
    assert "KANALVAKT_OUTBOUND_ALLOW_NETWORKS" in result.stderr


def test_a_malformed_allowance_stops_the_start(tmp_path: Path) -> None:
    env = {"KANALVAKT_OUTBOUND_ALLOW_NETWORKS": "lo"}
    result = run_python("import django; django.setup()", env, tmp_path)
    assert result.returncode != 0
    assert "KANALVAKT_OUTBOUND_ALLOW_NETWORKS" in result.stderr


# --- The intake validator ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/", "ftp://example.org/", "http://a@b.se/"],
)
def test_the_validator_names_the_problem(no_allowance: None, url: str) -> None:
    with pytest.raises(ValidationError) as invalid:
        outbound.validate_public_url(url)
    assert invalid.value.code == "refused"


def test_the_validator_does_no_dns(no_allowance: None) -> None:
    """Intake must not wait for DNS or tell an outsider what a name resolves to: names pass."""
    outbound.validate_public_url("https://no-such-host.invalid/")
    outbound.validate_public_url("")


# --- The proxy: every connection of a capture goes to a checked address ---------------------------------


class Recorder:
    """A TCP server that answers every connection with a small HTTP page and records that it came."""

    def __init__(self, host: str) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def recorders() -> Iterator[dict[str, Recorder]]:
    running = {"allowed": Recorder("127.0.0.1"), "inside": Recorder("127.0.0.2"), "v6": Recorder("::1")}
    yield running
    for recorder in running.values():
        recorder.close()


def socks_connect(proxy_port: int, host: str, port: int, *, command: int = 1) -> tuple[int, socket.socket]:
    """A SOCKS5 CONNECT as Chromium sends it (the host as a name); the reply code and the socket."""
    client = socket.create_connection(("127.0.0.1", proxy_port), timeout=5)
    client.sendall(b"\x05\x01\x00")
    assert client.recv(2) == b"\x05\x00"
    name = host.encode()
    client.sendall(bytes([5, command, 0, 3, len(name)]) + name + struct.pack(">H", port))
    reply = client.recv(10)
    return reply[1], client


def test_the_proxy_relays_to_an_allowed_address(
    loopback_allowed: None, recorders: dict[str, Recorder]
) -> None:
    with OutboundProxy() as proxy:
        code, client = socks_connect(proxy.port, "127.0.0.1", recorders["allowed"].port)
        with client:
            assert code == 0
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(100).endswith(b"ok")
    assert recorders["allowed"].hits == 1


@pytest.mark.parametrize(
    "target",
    ["127.0.0.2", "2130706434", "0x7f000002", "::1", "::ffff:127.0.0.2", "localhost", "0.0.0.0"],
)
def test_the_proxy_refuses_inside_addresses_and_never_connects(
    no_allowance: None, recorders: dict[str, Recorder], target: str
) -> None:
    port = recorders["v6" if target == "::1" else "inside"].port
    with OutboundProxy() as proxy:
        code, client = socks_connect(proxy.port, target, port)
        client.close()
        assert code == 2  # "connection not allowed by ruleset"
        [((host, refused_port), refusal)] = proxy.refusals.items()
        assert (host, refused_port) == (target, port)
        assert refusal.code == "address"
        assert "is not a public address" in refusal.reason  # in the language of the one who asked
    assert recorders["inside"].hits == recorders["v6"].hits == 0


def test_the_proxy_refuses_other_ports_of_public_addresses(no_allowance: None) -> None:
    with OutboundProxy() as proxy:
        code, client = socks_connect(proxy.port, "8.8.8.8", 25)
        client.close()
    assert code == 2


@pytest.mark.parametrize("command", [2, 3])  # BIND, UDP ASSOCIATE
def test_the_proxy_only_connects(
    loopback_allowed: None, recorders: dict[str, Recorder], command: int
) -> None:
    with OutboundProxy() as proxy:
        code, client = socks_connect(proxy.port, "127.0.0.1", recorders["allowed"].port, command=command)
        client.close()
    assert code == 7  # "command not supported"
    assert recorders["allowed"].hits == 0


# --- The identity provider's metadata -------------------------------------------------------------------


def test_remote_saml_metadata_at_an_inside_address_is_never_fetched(
    settings: Any, tmp_path: Path, no_allowance: None, recorders: dict[str, Recorder]
) -> None:
    """SAML_IDP_METADATA_URL is fetched by pysaml2 when sign-in first needs it: an address that leads
    inside is refused before pysaml2 is asked, with the setting named."""
    from django.core.exceptions import ImproperlyConfigured

    from core import sso
    from tests.core.test_sso import _key_pair

    settings.SAML_IDP_METADATA_FILE = ""
    settings.SAML_IDP_METADATA_URL = f"http://127.0.0.2:{recorders['inside'].port}/metadata.xml"
    settings.SAML_IDP_METADATA_CERT_FILE = _key_pair(tmp_path, "federation")[1]
    settings.SAML_SP_KEY_FILE, settings.SAML_SP_CERT_FILE = _key_pair(tmp_path, "sp")
    with pytest.raises(
        ImproperlyConfigured, match=r"SAML_IDP_METADATA_URL.*127\.0\.0\.2 is not a public address"
    ):
        sso.saml_config_loader()
    assert recorders["inside"].hits == 0

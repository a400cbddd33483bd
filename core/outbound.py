"""Outbound requests: Kanalvakt reaches only public addresses, on ports 80 and 443.

Addresses Kanalvakt fetches come from outside (an item's link from a connector, an import or a form;
an account's address), so a fetch must never be turned against the inside: the server itself
(loopback), the networks around it (private, link-local, unique-local, shared address space), cloud
metadata at 169.254.169.254, or anything else that is not global unicast. Every outbound request goes
through this module:

- ``check_static(url)`` reads a URL as a browser reads it (only http and https, no user name or
  password, the host parsed as the WHATWG URL standard parses it, so that ``http://2130706433/``,
  ``http://0x7f.1/`` and ``http://%31%32%37.0.0.1/`` are the 127.0.0.1 they are) and checks the scheme,
  the port and an address written in the host. No DNS: this is what intake uses
  (``validate_public_url``).
- ``resolve_checked(host, port)`` resolves a name and checks *every* address it resolves to: one inside
  address among public ones refuses the name.
- ``open_connection(host, port)`` resolves and checks, then connects to one of the addresses it checked
  ("resolve and pin"), so that a name cannot resolve to a public address for the check and to an
  inside one for the connection (DNS rebinding).

Headless Chromium reaches the network only through ``core.outbound_proxy``, which calls
``open_connection`` for every connection the browser makes: the page, each redirect, every image,
script, frame, fetch and WebSocket.

The refusal is ``OutboundRefused`` with a plain reason in the active language and a ``code``:
"scheme", "userinfo", "malformed", "port" or "address". A name that does not resolve, or an address
that does not answer, is ``OutboundUnreachable``: not a refusal, a network failure.

For tests and local development only, ``KANALVAKT_OUTBOUND_ALLOW_NETWORKS`` names networks that are
let through on any port (e.g. ``127.0.0.1/32`` for a page served by the test). It is empty by default,
settings refuse to start with it under production settings, and it counts for nothing there.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = frozenset({"http", "https"})
PORTS = frozenset({80, 443})
DEFAULT_PORTS = {"http": 80, "https": 443}

# What the reason says about each kind of address that is refused.
KINDS: dict[str, Promise] = {
    "loopback": gettext_lazy("loopback"),
    "private": gettext_lazy("private network"),
    "shared": gettext_lazy("shared address space"),
    "link-local": gettext_lazy("link-local"),
    "unique-local": gettext_lazy("unique local"),
    "site-local": gettext_lazy("site-local"),
    "multicast": gettext_lazy("multicast"),
    "unspecified": gettext_lazy("unspecified"),
    "reserved": gettext_lazy("reserved"),
    "not-global": gettext_lazy("not globally routable"),
}

_RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598, carrier-grade NAT
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
# Not global, but not yet in the standard library's tables on Python 3.11.
_NOT_GLOBAL_V6 = (ipaddress.IPv6Network("3fff::/20"),)  # documentation, RFC 9637

# WHATWG URL: ASCII tab and newline are removed anywhere, C0 controls and space trimmed; a backslash is
# a slash in http(s). Python reads all of these differently, so an address holding one is refused.
_UNREADABLE = re.compile(r"[\x00-\x20\x7f\\]")
# Forbidden host code points (WHATWG), after percent-decoding.
_FORBIDDEN_IN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
# UTS 46 maps these full stops to "." before a host is read.
_FULL_STOPS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


class OutboundError(Exception):
    """An outbound request that is not made; ``reason`` says why, for a person."""

    def __init__(self, reason: str, *, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class OutboundRefused(OutboundError):
    """Refused by the rule: the address is not public, the port or scheme is not allowed, or the URL
    cannot be read the way a browser reads it."""


class OutboundUnreachable(OutboundError):
    """The name does not resolve, or no checked address answered."""


@dataclass(frozen=True)
class Destination:
    """Where a URL leads, as a browser reads it. ``address`` is set when the host is an address."""

    scheme: str
    host: str
    port: int
    address: IPAddress | None


# --- The address rule (pure) ---------------------------------------------------------------------------


def address_kind(address: IPAddress) -> str | None:
    """The kind of a refused address (a key of ``KINDS``), or None when it is public unicast.

    Refused: loopback, private, shared (CGNAT), link-local, unique-local, site-local, multicast,
    unspecified, reserved, and anything else the IANA registries do not mark globally reachable. An IPv4
    address carried inside IPv6 (IPv4-mapped, NAT64's 64:ff9b::/96, 6to4) is judged as that IPv4 address,
    since that is where a connection to it goes.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_kind(embedded)
        own_kinds = [("unique-local", address in _UNIQUE_LOCAL), ("site-local", address.is_site_local)]
        listed_not_global = any(address in net for net in _NOT_GLOBAL_V6)
    else:
        own_kinds = [("private", any(address in net for net in _RFC1918)), ("shared", address in _SHARED)]
        listed_not_global = False
    # The first kind that holds. A family's own kinds overlap none of the shared kinds before them.
    # IPv4's reserved range is 240.0.0.0/4, with the broadcast address.
    for kind, holds in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        *own_kinds,
        ("reserved", address.is_reserved),
        ("not-global", not address.is_global or listed_not_global),
    ):
        if holds:
            return kind
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def allowed_networks() -> tuple[IPNetwork, ...]:
    """The networks let through on any port: the test setting, never under production settings."""
    if getattr(settings, "PRODUCTION", False):
        return ()
    names = getattr(settings, "KANALVAKT_OUTBOUND_ALLOW_NETWORKS", None) or ()
    return tuple(ipaddress.ip_network(name, strict=False) for name in names)


def _allowed(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def check_addresses(host: str, port: int, addresses: list[IPAddress] | tuple[IPAddress, ...]) -> None:
    """Refuse unless every address is public unicast and the port is 80 or 443 (or every address is in
    the test allowance, which lets any port through)."""
    networks = allowed_networks()
    for address in addresses:
        if _allowed(address, networks):
            continue
        kind = address_kind(address)
        if kind is None:
            continue
        params = {"host": host, "address": address, "kind": KINDS[kind]}
        if host == str(address):
            reason = _(
                "%(host)s is not a public address (%(kind)s); Kanalvakt fetches only public addresses."
            )
        else:
            reason = _(
                "%(host)s leads to %(address)s, which is not a public address (%(kind)s); Kanalvakt "
                "fetches only public addresses."
            )
        raise OutboundRefused(reason % params, code="address")
    if port not in PORTS and not all(_allowed(address, networks) for address in addresses):
        raise OutboundRefused(
            _("Kanalvakt fetches only the standard ports 80 and 443, not port %(port)d.") % {"port": port},
            code="port",
        )


# --- Reading a URL as a browser does (pure) --------------------------------------------------------------


def parse_url(url: str) -> Destination:
    """Scheme, host, port and (for an address literal) the address a browser would connect to.

    Raises OutboundRefused for another scheme than http or https, a user name or password before an
    "@", and an address no browser would read the same way (spaces, backslashes, control characters,
    a host that is not one).
    """
    text = url.strip()
    if text.split(":", 1)[0].lower() not in SCHEMES or ":" not in text:
        raise OutboundRefused(_("Kanalvakt fetches only http and https addresses."), code="scheme")
    if _UNREADABLE.search(text):
        raise _malformed()
    parts = urlsplit(text)
    if "@" in parts.netloc:
        raise OutboundRefused(
            _("Kanalvakt does not fetch an address with a user name or password in it (before an @)."),
            code="userinfo",
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise _malformed() from exc
    netloc = parts.netloc
    if netloc.startswith("["):  # an IPv6 address, and nothing else, is written in brackets
        inside, bracket, rest = netloc[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")) or ":" not in inside:
            raise _malformed()
        host, address = _read_host(inside)
    else:
        host, address = _read_host(netloc.split(":", 1)[0])
    scheme = parts.scheme.lower()
    port = DEFAULT_PORTS[scheme] if port is None else port  # ":0" is port 0, not the default
    return Destination(scheme=scheme, host=host, port=port, address=address)


def _malformed() -> OutboundRefused:
    return OutboundRefused(
        _("A browser would not read this address as written: check its host, spaces and backslashes."),
        code="malformed",
    )


def host_address(host: str) -> IPAddress | None:
    """The address a host stands for when it is one (in any spelling a browser accepts), or None for
    a name. Raises OutboundRefused for a host no browser accepts."""
    return _read_host(host)[1]


def _read_host(raw: str) -> tuple[str, IPAddress | None]:
    if not raw:
        raise _malformed()
    if ":" in raw:  # only an IPv6 literal has a colon; a zone ("%eth0") is not allowed in a URL
        if "%" in raw:
            raise _malformed()
        try:
            v6 = ipaddress.IPv6Address(raw)
        except ValueError as exc:
            raise _malformed() from exc
        return str(v6), v6
    # WHATWG host parsing: percent-decode, map (UTS 46: compatibility forms, full stops, case), then
    # a host whose last label is a number is an IPv4 address in decimal, octal or hex, whole or short.
    host = unicodedata.normalize("NFKC", unquote(raw)).translate(_FULL_STOPS).lower()
    if _FORBIDDEN_IN_HOST.search(host):
        raise _malformed()
    address = _whatwg_ipv4(host)
    if address is not None:
        return str(address), address
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = host  # left to DNS (which finds nothing) rather than guessed
    return ascii_host, None


def _whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address of a host that "ends in a number" (WHATWG URL, IPv4 parser), else None."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if not ((last.isascii() and last.isdigit()) or _ipv4_number(last) is not None):
        return None
    numbers = [_ipv4_number(label) for label in labels]
    if len(labels) > 4 or any(n is None for n in numbers):
        raise _malformed()
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise _malformed()
    total = values[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(values[:-1]))
    return ipaddress.IPv4Address(total)


def _ipv4_number(text: str) -> int | None:
    if not text:
        return None
    radix = 10
    if text[:2] in ("0x", "0X"):
        radix, text = 16, text[2:]
    elif len(text) > 1 and text[0] == "0":
        radix, text = 8, text[1:]
    if not text:
        return 0
    digits = "0123456789abcdef"[:radix]
    if not all(c in digits for c in text.lower()):
        return None
    return int(text, radix)


def check_static(url: str) -> Destination:
    """The checks that need no DNS: scheme, user name, port, and an address written in the host.

    ``localhost`` and ``*.localhost`` are loopback by name (RFC 6761; browsers resolve them so).
    """
    destination = parse_url(url)
    if destination.address is not None:
        check_addresses(destination.host, destination.port, [destination.address])
    elif (name := destination.host.rstrip(".")) == "localhost" or name.endswith(".localhost"):
        check_addresses(destination.host, destination.port, [ipaddress.IPv4Address("127.0.0.1")])
    elif destination.port not in PORTS:
        raise OutboundRefused(
            _("Kanalvakt fetches only the standard ports 80 and 443, not port %(port)d.")
            % {"port": destination.port},
            code="port",
        )
    return destination


# --- Resolution and connection ---------------------------------------------------------------------------


def resolve_checked(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address ``host`` resolves to, each one checked; OutboundRefused when any is not public.

    An address written as the host is not looked up. A name that does not resolve is
    OutboundUnreachable.
    """
    address = host_address(host)
    if address is not None:
        addresses: tuple[IPAddress, ...] = (address,)
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise OutboundUnreachable(
                _("The host name %(host)s could not be found.") % {"host": host}, code="unresolved"
            ) from exc
        found: dict[IPAddress, None] = {}
        for *_rest, sockaddr in infos:
            found[ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])] = None
        addresses = tuple(found)
        if not addresses:
            raise OutboundUnreachable(
                _("The host name %(host)s could not be found.") % {"host": host}, code="unresolved"
            )
    check_addresses(host, port, addresses)
    return addresses


def check_url(url: str) -> tuple[Destination, tuple[IPAddress, ...]]:
    """Everything before a fetch of ``url``: the static checks, then every resolved address."""
    destination = check_static(url)
    return destination, resolve_checked(destination.host, destination.port)


def open_connection(host: str, port: int, *, timeout: float) -> socket.socket:
    """A TCP connection to ``host``, made to one of the addresses that were checked (resolve and pin).

    Raises OutboundRefused, or OutboundUnreachable when no checked address answers.
    """
    for address in resolve_checked(host, port):
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((str(address), port))
        except OSError:
            sock.close()
            continue
        return sock
    raise OutboundUnreachable(_("%(host)s did not answer.") % {"host": host}, code="unreachable")


# --- Intake ------------------------------------------------------------------------------------------------


def validate_public_url(value: str) -> None:
    """A Django validator for an address Kanalvakt may fetch later: refused when it never could be
    (another scheme than http or https, a user name or password, a port other than 80 and 443, an
    address in a refused range written as the host). No DNS: a name is judged when it is fetched."""
    if not value:
        return
    try:
        check_static(value)
    except OutboundRefused as exc:
        raise ValidationError(exc.reason, code="refused") from exc

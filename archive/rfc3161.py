"""RFC 3161 trusted timestamps: the query, the reply and the verification of a token. No ORM.

A timestamp authority (TSA) signs a token saying that a given hash existed at a given time
(``genTime``). Kanalvakt asks for one over each archived file's SHA-256 (archive.timestamps), keeps
the token, and verifies it later against the configured certificate:

- ``build_query(digest, nonce)`` is a TimeStampReq over a SHA-256 digest, asking for the TSA's
  certificate in the reply. The query is written here rather than by the library because the
  library's builder takes the file's bytes, and Kanalvakt timestamps the hash the ledger recorded,
  not the file as it is read again later.
- ``post_query`` sends it (POST ``application/timestamp-query``) through core.outbound, so that the
  TSA's address is checked and pinned like every other outbound request.
- ``read_reply`` accepts a reply only when its status is granted, its nonce is the one sent, its
  message imprint is the digest sent, and its signature verifies (``verify_token``).
- ``verify_token`` checks a kept token: the signature against the configured certificate(s) at the
  token's own time, a signing certificate with the critical timeStamping extended key usage, and
  the SHA-256 imprint equal to the recorded digest.

Parsing and signature checks are rfc3161-client's (the Sigstore project's verifier, built on
OpenSSL through cryptography); this module holds only what Kanalvakt decides.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from rfc3161_client import (
    PKIStatus,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from core.outbound import OutboundError, check_static, open_connection

SHA256_OID = "2.16.840.1.101.3.4.2.1"
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY = 1024 * 1024  # a token with a certificate chain is a few kilobytes
# The signature algorithms a SignerInfo may name (RFC 5754, RFC 8419, RFC 4056).
SIGNATURE_ALGORITHMS = frozenset(
    {
        "1.2.840.113549.1.1.1",  # rsaEncryption
        "1.2.840.113549.1.1.10",  # RSASSA-PSS
        "1.2.840.113549.1.1.11",  # sha256WithRSAEncryption
        "1.2.840.113549.1.1.12",  # sha384WithRSAEncryption
        "1.2.840.113549.1.1.13",  # sha512WithRSAEncryption
        "1.2.840.10045.4.3.2",  # ecdsa-with-SHA256
        "1.2.840.10045.4.3.3",  # ecdsa-with-SHA384
        "1.2.840.10045.4.3.4",  # ecdsa-with-SHA512
        "1.3.101.112",  # Ed25519
    }
)
# AlgorithmIdentifier { id-sha256, NULL }, DER.
_SHA256_ALGORITHM = bytes.fromhex("300d06096086480165030402010500")


class TimestampError(Exception):
    """A token that was not obtained or does not verify; ``str()`` says why, in English, for the
    operator (it is kept with the attempt and printed by verify_archive)."""


class NotReached(TimestampError):
    """The TSA could not be reached or did not answer: try again later."""


@dataclass(frozen=True)
class Token:
    """A verified token and what it says."""

    der: bytes  # the TimeStampToken (a CMS ContentInfo), as RFC 3161 defines it
    gen_time: datetime
    serial: int
    policy: str


# --- The query ------------------------------------------------------------------------------------


def _der(tag: int, body: bytes) -> bytes:
    length = len(body)
    if length < 0x80:
        return bytes([tag, length]) + body
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + body


def _der_integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def build_query(digest: bytes, nonce: int) -> bytes:
    """TimeStampReq { version 1, messageImprint { sha256, digest }, nonce, certReq TRUE } in DER."""
    if len(digest) != 32:
        raise ValueError("a SHA-256 digest is 32 bytes")
    imprint = _der(0x30, _SHA256_ALGORITHM + _der(0x04, digest))
    return _der(0x30, _der_integer(1) + imprint + _der_integer(nonce) + b"\x01\x01\xff")


def _children(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
    """The DER elements between ``start`` and ``end``: (tag, start of contents, end of contents)."""
    end = len(data) if end is None else end
    found = []
    at = start
    while at < end:
        tag, length = data[at], data[at + 1]
        at += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[at : at + count], "big")
            at += count
        if at + length > end:
            raise ValueError("a DER element runs past its container")
        found.append((tag, at, at + length))
        at += length
    return found


def _oid(body: bytes) -> str:
    first, arcs, value = body[0], [], 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(n) for n in (min(first // 40, 2), first - 40 * min(first // 40, 2), *arcs))


def _signature_algorithm(token: bytes) -> str:
    """The OID of the SignerInfo's signatureAlgorithm in a TimeStampToken (ContentInfo, RFC 5652):
    SignedData's last element is the SignerInfo set; in a SignerInfo it follows the digest algorithm
    and the optional signed attributes ([0])."""
    try:
        ((_, start, end),) = _children(token)
        _, signed_start, signed_end = _children(token, start, end)[1]  # [0] EXPLICIT content
        ((_, data_start, data_end),) = _children(token, signed_start, signed_end)
        _, set_start, set_end = _children(token, data_start, data_end)[-1]
        ((_, info_start, info_end),) = _children(token, set_start, set_end)
        elements = _children(token, info_start, info_end)[3:]  # after version, sid, digestAlgorithm
        if elements and elements[0][0] == 0xA0:
            elements = elements[1:]
        _, algorithm_start, algorithm_end = elements[0]
        _, oid_start, oid_end = _children(token, algorithm_start, algorithm_end)[0]
        return _oid(token[oid_start:oid_end])
    except (ValueError, IndexError) as exc:
        raise ValueError(f"no SignerInfo signature algorithm: {exc}") from exc


# --- The HTTP exchange ----------------------------------------------------------------------------


class _PinnedHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = open_connection(self.host, self.port, timeout=self.timeout or 10.0)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = open_connection(self.host, self.port, timeout=self.timeout or 10.0)
        self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)


def post_query(url: str, query: bytes, *, timeout: float) -> bytes:
    """POST the query to the TSA and return the reply's bytes. Raises NotReached when nothing came
    back (refused address, no connection, no answer in time, an HTTP error status), TimestampError
    when what came back is not a timestamp reply."""
    try:
        destination = check_static(url)
    except OutboundError as exc:
        raise NotReached(f"the TSA address is refused: {exc.reason}") from exc
    parts = urlsplit(url.strip())
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPS if destination.scheme == "https" else _PinnedHTTP
    conn = connection_class(destination.host, destination.port, timeout=timeout)
    try:
        conn.request(
            "POST",
            target,
            body=query,
            headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE, "User-Agent": "Kanalvakt"},
        )
        answer = conn.getresponse()
        data = answer.read(MAX_REPLY + 1)
    except OutboundError as exc:
        raise NotReached(exc.reason) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise NotReached(f"no answer from {destination.host}: {exc}") from exc
    finally:
        conn.close()
    if answer.status != 200:
        raise NotReached(f"the TSA answered HTTP {answer.status}")
    if len(data) > MAX_REPLY:
        raise NotReached("the TSA answered with more than 1 MB")
    # RFC 3161 3.4; some older authorities still say "timestamp-response".
    content_type = (answer.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
    if content_type not in (REPLY_TYPE, "application/timestamp-response"):
        raise TimestampError(f"the TSA answered {content_type or 'no content type'}, not {REPLY_TYPE}")
    return data


# --- Reading and verifying ------------------------------------------------------------------------


def load_certificates(path: str | Path) -> list[x509.Certificate]:
    """The certificates in a PEM file: the TSA's root CA, or the TSA's own certificate when it is
    self-signed (OpenSSL verifies up to a self-signed root). Raises ValueError when there is none."""
    certificates = x509.load_pem_x509_certificates(Path(path).read_bytes())
    if not certificates:
        raise ValueError(f"{path} holds no PEM certificate")
    return certificates


def _verify(
    response: TimeStampResponse, digest: bytes, roots: list[x509.Certificate], nonce: int | None
) -> Token:
    try:
        return _checked(response, digest, roots, nonce)
    except ValueError as exc:  # the library reads parts of the token only when they are asked for
        raise TimestampError(f"the token cannot be read: {exc}") from exc


def _checked(
    response: TimeStampResponse, digest: bytes, roots: list[x509.Certificate], nonce: int | None
) -> Token:
    info = response.tst_info
    # RFC 5652 5.1: a SignedData whose content is not id-data (a token's is TSTInfo) is version 3.
    # The signature does not cover this number, so it is checked here.
    # Nor do they cover the SignerInfo's version (1 with an issuer and serial number, as here) and
    # its signature algorithm, which OpenSSL takes from the key; so a changed byte there is caught too.
    if response.signed_data.version != 3:
        raise TimestampError("the token's SignedData version is not 3")
    signers = response.signed_data.signer_infos
    if len(signers) != 1 or next(iter(signers)).version != 1:
        raise TimestampError("the token does not have one SignerInfo of version 1")
    if _signature_algorithm(response.time_stamp_token()) not in SIGNATURE_ALGORITHMS:
        raise TimestampError("the token's signature algorithm is not one Kanalvakt accepts")
    if info.message_imprint.hash_algorithm.dotted_string != SHA256_OID:
        raise TimestampError("the token is not over a SHA-256 hash")
    if info.message_imprint.message != digest:
        raise TimestampError("the token is for another hash than the recorded one")
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    if nonce is not None:
        builder = builder.nonce(nonce)
    try:
        builder.build().verify(response, digest)
    except VerificationError as exc:
        raise TimestampError(f"the token does not verify: {exc}") from exc
    return Token(
        der=response.time_stamp_token(),
        gen_time=info.gen_time.astimezone(UTC),
        serial=info.serial_number,
        policy=info.policy.dotted_string,
    )


def read_reply(reply: bytes, *, digest: bytes, nonce: int, roots: list[x509.Certificate]) -> Token:
    """The token in a TSA's reply to ``build_query(digest, nonce)``, verified; TimestampError when
    the TSA refused, or the reply is not for this query or does not verify."""
    try:
        response = decode_timestamp_response(reply)
    except ValueError as exc:
        raise TimestampError(f"the reply is not an RFC 3161 TimeStampResp: {exc}") from exc
    if response.status != PKIStatus.GRANTED:  # "granted with modifications" is not what was asked
        said = "; ".join(response.status_string) or "no reason given"
        raise TimestampError(f"the TSA refused (status {response.status}): {said}")
    if response.tst_info.nonce != nonce:
        raise TimestampError("the reply's nonce is not the one sent")
    return _verify(response, digest, roots, nonce)


def _as_response(token: bytes) -> bytes:
    """A granted TimeStampResp around a kept token, which is how the library reads a token."""
    status = _der(0x30, _der_integer(PKIStatus.GRANTED))
    return _der(0x30, status + token)


def verify_token(token: bytes, *, digest: bytes, roots: list[x509.Certificate]) -> Token:
    """Verify a kept token over ``digest``; TimestampError says what is wrong (a changed byte breaks
    the parse or the signature, a token for another hash breaks the imprint)."""
    try:
        response = decode_timestamp_response(_as_response(token))
    except ValueError as exc:
        raise TimestampError(f"the token cannot be read: {exc}") from exc
    return _verify(response, digest, roots, None)

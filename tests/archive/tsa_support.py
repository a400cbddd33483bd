"""A real RFC 3161 timestamp authority for tests: OpenSSL's ``openssl ts -reply`` with a test CA and
a TSA certificate made here (critical timeStamping extended key usage), behind a small HTTP endpoint
on 127.0.0.1 that pipes each query into OpenSSL and returns its DER reply.

``mode`` makes it misbehave the way a broken or hostile TSA would, still signing with its real key:
"other hash" answers for another digest than the one asked about, "other nonce" with another nonce
than the one sent, "refuse" with HTTP 503, "html" with a web page.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from archive.rfc3161 import build_query

POLICY = "1.2.3.4.1"

_CONFIG = """\
[tsa]
default_tsa = tsa_config

[tsa_config]
dir = {dir}
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.pem
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = {policy}
other_policies = 1.2.3.4.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

_LEAF_EXTENSIONS = """\
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def openssl(*args: str, cwd: Path, data: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], cwd=cwd, input=data, capture_output=True, check=True).stdout


def make_ca(folder: Path, name: str) -> Path:
    """A self-signed root CA, as ``folder/name.pem`` with its key beside it."""
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN=Kanalvakt test {name}",
        "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    return folder / f"{name}.pem"


@dataclass
class LocalTSA:
    folder: Path
    ca: Path
    url: str = ""
    mode: str = "ok"
    queries: list[bytes] = field(default_factory=list)
    # `openssl ts -reply` reads and rewrites its serial file: two at once may both fail to.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, query: bytes) -> bytes:
        """OpenSSL's reply to ``query`` (or, by ``mode``, to another query it made itself)."""
        self.queries.append(query)
        if self.mode in ("other hash", "other nonce"):
            # OpenSSL reads the query; the TSA then signs one it changed: another digest with the nonce
            # sent, or the digest sent with another nonce.
            text = openssl("ts", "-query", "-in", "/dev/stdin", "-text", cwd=self.folder, data=query).decode()
            digest = bytes.fromhex(_imprint_hex(text))
            nonce = int(text.split("Nonce: ", 1)[1].split()[0], 16)
            if self.mode == "other hash":
                digest = hashlib.sha256(digest).digest()
            else:
                nonce += 1
            query = build_query(digest, nonce)
        with self.lock:
            return openssl(
                "ts", "-reply", "-queryfile", "/dev/stdin", "-config", str(self.folder / "tsa.cnf"),
                cwd=self.folder, data=query,
            )  # fmt: skip


def _imprint_hex(text: str) -> str:
    """The message imprint from ``openssl ts -query -text``'s hex dump."""
    lines = text.split("Message data:")[1].splitlines()[1:]
    digest = ""
    for line in lines:
        if " - " not in line:
            break
        digest += line.split(" - ", 1)[1][:48].replace("-", " ").replace(" ", "")
    return digest


def make_tsa(folder: Path, *, self_signed: bool = False) -> LocalTSA:
    """A root CA and a TSA certificate it issued (or only a self-signed TSA certificate), and
    OpenSSL's TSA configuration for them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tsa.ext").write_text(_LEAF_EXTENSIONS)
    if self_signed:
        (folder / "self.cnf").write_text(
            "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3\n[dn]\n"
            "CN = Kanalvakt test TSA\n[v3]\n" + _LEAF_EXTENSIONS.replace("keyid", "keyid:always")
        )
        openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-keyout", "tsa.key",
            "-out", "tsa.pem", "-config", "self.cnf", cwd=folder,
        )  # fmt: skip
        ca = folder / "tsa.pem"
    else:
        ca = make_ca(folder, "root")
        openssl(
            "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
            "-subj", "/CN=Kanalvakt test TSA", cwd=folder,
        )  # fmt: skip
        openssl(
            "x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial",
            "-days", "3650", "-extfile", "tsa.ext", "-out", "tsa.pem", cwd=folder,
        )  # fmt: skip
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(_CONFIG.format(dir=folder, policy=POLICY))
    return LocalTSA(folder=folder, ca=ca)


class _Handler(BaseHTTPRequestHandler):
    tsa: LocalTSA

    def do_POST(self) -> None:
        query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.tsa.mode == "refuse" or self.headers.get("Content-Type") != "application/timestamp-query":
            self.send_response(503)
            self.end_headers()
            return
        if self.tsa.mode == "html":
            body, content_type = b"<html><body>Service unavailable</body></html>", "text/html"
        else:
            body, content_type = self.tsa.reply(query), "application/timestamp-reply"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on (a TSA that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def tsa_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CA, the TSA's certificate and its configuration, made once per test module (RSA keys
    take a while)."""
    return make_tsa(tmp_path_factory.mktemp("tsa")).folder


@pytest.fixture
def tsa(tsa_folder: Path, settings: Any) -> Iterator[LocalTSA]:
    """The test TSA, serving on 127.0.0.1 and configured as Kanalvakt's (TSA_URL, TSA_CA_CERT)."""
    authority = LocalTSA(folder=tsa_folder, ca=tsa_folder / "root.pem")
    handler = type("Handler", (_Handler,), {"tsa": authority})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    authority.url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.TSA_URL = authority.url
    settings.TSA_CA_CERT = str(authority.ca)
    settings.TSA_TIMEOUT = 5
    try:
        yield authority
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

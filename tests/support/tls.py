"""A throw-away certificate authority for loopback HTTPS tests, made with the `openssl` CLI.

`make_ca(folder)` writes ca.pem (the CA certificate a client is told to trust) and server.pem / server.key (a
certificate for 127.0.0.1 and localhost signed by that CA). `serve_tls(server, ca)` switches one of the loopback
servers in support.osv_server to HTTPS.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.osv_server import LoopbackServer


@dataclass(frozen=True)
class LoopbackCa:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def make_ca(folder: Path) -> LoopbackCa:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl CLI not on PATH: the loopback HTTPS tests cannot make a test CA (SKIPPED)")
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True, timeout=60)

    run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=extgate test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    run(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    )
    (folder / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        "server.pem",
        "-extfile",
        "ext.cnf",
    )
    return LoopbackCa(folder / "ca.pem", folder / "server.pem", folder / "server.key")


def serve_tls(server: LoopbackServer, ca: LoopbackCa) -> LoopbackServer:
    """Wrap the (not yet started) server's listening socket in TLS and point its url at https."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ca.server_cert, ca.server_key)
    httpd = server._httpd
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    server.url = server.url.replace("http://", "https://")
    return server

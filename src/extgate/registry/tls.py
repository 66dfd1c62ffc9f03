"""TLS trust for every HTTPS client extgate opens (registry, OSV, downloads, repository checks).

Why not certifi alone: behind a corporate proxy that re-signs TLS, the proxy's CA lives in the system trust store
or in `SSL_CERT_FILE` / `SSL_CERT_DIR`; a certifi-only context rejects every request and each one fails closed
(every package with dependencies is blocked). The order is pip's:

1. `ca_bundle` (`--ca-bundle FILE|DIR`) replaces every other source: only that CA set is trusted;
2. otherwise the system trust store through `truststore` (the OS verifier on macOS/Windows, OpenSSL's default
   paths on Linux) plus `SSL_CERT_FILE` / `SSL_CERT_DIR` when they name existing files;
3. certifi when `truststore` is not installed and the system store is empty (minimal containers).

Verification is never switched off: a certificate nobody trusts is a transport error, which the gates turn into
a blocked verdict.
"""

from __future__ import annotations

import functools
import os
import ssl
from pathlib import Path

import certifi


class CaBundleError(ValueError):
    """`ca_bundle` names nothing usable (missing, or not PEM certificates)."""


def ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The verifying context for one client. Cached per (bundle, SSL_CERT_FILE, SSL_CERT_DIR): building one loads
    a CA store (~80 ms); contexts are only read after they are built, so sharing them across threads is safe."""
    return _context(ca_bundle, os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None)


@functools.lru_cache(maxsize=16)
def _context(ca_bundle: str | None, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    if ca_bundle is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifying, hostname-checking, empty store
        _load(context, ca_bundle, strict=True)
        return context
    context = _system_context()
    for extra in (cert_file, cert_dir):
        if extra:
            _load(context, extra, strict=False)
    return context


def _system_context() -> ssl.SSLContext:
    try:
        import truststore
    except ImportError:
        context = ssl.create_default_context()  # OpenSSL default paths, which honour SSL_CERT_FILE / SSL_CERT_DIR
        if not context.cert_store_stats()["x509_ca"] and not _has_capath():
            context.load_verify_locations(cafile=certifi.where())
        return context
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not _system_store_found():
        context.load_verify_locations(cafile=certifi.where())
    return context


def _has_capath() -> bool:
    capath = ssl.get_default_verify_paths().capath
    return bool(capath) and any(Path(capath).glob("*.[0-9]"))


def _system_store_found() -> bool:
    """Whether the OS has a trust store truststore can use (always on macOS/Windows; on Linux a CA file or dir)."""
    if os.name == "nt" or os.uname().sysname == "Darwin":
        return True
    paths = ssl.get_default_verify_paths()
    if paths.cafile or _has_capath():
        return True
    # truststore's own fallbacks (Debian, RHEL, Alpine, SUSE ... bundle locations)
    return any(os.path.isfile(c) for c in _LINUX_BUNDLES)


_LINUX_BUNDLES = (  # where truststore itself looks when OpenSSL's defaults are empty
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/ca-bundle.pem",
)


def _load(context: ssl.SSLContext, where: str, *, strict: bool) -> None:
    path = Path(where)
    try:
        if path.is_dir():
            context.load_verify_locations(capath=str(path))
        elif path.is_file():
            context.load_verify_locations(cafile=str(path))
        elif strict:
            raise CaBundleError(f"CA bundle not found: {where}")
    except (ssl.SSLError, OSError) as exc:
        if strict:
            reason = exc.reason if isinstance(exc, ssl.SSLError) else exc.strerror
            raise CaBundleError(f"CA bundle {where} is not usable: no PEM certificates read ({reason})") from None

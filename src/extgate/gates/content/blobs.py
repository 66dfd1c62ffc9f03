"""content/base64-blob: long base64/hex runs, minus the things that only look like blobs.

Not blobs: Subresource Integrity strings (`sha512-...`), runs of one repeated character or word-like text (entropy
below the measured threshold), hex digests of the lengths listed in the rule data (SHA-512 = 128), and `data:` URIs
whose decoded bytes really are the image/font/JSON type they declare. A `data:` URI whose bytes do not match its type,
or of a type not on the list (wasm, octet-stream, javascript), is reported.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any

from extgate.gates.content.entropy import shannon
from extgate.gates.content.interface import Raw, RuleSpec, Scan, props
from extgate.gates.content.text import before_on_line, decode, digest
from extgate.model import truncate

_HEX = re.compile(rb"[0-9A-Fa-f]+")
_DIGIT = re.compile(rb"[0-9]")
_SRI = re.compile(rb"sha(?:1|256|384|512)-", re.IGNORECASE)
_DATA_URI = re.compile(rb"data:([a-z0-9.+-]+/[a-z0-9.+-]+)(?:;[a-z0-9.+=-]*)*;base64,\Z", re.IGNORECASE)
_URLSAFE = bytes.maketrans(b"-_", b"+/")
_HEAD_CHARS = 88  # decode this many characters (66 bytes) to check a data: URI's magic bytes


def blob(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    params = spec.params
    min_entropy = float(params.get("min_entropy", 4.0))
    hex_min_entropy = float(params.get("hex_min_entropy", 3.0))
    digest_lengths = {int(n) for n in params.get("hex_digest_lengths", ())}
    max_separators = float(params.get("max_separator_share", 0.1))
    magic: Mapping[str, Any] = params.table("data_uri_magic")
    data = scan.data
    for match in scan.matches(spec):
        start, end = match.span()
        run = data[start : min(end, start + 4096)]
        length = end - start
        if _SRI.match(run):
            continue
        hex_start = start + 2 if run[:2] in (b"0x", b"0X") else start  # 0x-prefixed: contract bytecode, keys
        is_hex = _HEX.fullmatch(data, hex_start, end) is not None
        if is_hex:
            if (
                end - hex_start in digest_lengths
                or shannon(data[hex_start : min(end, hex_start + 4096)]) < hex_min_entropy
            ):
                continue
        elif (
            shannon(run) < min_entropy
            or (_DIGIT.search(run) is None and len(run) == length)
            or _separators(run) > max_separators * len(run)
        ):
            continue  # word-like text or one repeated character; 100+ random base64 chars always hold a digit
        mime_match = _DATA_URI.search(before_on_line(data, start, 160))
        note = ""
        if mime_match:
            mime = decode(mime_match.group(1)).lower()
            signatures = magic.get(mime)
            if signatures is not None and _matches_magic(run[:_HEAD_CHARS], signatures):
                continue
            note = (
                f" It is a data: URI declared as {truncate(mime, 60)}, but its bytes are not that type."
                if signatures is not None
                else f" It is a data: URI of type {truncate(mime, 60)}, which is not an image, font or source map."
            )
        kind = "hex" if is_hex else "base64"
        yield Raw(
            start,
            end,
            f"{length:,}-character {kind} run.{note} Encoded blobs hide what a package ships from review and from "
            f"scanners: ship the decoded file as a separate asset (or the code that generates it), or acknowledge "
            f"this warning if the data is inert.",
            snippet=truncate(decode(data[start : start + 40])) + f"…({length:,} chars)",
            shows=(start, start + 40),
            evidence=digest(data[start:end]),
            properties=props(length=length, encoding=kind, data_uri=bool(mime_match)),
        )


def _separators(run: bytes) -> int:
    """`_`, `-` and `/`: frequent in identifiers and paths, about 3% of random base64(url)."""
    return run.count(b"_") + run.count(b"-") + run.count(b"/")


def _matches_magic(head: bytes, signatures: Any) -> bool:
    """`signatures`: hex strings (`..` = any byte) or `text:<prefix>` for text formats such as SVG and JSON."""
    usable = head[: len(head) - len(head) % 4]
    try:
        raw = base64.b64decode(usable.translate(_URLSAFE), validate=True)
    except (binascii.Error, ValueError):
        return False
    text = raw.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for signature in signatures:
        sig = str(signature)
        if sig.startswith("text:"):
            if text.startswith(sig[5:].lower().encode()):
                return True
        elif _hex_match(raw, sig):
            return True
    return False


def _hex_match(raw: bytes, signature: str) -> bool:
    pairs = [signature[i : i + 2] for i in range(0, len(signature), 2)]
    if len(raw) < len(pairs):
        return False
    return all(p == ".." or raw[i] == int(p, 16) for i, p in enumerate(pairs))

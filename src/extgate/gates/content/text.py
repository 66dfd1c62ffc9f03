"""Byte-level helpers: is a file text, where is an offset (line/column), and how to show a secret without leaking it."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from extgate.model import truncate

_SNIFF = 8192
# UTF-8 continuation bytes (0b10xxxxxx): not the start of a character, so not counted as a column.
_CONTINUATION = bytes(range(0x80, 0xC0))


def suffix_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith(".d.ts"):
        return ".d.ts"
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def is_text(path: str, data: bytes, text_suffixes: frozenset[str], binary_suffixes: frozenset[str]) -> bool:
    """Code and docs are text whatever they contain (a NUL byte must not hide a bundle from the scan); known binary
    types are skipped; anything else is text unless its first 8 KiB hold a NUL byte."""
    suffix = suffix_of(path)
    if suffix in text_suffixes:
        return True
    if suffix in binary_suffixes:
        return False
    return b"\0" not in data[:_SNIFF]


def char_count(data: bytes, start: int, end: int) -> int:
    """Characters (UTF-8 code points) in data[start:end]; invalid bytes count one each, like a decoder's U+FFFD."""
    segment = data[start:end]
    if segment.isascii():
        return len(segment)
    return len(segment.translate(None, _CONTINUATION))


class Positions:
    """Byte offset -> (line, column), 1-based, columns in characters.

    Offsets asked in ascending order cost O(distance) each, so positioning every hit of a file is O(file size) in
    total, without splitting the file into lines (a 5 MB single line stays one buffer).
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._reset()

    def _reset(self) -> None:
        self._offset = 0
        self._line = 1
        self._line_start = 0
        self._chars = 0  # characters between the line start and the current offset

    def at(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self._data)))
        if offset < self._offset:
            self._reset()
        data = self._data
        newlines = data.count(b"\n", self._offset, offset)
        if newlines:
            self._line += newlines
            self._line_start = data.rfind(b"\n", self._offset, offset) + 1
            self._chars = char_count(data, self._line_start, offset)
        else:
            self._chars += char_count(data, self._offset, offset)
        self._offset = offset
        return self._line, self._chars + 1

    def line_bounds(self, offset: int) -> tuple[int, int]:
        """Start and end byte offsets of the line holding `offset` (end excludes the newline)."""
        start = self._data.rfind(b"\n", 0, offset) + 1
        end = self._data.find(b"\n", offset)
        return start, len(self._data) if end < 0 else end


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def excerpt(data: bytes, start: int, end: int, limit: int = 120) -> str:
    """The matched text, bounded: a 5 MB match shows its first `limit` characters and its length."""
    if end - start <= limit:
        return truncate(decode(data[start:end]))
    head = decode(data[start : min(end, start + 4 * limit)])[:limit].rstrip("\ufffd")
    return truncate(head) + f"…({end - start:,} bytes)"


def excerpt_span(start: int, end: int, limit: int = 120) -> tuple[int, int]:
    """The byte range `excerpt` may copy (for withholding snippets that overlap a secret)."""
    return start, min(end, start + 4 * limit)


def redact(value: str, reveal: int = 4) -> str:
    """A secret as `prefix…(N chars)`: enough to find and rotate it, never enough to use it."""
    reveal = max(0, min(reveal, len(value) // 3))
    return f"{value[:reveal]}…({len(value)} chars)"


def digest(value: bytes | str) -> str:
    """Fingerprint evidence for a secret: a short hash, stable across versions, useless to an attacker."""
    raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:16]


def before_on_line(data: bytes, offset: int, limit: int = 64) -> bytes:
    """Up to `limit` bytes before `offset` on the same line (context checks such as `version: "`)."""
    window = data[max(0, offset - limit) : offset]
    newline = window.rfind(b"\n")
    return window[newline + 1 :] if newline >= 0 else window


def context_span(start: int, end: int, around: int = 40) -> tuple[int, int]:
    """The byte range `context` may copy."""
    return max(0, start - around), end + around


def context(data: bytes, start: int, end: int, around: int = 40) -> str:
    """The match with up to `around` bytes of the same line on each side, bounded for snippets."""
    head = before_on_line(data, start, around)
    tail = data[end : end + around]
    newline = tail.find(b"\n")
    if newline >= 0:
        tail = tail[:newline]
    body = data[start:end] if end - start <= 120 else data[start : start + 120] + b"..."
    return truncate(decode(head + body + tail).strip())


@lru_cache(maxsize=64)
def any_of(patterns: tuple[str, ...], caseless: bool = False) -> re.Pattern[bytes] | None:
    """One compiled alternation of YAML regexes (bytes syntax), None when there are none."""
    if not patterns:
        return None
    return re.compile(b"|".join(b"(?:" + p.encode() + b")" for p in patterns), re.IGNORECASE if caseless else 0)

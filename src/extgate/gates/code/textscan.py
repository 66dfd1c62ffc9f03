"""Byte-level helpers: positions (1-based line, character column) and the Trojan Source character scan.

Trojan Source (CVE-2021-42574) hides code with Unicode bidirectional controls and zero-width characters; they are
dangerous anywhere in a code file, comments and strings included, so this scan runs on the raw bytes, not the tree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence

from extgate.gates.code.interface import RawFinding

# UTF-8 encodings of: U+200B-U+200F (zero-width space/non-joiner/joiner, LRM, RLM), U+202A-U+202E (embeddings,
# overrides), U+2060 (word joiner), U+2066-U+2069 (isolates), U+061C (Arabic letter mark), U+FEFF (BOM / ZWNBSP)
TROJAN_BYTES = re.compile(rb"\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0\xa6-\xa9]|\xd8\x9c|\xef\xbb\xbf")
# joiners and directional marks are orthographic inside natural-language text (emoji ZWJ sequences, Persian and
# Indic words, Hebrew/Arabic strings and codepage tables): allowed between two non-ASCII characters
_TEXT_MARKS = frozenset("\u200c\u200d\u200e\u200f\u061c")
# zero-width joiners are letters' business: inside a string literal they are text, not a hidden token
JOINERS = frozenset("\u200c\u200d")
InString = Callable[[int, int], bool]  # (start, end) byte range -> inside a string literal?
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def line_of(data: bytes, offset: int) -> int:
    """1-based line of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


def column_of(data: bytes, offset: int, line_start: int | None = None) -> int:
    """1-based character column of a byte offset (code points since the start of its line)."""
    if line_start is None:
        line_start = data.rfind(b"\n", 0, offset) + 1
    return len(data[line_start:offset].decode("utf-8", "replace")) + 1


def position(data: bytes, offset: int) -> tuple[int, int]:
    return line_of(data, offset), column_of(data, offset)


def snippet_at(data: bytes, start: int, end: int, limit: int = 160) -> str:
    """Decoded text of data[start:end], cut to `limit` characters (never decodes more than 4x limit bytes)."""
    chunk = data[start : min(end, start + limit * 4)].decode("utf-8", "replace")
    return chunk if len(chunk) <= limit else chunk[: limit - 1] + "…"


def _char_at(data: bytes, start: int, end: int) -> str:
    return data[start:end].decode("utf-8", "replace")


def _between_non_ascii(data: bytes, start: int, end: int) -> bool:
    before = data[start - 1] if start > 0 else 0
    after = data[end] if end < len(data) else 0
    return before >= 0x80 and after >= 0x80


def trojan_chars(
    data: bytes, ranges: Sequence[tuple[int, int]] | None = None, in_string: InString | None = None
) -> Iterator[tuple[int, int, str]]:
    """(start, end, char) of every Trojan Source character, inside `ranges` when given.

    Exempt: a BOM at offset 0 (an encoding marker, not content); joiners (ZWJ, ZWNJ) and directional marks
    (LRM, RLM, ALM) between two non-ASCII characters, where natural-language text needs them; and joiners anywhere
    inside a string literal (`in_string`, from the parser). Embeddings, overrides and isolates (the reordering
    controls of the attack), ZWSP, WJ and inner BOMs have no exemption; joiners in identifiers, comments or
    between tokens remain findings."""
    spans = ranges if ranges is not None else ((0, len(data)),)
    for lo, hi in spans:
        for match in TROJAN_BYTES.finditer(data, lo, hi):
            start, end = match.span()
            char = _char_at(data, start, end)
            if char == "\ufeff" and start == 0:
                continue
            if char in _TEXT_MARKS and _between_non_ascii(data, start, end):
                continue
            if char in JOINERS and in_string is not None and in_string(start, end):
                continue
            yield start, end, char


def trojan_findings(
    data: bytes, ranges: Sequence[tuple[int, int]] | None = None, *, limit: int = 25, in_string: InString | None = None
) -> tuple[list[RawFinding], int]:
    """Findings for the first `limit` characters, and the total number of characters found."""
    findings: list[RawFinding] = []
    total = 0
    for start, end, char in trojan_chars(data, ranges, in_string):
        total += 1
        if len(findings) >= limit:
            continue
        code = f"U+{ord(char):04X}"
        name = unicodedata.name(char, "FORMAT CHARACTER")
        kind = "bidirectional control" if char in _BIDI else "invisible zero-width"
        line, column = position(data, start)
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", start)
        context = snippet_at(data, max(line_start, start - 60), min(end + 60, len(data) if line_end < 0 else line_end))
        findings.append(
            RawFinding(
                rule_id="code/trojan-source",
                message=(
                    f"{code} {name} ({kind} character) in code: it makes the source display differently from how it "
                    "is parsed (Trojan Source, CVE-2021-42574). Remove it; if the text needs it, write it as an "
                    f"escape such as \\u{ord(char):04x} inside a string literal."
                ),
                line=line,
                column=column,
                end_line=line,
                end_column=column + 1,
                snippet=_escaped(context),
                evidence=f"{code}:{_escaped(context)}",
                properties=(("codepoint", code),),
            )
        )
    return findings, total


def _escaped(text: str) -> str:
    return "".join(ch if ch.isascii() and ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)

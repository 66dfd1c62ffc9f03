"""Text detection and exact positions (1-based lines, columns in characters, exclusive end columns)."""

from __future__ import annotations

import pytest
from content_helpers import config, of, run
from hypothesis import given
from hypothesis import strategies as st

from extgate.gates.content import analyze_file
from extgate.gates.content.text import Positions, excerpt, is_text, redact

TOKEN = "npm_" + "Vt3k8QpZr2LmX9aWc4Hn7YsB1dFgJ6uE0oTi"


def test_binary_files_are_skipped_but_code_with_a_nul_byte_is_not() -> None:
    payload = f'\0\0 token "{TOKEN}"'
    findings = run(
        {
            "assets/logo.png": b"\x89PNG\r\n\x1a\n" + payload.encode(),
            "assets/blob.bin": payload.encode(),  # unknown type with a NUL byte: binary
            "assets/notes.weird": f"token {TOKEN}".encode(),  # unknown type, no NUL: text
            "dist/index.js": payload.encode(),  # code is text whatever it holds
        }
    )
    assert sorted(f.path or "" for f in of(findings, "secrets/npm-token")) == ["assets/notes.weird", "dist/index.js"]


@pytest.mark.parametrize(
    ("path", "data", "text"),
    [
        ("a.js", b"\0", True),
        ("a.PNG", b"plain", False),
        ("a.d.ts", b"\0", True),
        ("LICENSE", b"MIT", True),
        ("data.dat", b"x" * 9000 + b"\0", True),  # the sniff reads the first 8 KiB only
        ("data.dat", b"\0", False),
    ],
)
def test_is_text(path: str, data: bytes, text: bool) -> None:
    cfg = config()
    assert is_text(path, data, cfg.text_suffixes, cfg.binary_suffixes) is text


def test_columns_count_characters_not_bytes() -> None:
    line = 'const café = "ü"; const ip = "8.8.8.8";\n'
    (hit,) = [h for h in analyze_file("a.js", ("// ☃\n" + line).encode(), config()) if h.rule_id.startswith("content/")]
    assert (hit.line, hit.column) == (2, line.index("8.8.8.8") + 1)
    assert (hit.end_line, hit.end_column) == (2, line.index("8.8.8.8") + 1 + len("8.8.8.8"))


def test_crlf_and_tabs() -> None:
    data = b"a\r\n\tb\r\n\t\tconst x = '8.8.8.8';\r\n"
    (hit,) = analyze_file("a.js", data, config())
    assert (hit.line, hit.column) == (3, 14)


@given(st.lists(st.text(alphabet="ab\né€😀", max_size=12), min_size=1, max_size=8))
def test_positions_match_a_naive_decoder(chunks: list[str]) -> None:
    text = "".join(chunks)
    data = text.encode()
    offsets = sorted({len("".join(chunks[:i]).encode()) for i in range(len(chunks) + 1)})
    positions = Positions(data)
    for offset in offsets + offsets[:1]:  # ascending, then back to the start (the index resets)
        before = data[:offset].decode()
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        assert positions.at(offset) == (line, column)


def test_excerpt_never_splits_a_character_and_says_how_long_the_match_is() -> None:
    data = ("é" * 300).encode()
    shown = excerpt(data, 0, len(data), 10)
    assert shown == "é" * 10 + "…(600 bytes)"


@pytest.mark.parametrize(
    ("value", "reveal", "shown"),
    [
        ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", 4, "ghp_…(40 chars)"),
        ("abcdef", 4, "ab…(6 chars)"),
        ("", 4, "…(0 chars)"),
    ],
)
def test_redact_never_shows_more_than_a_third(value: str, reveal: int, shown: str) -> None:
    assert redact(value, reveal) == shown

"""The manifest parsers: strict JSON/YAML, pointer -> line maps, duplicate keys, hostile input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extgate.gates.manifest.parse import MAX_DEPTH, ParseError, parse_json, parse_yaml, pointer


def test_json_maps_every_member_to_its_line() -> None:
    text = (
        b'{\n  "name": "x",\n  "bin": {\n    "tool": "./bin/tool.js"\n  },\n'
        b'  "files": [\n    "dist",\n    "lib"\n  ]\n}'
    )
    parsed = parse_json(text)
    assert parsed.data["bin"]["tool"] == "./bin/tool.js"
    assert parsed.lines["/name"] == 2
    assert parsed.lines["/bin/tool"] == 4
    assert parsed.lines["/files/0"] == 7
    assert parsed.lines["/files/1"] == 8
    assert parsed.problems == ()


def test_json_pointer_escapes_slash_and_tilde() -> None:
    parsed = parse_json(b'{"dependencies": {\n"@scope/a~b": "1"}}')
    assert parsed.lines[pointer("dependencies", "@scope/a~b")] == 2
    assert pointer("dependencies", "@scope/a~b") == "/dependencies/@scope~1a~0b"


def test_json_duplicate_key_is_a_problem_with_position_and_last_wins() -> None:
    parsed = parse_json(b'{\n  "name": "good",\n  "version": "1.0.0",\n  "name": "evil"\n}')
    assert parsed.data["name"] == "evil"  # what JSON.parse (and so the registry) would read
    (problem,) = parsed.problems
    assert problem.pointer == "/name"
    assert (problem.line, problem.column) == (4, 3)
    assert parsed.lines["/name"] == 4


def test_json_nested_duplicate_keys_are_found() -> None:
    parsed = parse_json(b'{"a": {"b": 1, "b": 2}, "c": [{"d": 1, "d": 1}]}')
    assert sorted(p.pointer for p in parsed.problems) == ["/a/b", "/c/0/d"]


def test_same_key_in_sibling_objects_is_not_a_duplicate() -> None:
    assert parse_json(b'{"a": {"x": 1}, "b": {"x": 2}}').problems == ()


@pytest.mark.parametrize(
    ("raw", "line", "column"),
    [
        (b'{\n  "name": "x",\n}', 3, 1),
        (b'{"a": 1 "b": 2}', 1, 9),
        (b"{'a': 1}", 1, 2),
    ],
)
def test_invalid_json_reports_line_and_column(raw: bytes, line: int, column: int) -> None:
    with pytest.raises(ParseError) as caught:
        parse_json(raw)
    assert (caught.value.line, caught.value.column) == (line, column)


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}'])
def test_json_non_finite_numbers_are_refused(raw: bytes) -> None:
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_json(raw)


def test_json_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(ParseError, match="nests deeper"):
        parse_json(b"[" * 100_000 + b"]" * 100_000)


def test_json_nesting_cap_applies_below_the_recursion_limit() -> None:
    with pytest.raises(ParseError, match=f"deeper than {MAX_DEPTH}"):
        parse_json(b"[" * (MAX_DEPTH + 5) + b"]" * (MAX_DEPTH + 5))


def test_size_cap() -> None:
    with pytest.raises(ParseError, match="over the 100-byte limit"):
        parse_json(b'{"a": "' + b"x" * 200 + b'"}', limit=100)


def test_invalid_utf8_reports_the_line() -> None:
    with pytest.raises(ParseError, match="not valid UTF-8") as caught:
        parse_json(b'{\n"a": "\xff"}')
    assert caught.value.line == 2


def test_utf8_bom_is_accepted() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}').data == {"a": 1}


def test_yaml_maps_lines_and_keeps_dates_as_text() -> None:
    raw = (
        b'manifestVersion: 1\nname: "@acme/x"\nversion: 2026.04.07.1\nreleased: 2026-04-07\n'
        b"models:\n  - a.ts\n  - b.ts\n"
    )
    parsed = parse_yaml(raw)
    assert parsed.data == {
        "manifestVersion": 1,
        "name": "@acme/x",
        "version": "2026.04.07.1",
        "released": "2026-04-07",
        "models": ["a.ts", "b.ts"],
    }
    assert parsed.lines["/version"] == 3
    assert parsed.lines["/models/1"] == 7


def test_yaml_duplicate_key_is_a_problem() -> None:
    parsed = parse_yaml(b"name: a\nversion: b\nname: c\n")
    assert parsed.data["name"] == "c"
    (problem,) = parsed.problems
    assert (problem.pointer, problem.line, problem.column) == ("/name", 3, 1)


@pytest.mark.parametrize(
    ("raw", "message", "line"),
    [
        (b"a: &x [1, 2]\nb: *x\n", "anchor", 1),
        (b"a: 1\nb: *x\n", "YAML", 2),
        (b"a: !!python/object/apply:os.system ['id']\n", "tag", 1),
        (b"a: !custom 1\n", "tag", 1),
        (b"a: !!binary aGk=\n", "tag", 1),
        (b"a: 1\n---\nb: 2\n", "more than one YAML document", 2),
        (b"a: [1, 2\n", "not valid YAML", 2),
        (b"? [a, b]\n: 1\n", "plain strings", 1),
        (b"1: one\n", "plain strings", 1),
    ],
)
def test_yaml_hostile_constructs_are_refused_with_a_line(raw: bytes, message: str, line: int) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        parse_yaml(raw)
    assert caught.value.line == line


def test_yaml_billion_laughs_is_refused_before_expansion() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    with pytest.raises(ParseError, match="anchor"):
        parse_yaml("\n".join(lines).encode())


def test_yaml_standard_explicit_tags_are_fine() -> None:
    assert parse_yaml(b"a: !!str 1\nb: !!int '2'\n").data == {"a": "1", "b": 2}


def test_yaml_empty_document_is_an_error() -> None:
    with pytest.raises(ParseError, match="empty"):
        parse_yaml(b"# only a comment\n")


def test_yaml_deep_nesting_is_refused() -> None:
    with pytest.raises(ParseError, match="nests deeper"):
        parse_yaml(b"[" * (MAX_DEPTH + 2) + b"]" * (MAX_DEPTH + 2))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=25,
)


def _pointers(value: Any, where: str = "") -> list[str]:
    out = [where]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _pointers(child, f"{where}{pointer(key)}")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += _pointers(child, f"{where}/{i}")
    return out


@settings(max_examples=150, deadline=None)
@given(json_values, st.sampled_from([None, 1, 2]))
def test_json_line_map_covers_every_pointer(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    parsed = parse_json(text.encode())
    assert parsed.data == value
    lines = text.split("\n")
    for where in _pointers(value):
        assert where in parsed.lines
        assert 1 <= parsed.lines[where] <= len(lines)

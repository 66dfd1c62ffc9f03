"""Strict, bounded parsers for manifests: JSON (package.json, dev fixtures) and YAML (swamp manifest.yaml).

Both return the document plus a JSON-pointer -> line map, so every later finding can name the exact line.
Hostile input is the normal case: a size cap, a nesting cap, no YAML anchors/aliases (the "billion laughs"
expansion), no YAML tags beyond the plain JSON-like core, and duplicate keys reported (JSON.parse and YAML
loaders silently keep the last one, so a reviewer and the registry may read different values).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from extgate.jsondoc import MAX_MANIFEST_BYTES as MAX_MANIFEST_BYTES  # re-exported: the gate's default cap
from extgate.safeyaml import Loader, YamlError, check_events

MAX_DEPTH = 256
_Loader = Loader


class ParseError(ValueError):
    """The document cannot be read at all. line/column are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Problem:
    """A defect in a document that still parsed (duplicate keys): reported, while the document stays usable."""

    message: str
    pointer: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """data: the document; lines: JSON pointer -> 1-based line; problems: duplicate keys and the like."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


def escape(token: str) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    return "".join("/" + escape(str(t)) for t in tokens)


def _decode(raw: bytes, what: str, limit: int) -> str:
    if len(raw) > limit:
        raise ParseError(f"{what} is {len(raw)} bytes, over the {limit}-byte limit")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseError(f"{what} is not valid UTF-8 (byte {exc.start})", line) from None


# -- JSON ---------------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


@dataclass(slots=True)
class _Frame:
    is_object: bool
    pointer: str
    index: int = 0
    expect_key: bool = True
    seen: set[str] = field(default_factory=set)


def parse_json(raw: bytes, *, what: str = "package.json", limit: int = MAX_MANIFEST_BYTES) -> Parsed:
    """Parse JSON strictly (no NaN/Infinity) and map every member to its line; duplicate keys are Problems."""
    text = _decode(raw, what, limit)
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what} is not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except ValueError as exc:  # NaN / Infinity, or an integer over Python's digit limit
        raise ParseError(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ParseError(f"{what} nests deeper than the parser allows") from None
    lines, problems = _json_lines(text, what)
    return Parsed(data, lines, tuple(problems))


def _json_lines(text: str, what: str) -> tuple[dict[str, int], list[Problem]]:
    """Second, structural pass over already-validated JSON: pointer -> line, and duplicate keys."""
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    stack: list[_Frame] = []
    pending = ""
    line = 1
    line_start = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first.isspace():
            newlines = token.count("\n")
            if newlines:
                line += newlines
                line_start = match.start() + token.rfind("\n") + 1
            continue
        top = stack[-1] if stack else None
        if first == '"' and top is not None and top.is_object and top.expect_key:
            key = json.loads(token)
            pending = f"{top.pointer}/{escape(key)}"
            if key in top.seen:
                problems.append(
                    Problem(
                        f"{what}: duplicate key {json.dumps(key)[:80]} (only the last one counts)",
                        pending,
                        line,
                        match.start() - line_start + 1,
                    )
                )
            top.seen.add(key)
            lines[pending] = line  # the last duplicate is the one that counts
            top.expect_key = False
        elif first in "{[":
            lines.setdefault(pending, line)
            if len(stack) >= MAX_DEPTH:
                raise ParseError(f"{what} nests deeper than {MAX_DEPTH} levels", line)
            stack.append(_Frame(first == "{", pending))
            if first == "[":
                pending = f"{pending}/0"
        elif first in "}]":
            stack.pop()
        elif first == ",":
            if top is not None and top.is_object:
                top.expect_key = True
            elif top is not None:
                top.index += 1
                pending = f"{top.pointer}/{top.index}"
        elif first != ":":
            lines.setdefault(pending, line)
    return lines, problems


# -- YAML ---------------------------------------------------------------------------------------------------


def _mark(mark: Any) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    return int(mark.line) + 1, int(mark.column) + 1


def parse_yaml(raw: bytes, *, what: str = "manifest.yaml", limit: int = MAX_MANIFEST_BYTES) -> Parsed:
    """Parse one YAML document with the JSON-like core schema only, mapping pointers to lines."""
    text = _decode(raw, what, limit)
    try:
        check_events(text, what, MAX_DEPTH)
        node = yaml.compose(text, Loader=_Loader)
    except YamlError as exc:
        raise ParseError(exc.message, exc.line, exc.column) from None
    except yaml.MarkedYAMLError as exc:
        line, column = _mark(exc.problem_mark or exc.context_mark)
        problem = exc.problem or exc.context or "syntax error"
        raise ParseError(f"{what} is not valid YAML: {problem}", line, column) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"{what} is not valid YAML: {exc}") from None
    if node is None:
        raise ParseError(f"{what} is empty", 1, 1)
    builder = _Builder(what)
    data = builder.build(node, "")
    return Parsed(data, builder.lines, tuple(builder.problems))


_CONSTRUCT = {
    "tag:yaml.org,2002:null": "construct_yaml_null",
    "tag:yaml.org,2002:bool": "construct_yaml_bool",
    "tag:yaml.org,2002:int": "construct_yaml_int",
    "tag:yaml.org,2002:float": "construct_yaml_float",
}


class _Builder:
    """Turn a composed node tree into plain data, recording each pointer's line."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self._constructor = _Loader("")

    def scalar(self, node: yaml.ScalarNode) -> Any:
        method = _CONSTRUCT.get(node.tag)
        if method is None:  # str, and anything else implicit (a lone "<<" or "=") stays text
            return node.value
        try:
            return getattr(self._constructor, method)(node)
        except (ValueError, yaml.YAMLError) as exc:
            line, column = _mark(node.start_mark)
            detail = exc.problem if isinstance(exc, yaml.MarkedYAMLError) and exc.problem else exc
            raise ParseError(f"{self.what}: unreadable value {node.value[:40]!r}: {detail}", line, column) from None

    def build(self, node: yaml.Node, where: str) -> Any:
        # Depth is bounded by check_events, so this recursion is bounded too.
        self.lines.setdefault(where, _mark(node.start_mark)[0] or 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, f"{where}/{i}") for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                line, column = _mark(key_node.start_mark)
                key = self.scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                if not isinstance(key, str):
                    raise ParseError(f"{self.what}: mapping keys must be plain strings", line, column)
                child = f"{where}/{escape(key)}"
                if key in out:
                    self.problems.append(
                        Problem(
                            f"{self.what}: duplicate key {key[:80]!r} (only the last one counts)", child, line, column
                        )
                    )
                self.lines[child] = line or 1
                out[key] = self.build(value_node, child)
            return out
        raise ParseError(f"{self.what}: unsupported YAML node")  # pragma: no cover - compose yields only these

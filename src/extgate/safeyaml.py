"""The one way extgate reads YAML: the JSON-like core schema, no anchors or aliases, bounded nesting.

`yaml.safe_load` is not enough for hostile input: aliases expand without bound (a 411-byte "billion laughs" becomes
gigabytes once every item is turned into a string), and `!!python/...` or `!!binary` tags are other languages.
Every YAML read (manifests, rule packs, rubrics, swamp publish metadata) goes through `load`, which walks the
parser events first and refuses, before anything is constructed:

- anchors (`&a`) and aliases (`*a`);
- tags other than the core str/int/float/bool/null/seq/map;
- more than one document;
- nesting deeper than `max_depth`.

Dates stay strings (no timestamp resolver), as they are in JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

MAX_DEPTH = 256

# The only explicit tags accepted: the JSON-compatible core schema. Anything else (!!python/..., !!binary, !!set,
# application tags) could construct objects or expand unexpectedly.
ALLOWED_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map"))

# LibYAML's parser when present (several times faster on a 1 MB manifest); the pure-Python one otherwise.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_SafeBase):  # type: ignore[valid-type,misc]
    """SafeLoader without the timestamp resolver: dates stay strings, as in JSON."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _checked(name: str) -> Callable[[Any, yaml.ScalarNode], Any]:
    """PyYAML's scalar constructor `name`, raising ConstructorError (a YAMLError) for a value it cannot read.

    An explicit core tag on a value it does not fit escapes PyYAML's constructors as a bare Python error:
    `!!bool x` a KeyError, `!!int ""` / `!!float ""` an IndexError (found by fuzz/fuzz_manifest_yaml.py)."""
    base = getattr(yaml.SafeLoader, name)

    def construct(self: Any, node: yaml.ScalarNode) -> Any:
        try:
            return base(self, node)
        except (KeyError, IndexError, ValueError, TypeError, OverflowError):
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"{str(node.value)[:40]!r} is not a valid {kind}", node.start_mark
            ) from None

    construct.__name__ = name
    return construct


for _tag, _name in (("bool", "construct_yaml_bool"), ("int", "construct_yaml_int"), ("float", "construct_yaml_float")):
    setattr(Loader, _name, _checked(_name))
    Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", getattr(Loader, _name))


class YamlError(ValueError):
    """The text is not YAML extgate reads. line/column are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def mark(where: Any) -> tuple[int | None, int | None]:
    if where is None:
        return None, None
    return int(where.line) + 1, int(where.column) + 1


def check_events(text: str, what: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse anchors, aliases, non-core tags, several documents and deep nesting before composing."""
    depth = 0
    documents = 0
    try:
        for event in yaml.parse(text, Loader=Loader):
            line, column = mark(event.start_mark)
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlError(f"{what} holds more than one YAML document", line, column)
            if isinstance(event, yaml.AliasEvent):
                raise YamlError(
                    f"{what} uses a YAML alias (*{event.anchor}); aliases can expand without bound and are refused",
                    line,
                    column,
                )
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                raise YamlError(f"{what} defines a YAML anchor (&{anchor}); anchors are refused", line, column)
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!" and tag not in ALLOWED_TAGS:
                raise YamlError(
                    f"{what} uses the YAML tag {tag[:80]}; only plain strings, numbers, booleans, null, "
                    "lists and mappings are allowed",
                    line,
                    column,
                )
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > max_depth:
                    raise YamlError(f"{what} nests deeper than {max_depth} levels", line, column)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        line, column = mark(exc.problem_mark or exc.context_mark)
        raise YamlError(
            f"{what} is not valid YAML: {exc.problem or exc.context or 'syntax error'}", line, column
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{what} is not valid YAML: {exc}") from None


def load(data: bytes | str, what: str = "YAML document", *, max_depth: int = MAX_DEPTH) -> Any:
    """Plain data (dict, list, str, int, float, bool, None) from one YAML document, or YamlError."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise YamlError(f"{what} is not valid UTF-8 (byte {exc.start})") from None
    else:
        text = data
    check_events(text, what, max_depth)
    try:
        return yaml.load(text, Loader=Loader)
    except yaml.YAMLError as exc:
        raise YamlError(f"{what} is not valid YAML: {exc}") from None

"""Python analysis on CPython's `ast`: the tree the pre-check (`extgate.pyparse.check`) already parsed.

Every file first goes through `extgate.pyparse.check`: the encoding Python would use, `ast.parse` (C, fast), the
depth the tree would have as libcst builds it and a deterministic cost estimate against the time budget. Files
outside those bounds become `safety/unparsed-file`, never a crash and never a silent skip. Resolution after the
parse is bounded too (bounded.py) and stops at the analysis deadline.

The rules read the CPython tree directly; the one pass over it visits nodes in source order (the order libcst
visited them in, which the per-rule finding cap depends on). Positions are what libcst's `PositionProvider`
reported before (and `tests/gates/code/cst_reference.py` still computes, to test against): 1-based lines,
1-based columns in characters (CPython's are UTF-8 byte offsets: converted per line, only for non-ASCII lines),
parentheses around a node excluded from its position but included in its snippet. They are computed only for
nodes that become findings or facts, never for the whole module.

Names resolve through imports (`import subprocess as sp`, `from os import system`), module-level aliases
(`e = eval`), `getattr(builtins, "eval")`, `__builtins__["exec"]` and `__import__("os")`; function parameters
shadow builtins (`def run(exec): exec()` is not the builtin).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from extgate import declarations, pyparse
from extgate.facts import ApiUse, ImportRef
from extgate.gates.code.bounded import Bounded
from extgate.gates.code.interface import CodeConfig, ParseResult, RawFinding, names_regex
from extgate.model import Level
from extgate.pyparse import Unparseable

__all__ = ["Analyzer", "Unparseable", "analyze", "preflight", "py_api_name"]

_MAX_FOLD = 10_000

BUILTIN_NAMES = frozenset(
    {"eval", "exec", "compile", "__import__", "getattr", "dict", "str", "repr", "print", "open", "globals", "vars",
     "breakpoint", "input", "format", "locals"}
)  # fmt: skip
UNPARSED = "safety/unparsed-file"
_EVALS = frozenset({"eval", "exec", "compile"})
_IMPORTERS = frozenset({"__import__", "importlib.import_module", "importlib.__import__"})
_LINE_END = re.compile(rb"\r\n|\r|\n")
_STRING_PREFIX = re.compile(r"[A-Za-z]*")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_NAMED = (ast.Name, ast.Attribute)
_CONTAINERS: dict[type, str] = {ast.List: "elts", ast.Tuple: "elts", ast.Set: "elts", ast.Return: "value",
                                ast.Yield: "value", ast.YieldFrom: "value"}  # fmt: skip
# modules whose object handed on as a value may carry a rule's function out of sight (os, asyncio and ctypes are
# passed around for everything else they hold: only their rule functions count, `run(os.system)`)
_VALUE_MODULES = frozenset({"subprocess", "pty", "commands"})
# callees whose arguments are resolved as what they do (getattr(subprocess, "run")) or only inspected
INSPECTORS = frozenset(
    {"getattr", "hasattr", "setattr", "delattr", "isinstance", "issubclass", "type", "id", "print", "repr", "str",
     "callable", "vars", "dir", "__import__", "importlib.import_module", "importlib.reload"}
)  # fmt: skip


def preflight(data: bytes, config: CodeConfig) -> ast.Module:
    """The CPython tree; raises Unparseable unless `data` is Python within the parse bounds (pyparse)."""
    return pyparse.check(data, config.python_max_depth, config.parse_timeout_ms)


# -- source text and positions ---------------------------------------------------------------------------------------
class Source:
    """The decoded text of one file, addressed the way CPython's ast does (line, UTF-8 byte column)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.raw = text.encode("utf-8")
        self.ascii = len(self.raw) == len(text)
        self._starts: list[int] | None = None
        self._tokens: list[tokenize.TokenInfo] | None = None
        self._token_starts: list[tuple[int, int]] = []

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in _LINE_END.finditer(self.raw))]
        return self._starts

    def offset(self, line: int, column: int) -> int:
        """Byte offset into `raw` of (1-based line, byte column)."""
        return self.starts[line - 1] + column

    def chars(self, line: int, column: int) -> int:
        """The character column (what libcst reports) of a UTF-8 byte column."""
        if self.ascii:
            return column
        start = self.starts[line - 1]
        return len(self.raw[start : start + column].decode("utf-8", "replace"))

    def segment(self, start: int, end: int) -> str:
        return self.raw[start:end].decode("utf-8", "replace")

    def line_at(self, offset: int) -> tuple[int, int]:
        """(1-based line, byte column) of a byte offset."""
        index = bisect_left(self.starts, offset + 1) - 1
        return index + 1, offset - self.starts[index]

    def tokens(self) -> tuple[list[tokenize.TokenInfo], list[tuple[int, int]]]:
        """The file's tokens (computed on first use: only for a snippet whose parentheses span lines with a comment
        in the way); lines end where CPython's do (`\r`, `\n`, `\r\n`)."""
        if self._tokens is None:
            self._tokens = [
                tok
                for tok in tokenize.generate_tokens(io.StringIO(self.text, newline=None).readline)
                if tok.type not in (tokenize.NL, tokenize.COMMENT)
            ]
            self._token_starts = [tok.start for tok in self._tokens]
        return self._tokens, self._token_starts


@dataclass(frozen=True, slots=True)
class Span:
    """Byte offsets of a node in `Source.raw` (start, end) and of the parentheses around it (outer_*)."""

    start: int
    end: int
    outer_start: int
    outer_end: int


@dataclass(frozen=True, slots=True)
class Field:
    """One `{...}` field of an f-string (libcst's FormattedStringExpression): the outermost f-string it is in and
    its path there (index among the fields of the string, then among the fields of that field's format spec)."""

    joined: ast.JoinedStr
    path: tuple[int, ...]
    value: ast.FormattedValue


Located = ast.expr | ast.stmt | Field


@dataclass(slots=True)
class _Call:
    node: ast.Call
    shadowed: frozenset[str]


_POP = object()  # stack marker: leaving a function's parameter scope
# nodes nothing is collected from and below which there is nothing (names, literals, contexts, operators)
_LEAVES = frozenset(
    {ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal}
    | {kind for base in (ast.operator, ast.cmpop, ast.unaryop, ast.boolop) for kind in base.__subclasses__()}
)


class _Collector:
    """One pass in source order: imports and aliases (resolved later, flow-insensitively), calls and attribute uses
    (checked after the pass, when every alias is known)."""

    def __init__(self) -> None:
        self.imports: list[tuple[str, ast.stmt, str]] = []  # specifier, node, kind
        self.bindings: dict[str, list[str | ast.expr]] = {}
        self.star_modules: list[str] = []
        self.defined: set[str] = set()
        self.calls: list[_Call] = []
        self.attributes: list[tuple[ast.Attribute, frozenset[str]]] = []
        self.fstrings: list[tuple[Field, frozenset[str]]] = []
        self.percent: list[tuple[ast.BinOp, frozenset[str]]] = []
        self.parent_owned: set[int] = set()  # nodes whose surrounding parentheses belong to the parent's syntax
        # names handed on as values (call arguments, elements, returns, attribute stores) and the call if any
        self.handed: list[tuple[ast.expr, frozenset[str], ast.Call | None]] = []
        self._quiet: set[int] = set()  # tuples that hand nothing on: `Dict[str, X]` slices, isinstance's classes

    def _bind(self, name: str, value: str | ast.expr) -> None:
        slot = self.bindings.setdefault(name, [])
        if len(slot) < 16:
            slot.append(value)

    def walk(self, tree: ast.Module) -> None:
        scopes: list[frozenset[str]] = [frozenset()]
        stack: list[Any] = list(reversed(tree.body))
        inner_attributes: set[int] = set()
        node_type, list_type, leaves = ast.AST, list, _LEAVES
        while stack:
            node = stack.pop()
            if node is _POP:
                scopes.pop()
                continue
            kind = type(node)
            children: Sequence[Any]
            if kind is ast.Call:
                self.calls.append(_Call(node, scopes[-1]))
                children = _call_children(node)
                self.handed += [(a, scopes[-1], node) for a in children[1:] if type(a) in _NAMED]
                if type(node.func) is ast.Name and node.func.id in ("isinstance", "issubclass"):
                    self._quiet.update(id(a) for a in node.args)
                if len(children) == 2 and not node.keywords and not isinstance(children[1], ast.Starred):
                    self.parent_owned.add(id(children[1]))  # f(x): the parentheses are the call's
            elif kind is ast.Attribute:
                if id(node) not in inner_attributes:  # only the outermost attribute of a chain
                    self.attributes.append((node, scopes[-1]))
                value = node.value
                if type(value) is ast.Attribute:
                    inner_attributes.add(id(value))
                if value.__class__ not in leaves:
                    stack.append(value)
                continue
            elif kind is ast.Import:
                self._import(node)
                continue
            elif kind is ast.ImportFrom:
                self._import_from(node)
                continue
            elif kind is ast.Assign:
                for target in node.targets:
                    if type(target) is ast.Name:
                        self._bind(target.id, node.value)
                    elif type(node.value) in _NAMED:  # obj.run = subprocess.run, table[k] = os.system
                        self.handed.append((node.value, scopes[-1], None))
                children = [*node.targets, node.value]
            elif kind in _FUNCTIONS or kind is ast.Lambda:
                if kind is not ast.Lambda:
                    self.defined.add(node.name)
                elif type(node.body) in _NAMED:  # lambda: subprocess.run
                    self.handed.append((node.body, scopes[-1] | _param_names(node.args), None))
                scopes.append(scopes[-1] | _param_names(node.args))
                stack.append(_POP)
                children = _function_children(node)
            elif kind is ast.ClassDef:
                self.defined.add(node.name)
                bases = sorted([*node.bases, *node.keywords], key=_start)
                if len(bases) == 1 and not node.keywords and not isinstance(bases[0], ast.Starred):
                    self.parent_owned.add(id(bases[0]))  # class A(B): the parentheses are the class's
                children = [*node.decorator_list, *bases, *node.body]
            elif kind is ast.JoinedStr:
                self._joined(node, node, (), scopes[-1], stack)
                continue
            elif kind is ast.BinOp:
                if type(node.op) is ast.Mod and type(node.left) in (ast.Constant, ast.JoinedStr):
                    self.percent.append((node, scopes[-1]))  # the analyzer keeps libcst's string literals
                children = (node.left, node.right)
            elif kind is ast.Dict:
                children = [x for pair in zip(node.keys, node.values, strict=True) for x in pair if x is not None]
                self.handed += [(v, scopes[-1], None) for k, v in zip(node.keys, node.values, strict=True)
                                if k is not None and type(v) in _NAMED]  # fmt: skip
            elif kind in _CONTAINERS:  # [os.system][0], (subprocess,), return subprocess.run
                value = getattr(node, _CONTAINERS[kind])
                values = value if value.__class__ is list_type else [value] if value is not None else []
                if type(getattr(node, "ctx", ast.Load())) is ast.Load and id(node) not in self._quiet:  # no target
                    self.handed += [(v, scopes[-1], None) for v in values if type(v) in _NAMED]
                children = [v for v in values if isinstance(v, node_type)]
            elif kind is ast.Subscript:
                if type(node.slice) is ast.Tuple:
                    self._quiet.add(id(node.slice))  # Dict[str, X] / x[a, b]: a subscript, not a tuple value
                children = (node.value, node.slice)
            elif kind is ast.IfExp:
                children = (node.body, node.test, node.orelse)
            elif kind is ast.With or kind is ast.AsyncWith:
                if len(node.items) == 1 and node.items[0].optional_vars is None:
                    self.parent_owned.add(id(node.items[0].context_expr))  # `with (a):` libcst's With.lpar
                children = [*node.items, *node.body]
            elif kind is ast.MatchMapping:
                children = [x for pair in zip(node.keys, node.patterns, strict=True) for x in pair]
            else:  # ast.iter_child_nodes, inlined: this walk visits every node of the file
                children = []
                for name in node._fields:
                    value = getattr(node, name, None)
                    if isinstance(value, node_type):
                        children.append(value)
                    elif value.__class__ is list_type:
                        children.extend(item for item in value if isinstance(item, node_type))
            stack.extend([child for child in reversed(children) if child.__class__ not in leaves])

    def _joined(
        self, top: ast.JoinedStr, node: ast.JoinedStr, path: tuple[int, ...], shadowed: frozenset[str], stack: list[Any]
    ) -> None:
        """f-string fields in order; a field's format spec holds fields of its own (visited after the field)."""
        index = 0
        pending: list[Any] = []
        for value in node.values:
            if type(value) is not ast.FormattedValue:
                continue
            field = Field(top, (*path, index), value)
            index += 1
            self.fstrings.append((field, shadowed))
            pending.append(value.value)
            spec = value.format_spec
            if isinstance(spec, ast.JoinedStr):
                inner: list[Any] = []
                self._joined(top, spec, field.path, shadowed, inner)
                pending.extend(reversed(inner))
        stack.extend(reversed(pending))

    def _import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.append((alias.name, node, "python"))
            if alias.asname is not None:
                self._bind(alias.asname, alias.name)
            else:
                head = alias.name.split(".")[0]
                self._bind(head, head)

    def _import_from(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        self.imports.append((module, node, "python"))
        if len(node.names) == 1 and node.names[0].name == "*":
            self.star_modules.append(module)
            return
        for alias in node.names:
            self._bind(alias.asname or alias.name, f"{module}.{alias.name}")


# what `globals()` / `locals()` / `vars()` resolve to: subscripting it looks the key up as a name
_NAMESPACE = "<namespace>"


def _start(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _call_children(node: ast.Call) -> list[ast.expr]:
    if not node.keywords:
        return [node.func, *node.args]
    if not node.args:
        return [node.func, *(k.value for k in node.keywords)]
    merged: list[ast.expr | ast.keyword] = sorted([*node.args, *node.keywords], key=_start)  # f(a, k=1, *b)
    return [node.func, *(k.value if isinstance(k, ast.keyword) else k for k in merged)]


def _function_children(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[Any]:
    """Decorators, parameters (annotation then default, in source order), return annotation, body."""
    args = node.args
    out: list[Any] = [] if isinstance(node, ast.Lambda) else list(node.decorator_list)
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(positional, defaults, strict=True):
        if arg.annotation is not None:
            out.append(arg.annotation)
        if default is not None:
            out.append(default)
    if args.vararg is not None and args.vararg.annotation is not None:
        out.append(args.vararg.annotation)
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if arg.annotation is not None:
            out.append(arg.annotation)
        if default is not None:
            out.append(default)
    if args.kwarg is not None and args.kwarg.annotation is not None:
        out.append(args.kwarg.annotation)
    if isinstance(node, ast.Lambda):
        out.append(node.body)
    else:
        if node.returns is not None:
            out.append(node.returns)
        out.extend(node.body)
    return out


def _param_names(args: ast.arguments) -> frozenset[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    for star in (args.vararg, args.kwarg):
        if star is not None:
            names.append(star.arg)
    return frozenset(names)


class Analyzer:
    def __init__(
        self, path: str, data: bytes, checked: pyparse.Checked, config: CodeConfig, deadline: float = float("inf")
    ) -> None:
        self.path = path
        self.data = data
        self.tree = checked.tree
        self.source = Source(checked.text)
        self.config = config
        self.result = ParseResult()
        self.collector = _Collector()
        self.collector.walk(self.tree)
        self._concatenated: dict[int, bool] = {}
        self._resolving: set[str] = set()
        self._folding: set[str] = set()
        self.bounded = Bounded(deadline, timeout=self._timeout)
        self.bounded.enabled = True  # the collector pass registered every binding
        self._api_seen: set[tuple[str, int]] = set()
        self._network = names_regex(config.py_network)
        self._serializers = names_regex(config.py_serializers)

    def is_string(self, node: ast.expr) -> bool:
        """libcst's SimpleString / ConcatenatedString: a str or bytes literal, or an f-string implicitly
        concatenated with another literal (`"a" f"{b}"`); a lone f-string is libcst's FormattedString."""
        if type(node) is ast.Constant:
            return isinstance(node.value, (str, bytes))
        return type(node) is ast.JoinedStr and self.concatenated(node)

    def concatenated(self, node: ast.JoinedStr) -> bool:
        """An f-string written as more than one literal: several string tokens between the node's bounds."""
        known = self._concatenated.get(id(node))
        if known is None:
            start, end = self._bounds(node)
            known = len(list(_literal_starts(self.source.raw, start, end))) > 1
            self._concatenated[id(node)] = known
        return known

    def _bounds(self, node: ast.expr | ast.stmt) -> tuple[int, int]:
        source = self.source
        end_line, end_col = node.end_lineno, node.end_col_offset
        start = source.offset(node.lineno, node.col_offset)
        return start, source.offset(end_line or node.lineno, end_col if end_col is not None else node.col_offset)

    # -- positions and findings --------------------------------------------------------------------------------
    def line(self, node: ast.expr | ast.stmt) -> int:
        return node.lineno

    def span(self, node: Located) -> Span:
        """Byte offsets of `node` and of the parentheses libcst counted as the node's own."""
        if isinstance(node, Field):
            start, end = _field_span(self.source, node)
            return Span(start, end, start, end)
        start, end = self._bounds(node)
        outer_start, outer_end = _own_parens(self.source, start, end, id(node) in self.collector.parent_owned)
        return Span(start, end, outer_start, outer_end)

    def short(self, node: Located, limit: int = 160) -> str:
        span = self.span(node)
        code = " ".join(self.source.segment(span.outer_start, span.outer_end).split())
        return code if len(code) <= limit else code[: limit - 1] + "…"

    def finding(self, rule_id: str, node: Located, message: str, level: Level | None = None, **props: Any) -> None:
        key = (rule_id, level)
        self.result.totals[key] = self.result.totals.get(key, 0) + 1
        if self.result.totals[key] > self.config.max_findings_per_rule:
            return
        span = self.span(node)
        source = self.source
        line, column = source.line_at(span.start)
        end_line, end_column = source.line_at(span.end)
        code = " ".join(source.segment(span.outer_start, span.outer_end).split())
        snippet = code if len(code) <= 160 else code[:159] + "…"
        self.result.findings.append(
            RawFinding(
                rule_id=rule_id,
                message=message,
                line=line,
                column=source.chars(line, column) + 1,
                end_line=end_line,
                end_column=source.chars(end_line, end_column) + 1,
                snippet=snippet,
                evidence=snippet,
                level=level,
                properties=tuple(sorted(props.items())),
            )
        )

    # -- constants ---------------------------------------------------------------------------------------------
    def fold(self, node: ast.expr | None, depth: int = 0) -> str | None:
        """A constant string value: literals, implicit and `+` concatenation, f-strings without fields,
        module-level constant names."""
        if node is None:
            return None
        return self.bounded.call(("fold", id(node)), depth, lambda d: self._fold(node, d))

    def _timeout(self) -> Exception:
        return Unparseable("timeout", f"analysis did not finish within {self.config.parse_timeout_ms} ms")

    def _fold(self, node: ast.expr, depth: int) -> str | None:
        kind = type(node)
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            if isinstance(value, bytes):
                return value.decode("utf-8", "replace")
            return value if isinstance(value, str) else None
        if kind is ast.JoinedStr:
            return self._fold_fstring(node)  # type: ignore[arg-type]
        if kind is ast.BinOp and type(node.op) is ast.Add:  # type: ignore[attr-defined]
            left = self.fold(node.left, depth + 1)  # type: ignore[attr-defined]
            right = self.fold(node.right, depth + 1) if left is not None else None  # type: ignore[attr-defined]
            if left is None or right is None or len(left) + len(right) > _MAX_FOLD:
                return None
            return left + right
        name = node.id if kind is ast.Name else ""  # type: ignore[attr-defined]
        if name in self._folding:
            self.bounded.mark_provisional()
        elif name:
            self._folding.add(name)
            try:
                for bound in self.collector.bindings.get(name, ()):
                    if not isinstance(bound, str):
                        value = self.fold(bound, depth + 1)
                        if value is not None:
                            return value
            finally:
                self._folding.discard(name)
        return None

    def _fold_fstring(self, node: ast.JoinedStr) -> str | None:
        """As libcst folded a FormattedString: the raw text between the quotes when it has no fields; None for one
        concatenated with other literals (libcst's ConcatenatedString has no value then)."""
        if any(type(v) is ast.FormattedValue for v in node.values) or self.concatenated(node):
            return None
        token = self.source.segment(*self._bounds(node))
        body = token[len(_STRING_PREFIX.match(token).group(0)) :]  # type: ignore[union-attr]
        quote = 3 if body[:3] in ('"""', "'''") else 1
        return body[quote:-quote]

    def is_constant(self, node: ast.expr) -> bool:
        if type(node) is ast.Constant and type(node.value) in (int, float, complex):
            return True
        return self.fold(node) is not None

    # -- resolution --------------------------------------------------------------------------------------------
    def resolve(self, node: ast.expr | None, shadowed: frozenset[str], depth: int = 0) -> str | None:
        """The canonical name `node` refers to, or None (`self.bounded.incomplete` then says whether the
        resolver gave up rather than found nothing)."""
        if node is None:
            return None
        return self.bounded.call(("resolve", id(node), shadowed), depth, lambda d: self._resolve(node, shadowed, d))

    def _resolve(self, node: ast.expr, shadowed: frozenset[str], depth: int) -> str | None:
        if isinstance(node, ast.Name):
            return self._resolve_name(node.id, shadowed, depth)
        if isinstance(node, ast.Constant) and (node.value is None or node.value is True or node.value is False):
            # names to libcst: after `from m import *` it resolved `None` to `m.None`, as the rules still see it
            return self._resolve_name(str(node.value), shadowed, depth)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, shadowed, depth + 1)
            return base if node.attr == "__dict__" else _join(base, node.attr)  # os.__dict__["system"]
        if isinstance(node, ast.Subscript):  # __builtins__["eval"], vars(os)["system"], sys.modules["os"]
            base = self.resolve(node.value, shadowed, depth + 1)
            if base is None or isinstance(node.slice, (ast.Slice, ast.Tuple)):
                return None
            key = self.fold(node.slice, depth + 1)
            if base == _NAMESPACE:  # globals()["__builtins__"]: a module-level name by its string
                return self._resolve_name(key, shadowed, depth + 1) if key is not None else None
            if base == "sys.modules":
                return _canonical(key) if key is not None else None
            return _join(base, key)
        if isinstance(node, ast.Call):
            return self._resolve_call(node, shadowed, depth)
        if isinstance(node, ast.Dict):  # {**os.environ}
            starred = [value for key, value in zip(node.keys, node.values, strict=True) if key is None]
            if any(self.resolve(value, shadowed, depth + 1) == "os.environ" for value in starred):
                return "os.environ"
        return None

    def _resolve_name(self, name: str, shadowed: frozenset[str], depth: int) -> str | None:
        if name in shadowed:
            return None
        if name in self.collector.bindings:
            return self.bounded.call(("name", name), depth, lambda d: self._resolve_bound(name, d))
        return self._free_name(name)

    def _resolve_bound(self, name: str, depth: int) -> str | None:
        if name in self._resolving:  # `eval = wrap(eval)`: inside its own binding the name is the free one
            self.bounded.mark_provisional()
            return self._free_name(name)
        self._resolving.add(name)
        try:
            for value in self.collector.bindings[name]:
                resolved = _canonical(value) if isinstance(value, str) else self.resolve(value, frozenset(), depth + 1)
                if resolved is not None:
                    return resolved
            return None
        finally:
            self._resolving.discard(name)

    def _free_name(self, name: str) -> str | None:
        if name in self.collector.defined:
            return None
        if name == "__builtins__":
            return "builtins"
        if name in BUILTIN_NAMES:
            return name
        for module in self.collector.star_modules:  # from subprocess import *
            candidate = f"{module}.{name}"
            if any(
                (rx := names_regex(m.python)) is not None and rx.fullmatch(candidate) for m in self.config.call_matchers
            ):
                return candidate
        return None

    def _resolve_call(self, node: ast.Call, shadowed: frozenset[str], depth: int) -> str | None:
        callee = self.resolve(node.func, shadowed, depth + 1)
        args = _positional(node)
        if callee in _IMPORTERS and args:
            name = self.fold(args[0], depth + 1)
            return name
        if callee in ("globals", "locals"):
            return _NAMESPACE
        if callee == "vars":  # vars(os) is os's namespace; vars() the module's own
            return self.resolve(args[0], shadowed, depth + 1) if args else _NAMESPACE
        if callee == "getattr" and len(args) >= 2:
            return _join(self.resolve(args[0], shadowed, depth + 1), self.fold(args[1], depth + 1))
        if callee == "dict" and args and self.resolve(args[0], shadowed, depth + 1) == "os.environ":
            return "os.environ"
        if callee == "os.environ.copy":
            return "os.environ"
        return None

    # -- driver ------------------------------------------------------------------------------------------------
    def run(self) -> ParseResult:
        for spec, node, kind in self.collector.imports:
            self.result.imports.append(ImportRef(spec, self.path, self.line(node), kind))
            self._record_module(spec, node)
        for call in self.collector.calls:
            self._call(call.node, call.shadowed)
        roots = _value_roots(self.config)
        if any(spec.partition(".")[0] in roots for spec, _, _ in self.collector.imports):
            for value, shadowed, receiver in self.collector.handed:
                self._handed_value(value, shadowed, receiver)
        for attribute, shadowed in self.collector.attributes:
            name = self.resolve(attribute, shadowed)
            if name is not None:
                self._record_api(name, attribute)
        for field, shadowed in self.collector.fstrings:
            if self.resolve(field.value.value, shadowed) == "os.environ":
                self._env_finding(field, "an f-string", "formats")
        for binop, shadowed in self.collector.percent:
            right = binop.right
            items = [_unstar(e) for e in right.elts] if isinstance(right, ast.Tuple) else [right]
            if self.is_string(binop.left) and any(self.resolve(item, shadowed) == "os.environ" for item in items):
                self._env_finding(binop, "`%` formatting", "formats")
        return self.result

    def _call(self, node: ast.Call, shadowed: frozenset[str]) -> None:
        callee = self.resolve(node.func, shadowed)
        if callee is None:
            if self.bounded.incomplete:
                self._unresolved(node)
            else:
                self._network_method(node, shadowed)
            return
        self._record_api(callee, node)
        args = _positional(node)
        if callee in _EVALS:
            self._eval(node, callee, args)
        elif callee in _IMPORTERS:
            self._importer(node, callee, args)
        for matcher in self.config.call_matchers:
            regex = names_regex(matcher.python)
            if regex is None or not regex.fullmatch(callee):
                continue
            if matcher.argument == "string" and not (args and self.fold(args[0]) is not None):
                continue
            self.finding(matcher.rule_id, node, matcher.message.replace("{api}", callee), api=callee)
        if not self._env_sink(node, callee, shadowed):
            self._network_method(node, shadowed)

    def _handed_value(self, node: ast.expr, shadowed: frozenset[str], call: ast.Call | None) -> None:
        """A module or function a call rule names, handed on as a value (`functools.partial(os.system, c)`,
        `[subprocess.run][0]`, `go(subprocess)`, `return os.popen`): what the receiver calls on it is out of the
        resolver's sight, so it is the rule's warning rather than a pass (the JS analysis does the same)."""
        sym = self.resolve(node, shadowed)
        rules = value_rules(sym, self.config)
        if not rules or (call is not None and self.resolve(call.func, shadowed) in INSPECTORS):
            return
        for rule, example in rules:
            self.finding(
                rule, node, value_message(self.short(node, 60), sym, example), Level.WARNING, via="value", api=sym
            )

    def _unresolved(self, node: ast.Call) -> None:
        """The resolver gave up on a callee (an alias chain beyond its bounds): say so, never assume harmless."""
        self.finding(
            UNPARSED,
            node,
            f"extgate could not resolve what `{self.short(node.func, 60)}` calls: it goes through more aliases or "
            "nested expressions than the resolver follows, which is how a scanner is made to miss eval or "
            "subprocess. Review the call by hand, or call the function by its own name.",
            reason="unresolved-chain",
        )

    def _eval(self, node: ast.Call, callee: str, args: Sequence[ast.expr]) -> None:
        if not args:
            return
        if self.is_constant(args[0]):
            self.finding(
                "code/dynamic-eval",
                node,
                f"`{callee}()` of a constant string: the code is hidden from linters and review tools. Write the "
                "code directly.",
                level=Level.WARNING,
                literal=True,
            )
            return
        self.finding(
            "code/dynamic-eval",
            node,
            f"`{callee}()` of a run-time value: whoever controls that string runs arbitrary Python. Parse data with "
            "json.loads or ast.literal_eval, and call functions directly.",
        )

    def _importer(self, node: ast.Call, callee: str, args: Sequence[ast.expr]) -> None:
        if not args:
            return
        name = self.fold(args[0])
        if name is not None:
            self.result.imports.append(ImportRef(name, self.path, self.line(node), "dynamic"))
            self._record_module(name, node)
            return
        self.finding(
            "code/dynamic-eval",
            node,
            f"`{callee}()` with a computed module name: which code is imported and run is decided at run time, "
            "invisible to review. Import fixed module names, or map allowed names to modules explicitly.",
        )

    # -- environment -------------------------------------------------------------------------------------------
    def _env_sink(self, node: ast.Call, callee: str, shadowed: frozenset[str]) -> bool:
        serializer = self._serializers is not None and self._serializers.fullmatch(callee)
        network = self._network is not None and self._network.fullmatch(callee)
        if not (serializer or network):
            return False
        for value in _argument_values(node):
            if self._find_env(value, shadowed):
                self._env_finding(node, f"`{callee}`", "serializes" if serializer else "sends over the network")
                return True
        return False

    def _network_method(self, node: ast.Call, shadowed: frozenset[str]) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        method = func.attr
        is_format = method == "format" and self.is_string(func.value)
        if method not in self.config.network_methods and not is_format:
            return
        for value in _argument_values(node):
            if self._find_env(value, shadowed):
                verb = "formats" if is_format else "passes to a request method"
                self._env_finding(node, f"`.{method}()`", verb)
                return

    def _find_env(self, node: ast.expr, shadowed: frozenset[str], depth: int = 0) -> bool:
        if depth > 6:
            return False
        if self.resolve(node, shadowed) == "os.environ":
            return True
        children: list[ast.expr] = []
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            children = [_unstar(e) for e in node.elts]
        elif isinstance(node, ast.Dict):
            children = list(node.values)
        return any(self._find_env(child, shadowed, depth + 1) for child in children)

    def _env_finding(self, node: Located, what: str, verb: str) -> None:
        self.finding(
            "code/env-exfiltration",
            node,
            f"{what} {verb} the entire environment (`os.environ`): every token, cloud key and credential of whoever "
            'runs the code. Read only the variables you need by name (`os.environ["MY_SETTING"]`).',
        )

    # -- api uses ----------------------------------------------------------------------------------------------
    def _record_module(self, module: str, node: ast.expr | ast.stmt) -> None:
        modules = self.config.api.python_modules
        parts = module.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in modules:
                self._add_api(prefix, node)
                return

    def _record_api(self, name: str, node: ast.expr | ast.stmt) -> None:
        api = py_api_name(name, self.config)
        if api is not None:
            self._add_api(api, node)

    def _add_api(self, api: str, node: ast.expr | ast.stmt) -> None:
        key = (api, self.line(node))
        if key not in self._api_seen:
            self._api_seen.add(key)
            self.result.api_uses.append(ApiUse(api, self.path, key[1]))


def value_rules(sym: str | None, config: CodeConfig) -> list[tuple[str, str]]:
    """(rule, example API) for a module or function a call rule names, met as a value: `subprocess` ->
    code/subprocess with subprocess.run; `os.system` -> code/subprocess with itself."""
    rules: list[tuple[str, str]] = []
    for matcher in config.call_matchers if sym is not None else ():
        if sym in _VALUE_MODULES:
            example = next((p for p in matcher.python if p.startswith(f"{sym}.")), None)
            if example is not None:
                rules.append((matcher.rule_id, example))
        elif matcher.argument != "string" and (regex := names_regex(matcher.python)) and regex.fullmatch(str(sym)):
            rules.append((matcher.rule_id, str(sym)))
    return rules


def value_message(spelled: str, sym: str | None, example: str) -> str:
    thing = f"the {sym} module" if sym in _VALUE_MODULES else f"`{sym}`"
    return (
        f"`{spelled}` hands {thing} on as a value, to code the analysis does not follow: it may be called there "
        f"as `{example}`. Call the function where it is used, by its own name."
    )


def _value_roots(config: CodeConfig) -> frozenset[str]:
    """First segments of the call rules' Python names (subprocess, os, pty, ctypes, ...): only a file importing
    one of them can hand one of those functions on."""
    return frozenset(p.partition(".")[0] for m in config.call_matchers for p in m.python)


def py_api_name(name: str, config: CodeConfig) -> str | None:
    """'<module>.<member>' for the longest capability module prefix of a resolved name ('os.environ.get' ->
    'os.environ', 'urllib.request.urlopen' -> 'urllib.request.urlopen')."""
    modules = config.api.python_modules
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in modules:
            return f"{prefix}.{parts[end]}"
    return name if name in modules else None


def _canonical(name: str) -> str:
    """`builtins.eval` is `eval`."""
    return name[len("builtins.") :] if name.startswith("builtins.") else name


def _join(base: str | None, attr: str | None) -> str | None:
    if base is None or attr is None:
        return None
    if base == "builtins":
        return attr
    return f"{base}.{attr}"


def _unstar(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Starred) else node


def _positional(node: ast.Call) -> list[ast.expr]:
    return [a for a in node.args if not isinstance(a, ast.Starred)]


def _argument_values(node: ast.Call) -> list[ast.expr]:
    """Every argument's value in source order (`*x` and `**x` give x), as libcst's `Call.args` listed them."""
    return [_unstar(a) for a in _call_children(node)[1:]]


# -- parentheses and f-string fields (only for nodes that become findings) --------------------------------------------
_SPACE = b" \t\x0c"
_UNKNOWN = -2


def _own_parens(source: Source, start: int, end: int, parent_owned: bool) -> tuple[int, int]:
    """The bounds of a node including the parentheses libcst gave the node itself (its lpar/rpar, with the
    whitespace and comments they own); `parent_owned`: the outermost pair belongs to the parent's syntax (`f(x)`)."""
    pairs: list[tuple[int, int]] = []
    left, right = start, end
    while True:
        opening = _paren_before(source.raw, left)
        if opening == _UNKNOWN:
            pair = _token_parens(source, left, right)
        elif opening < 0:
            break
        else:
            closing = _paren_after(source.raw, right)
            pair = None if closing < 0 else (opening, closing + 1)
        if pair is None:
            break
        pairs.append(pair)
        left, right = pair
    if parent_owned and pairs:
        pairs.pop()
    return pairs[-1] if pairs else (start, end)


def _paren_before(raw: bytes, i: int) -> int:
    """Offset of a `(` before `i` with only whitespace, newlines and comment lines between; -1 when the last token
    before `i` is something else; _UNKNOWN when a line with a `#` that may be a comment is in the way."""
    while True:
        while i > 0 and raw[i - 1] in _SPACE:
            i -= 1
        if i == 0:
            return -1
        c = raw[i - 1]
        if c == 0x28:  # (
            return i - 1
        if c not in (0x0A, 0x0D):
            return -1
        i -= 2 if c == 0x0A and raw[i - 2 : i - 1] == b"\r" else 1
        begin = max(raw.rfind(b"\n", 0, i), raw.rfind(b"\r", 0, i)) + 1
        line = raw[begin:i]
        if b"#" in line:
            if not line.lstrip(_SPACE).startswith(b"#"):
                return _UNKNOWN
            i = begin


def _paren_after(raw: bytes, i: int) -> int:
    """Offset of a `)` at or after `i` with only whitespace, comments and line breaks between, else -1."""
    size = len(raw)
    while i < size:
        c = raw[i]
        if c in _SPACE or c in (0x0A, 0x0D):
            i += 1
        elif c == 0x23:  # '#': a comment to the end of the line
            ends = [p for p in (raw.find(b"\n", i), raw.find(b"\r", i)) if p >= 0]
            i = min(ends) if ends else size
        elif c == 0x5C and raw[i + 1 : i + 2] in (b"\n", b"\r"):  # backslash continuation
            i += 1
        else:
            return i if c == 0x29 else -1
    return -1


def _token_parens(source: Source, start: int, end: int) -> tuple[int, int] | None:
    """A `(` token right before `start` and a `)` token right after `end` (across comments), from the tokens."""
    try:
        tokens, starts = source.tokens()
    except (tokenize.TokenError, SyntaxError):
        return None
    pos = _char_pos(source, start)
    index = bisect_left(starts, pos)
    if index == 0 or index >= len(tokens) or tokens[index].start != pos:
        return None
    last = bisect_left(starts, _char_pos(source, end))  # the first token at or after the node's end
    if last >= len(tokens) or tokens[index - 1].string != "(" or tokens[last].string != ")":
        return None
    return _byte_offset(source, tokens[index - 1].start), _byte_offset(source, tokens[last].end)


def _char_pos(source: Source, offset: int) -> tuple[int, int]:
    line, column = source.line_at(offset)
    return line, source.chars(line, column)


def _byte_offset(source: Source, pos: tuple[int, int]) -> int:
    line, column = pos
    begin = source.starts[line - 1]
    if source.ascii:
        return begin + column
    stop = source.starts[line] if line < len(source.starts) else len(source.raw)
    return begin + len(source.raw[begin:stop].decode("utf-8", "replace")[:column].encode("utf-8"))


def _field_span(source: Source, field: Field) -> tuple[int, int]:
    """Byte offsets of a `{...}` field (braces included), from the text of the f-string it is in."""
    joined = field.joined
    start = source.offset(joined.lineno, joined.col_offset)
    end = source.offset(joined.end_lineno or joined.lineno, joined.end_col_offset or joined.col_offset)
    fields: FieldTree = []
    for _, prefix, body, quote in _literal_starts(source.raw, start, end):
        if b"f" in prefix:
            fields += _scan_fields(source.raw, body, quote, raw_string=b"r" in prefix, in_spec=False)[1]
    begin, finish = start, end
    for index in field.path:
        if index >= len(fields):
            return start, end  # not expected: the whole f-string rather than no position
        begin, finish, fields = fields[index]
    return begin, finish


FieldTree = list[tuple[int, int, Any]]


def _literal_starts(raw: bytes, start: int, end: int) -> Iterator[tuple[int, bytes, int, bytes]]:
    """The string literals making up one (possibly implicitly concatenated) string in raw[start:end]: (offset,
    lower-case prefix, offset of the body, quote)."""
    i = start
    while i < end:
        c = raw[i : i + 1]
        if c == b"#":
            ends = [p for p in (raw.find(b"\n", i, end), raw.find(b"\r", i, end)) if p >= 0]
            i = min(ends) if ends else end
            continue
        if not (c.isalpha() or c in (b'"', b"'")):
            i += 1
            continue
        prefix_end = i
        while prefix_end < end and raw[prefix_end : prefix_end + 1].isalpha():
            prefix_end += 1
        quote = raw[prefix_end : prefix_end + 3]
        if quote not in (b'"""', b"'''"):
            quote = raw[prefix_end : prefix_end + 1]
        if quote not in (b'"', b"'", b'"""', b"'''"):
            i = prefix_end + 1
            continue
        prefix = raw[i:prefix_end].lower()
        body = prefix_end + len(quote)
        yield i, prefix, body, quote
        if b"f" in prefix:
            i = _scan_fields(raw, body, quote, raw_string=b"r" in prefix, in_spec=False)[0]
        else:
            i = _skip_string(raw, body, quote, raw_string=b"r" in prefix)


def _skip_string(raw: bytes, i: int, quote: bytes, *, raw_string: bool) -> int:
    """The offset after the closing `quote` of a literal whose body starts at `i` (a backslash always protects
    the next character from closing it, raw or not)."""
    while i < len(raw):
        if raw.startswith(quote, i):
            return i + len(quote)
        i += 2 if raw[i : i + 1] == b"\\" else 1
    return i


def _scan_fields(raw: bytes, i: int, quote: bytes, *, raw_string: bool, in_spec: bool) -> tuple[int, FieldTree]:
    """Fields from raw[i] up to the closing quote (or, in a format spec, up to the `}` that closes the field):
    (offset after the end, fields as (start, end, fields of its format spec))."""
    fields: FieldTree = []
    while i < len(raw):
        if raw.startswith(quote, i):
            return i + len(quote), fields
        c = raw[i : i + 1]
        if c == b"\\":
            if not raw_string and raw[i + 1 : i + 3] == b"N{":
                close = raw.find(b"}", i)
                i = len(raw) if close < 0 else close + 1
            else:
                i += 1 if raw[i + 1 : i + 2] in (b"{", b"}") else 2  # `\{x}` still opens a field
            continue
        if c == b"{":
            if not in_spec and raw[i + 1 : i + 2] == b"{":
                i += 2
                continue
            finish, inner = _scan_field(raw, i, quote, raw_string=raw_string)
            fields.append((i, finish, inner))
            i = finish
            continue
        if c == b"}":
            if in_spec:
                return i, fields
            i += 2 if raw[i + 1 : i + 2] == b"}" else 1
            continue
        i += 1
    return i, fields


def _scan_field(raw: bytes, i: int, quote: bytes, *, raw_string: bool) -> tuple[int, FieldTree]:
    """A field starting at its `{`: the offset after its `}` and the fields of its format spec."""
    depth = 0
    j = i + 1
    while j < len(raw):
        c = raw[j : j + 1]
        if c in (b"'", b'"'):
            inner = raw[j : j + 3] if raw[j : j + 3] in (b'"""', b"'''") else c
            j = _skip_string(raw, j + len(inner), inner, raw_string=True)
            continue
        if c in (b"(", b"[", b"{"):
            depth += 1
        elif c in (b")", b"]") or (c == b"}" and depth > 0):
            depth -= 1
        elif c == b"}":
            return j + 1, []
        elif depth == 0 and c == b"!" and raw[j + 1 : j + 2] != b"=":
            j += 2  # a conversion: !r !s !a
            continue
        elif depth == 0 and c == b":":
            stop, inner_fields = _scan_fields(raw, j + 1, quote, raw_string=raw_string, in_spec=True)
            return stop + 1, inner_fields
        j += 1
    return j, []


def check(data: bytes, config: CodeConfig) -> pyparse.Checked:
    """The pre-check (`extgate.pyparse`): raises Unparseable unless `data` is Python within the parse bounds."""
    return pyparse.check_source(data, config.python_max_depth, config.parse_timeout_ms)


def analyze(
    path: str, data: bytes, config: CodeConfig, deadline: float = float("inf"), checked: pyparse.Checked | None = None
) -> ParseResult:
    """Raises Unparseable when the file cannot be parsed safely (see module docstring) or the analysis runs past
    `deadline` (monotonic clock). `checked`: the pre-check's result when the caller already has it."""
    if checked is None:
        checked = check(data, config)
    try:
        result = Analyzer(path, data, checked, config, deadline).run()
    except RecursionError:
        raise Unparseable("too-deep", "syntax tree too deep for the analysis") from None
    result.symbols = declarations.python_or_none(checked.tree, data)  # scoring reads the same tree
    return result

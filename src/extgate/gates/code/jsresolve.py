"""Name resolution for JavaScript / TypeScript / TSX trees (tree-sitter).

`Resolver.resolve(node)` names what an expression refers to, canonically, or returns None:

    eval, window.eval, globalThis["ev" + "al"], (0, eval), const e = eval; e   ->  'eval'
    require("node:child_process").exec, const {exec: run} = require("child_process"); run  ->  'child_process.exec'
    (async function(){}).constructor, Object.getPrototypeOf(async () => {}).constructor  ->  'AsyncFunction'
    Function("return this")(), window, self, global, globalThis                          ->  'global'

Names resolve through same-file bindings (var/let/const, assignments, destructuring, imports, parameters) scoped
to the nearest enclosing function, so a one-letter name bound to `require("child_process")` in one bundled module
does not leak into another, and a parameter shadows a global. `fold(node)` computes constant strings
("ev" + "al", "\\x65val", `eval`, `${a}${b}` of constants, String.fromCharCode, atob, const names).

Trees are parsed through a read callback so a progress callback can cancel the parse at its time budget. Nodes of
such trees must never be asked for `.text`: py-tree-sitter 0.26 then re-reads the source through the callback
(slow: seconds on a 1 MB file when a query uses text predicates), and crashes (SIGSEGV) when the callback returned
a memoryview. All text comes from slicing `data`, and queries use no text predicates.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from tree_sitter import Node, Parser, Point, Range, Tree

from extgate.gates.code.bounded import MAX_DEPTH, Bounded
from extgate.lang import language

_CHUNK = 65_536
_MAX_FOLD = 10_000  # longest constant string the folder builds
_MAX_BINDINGS_PER_NAME = 16
_MAX_UNWRAP = 10_000  # parentheses/casts stripped around one expression
_MAX_CHAIN_LINKS = 10_000  # members in one a.b.c chain

# the CommonJS `module` object (module.exports, module.require), not the node:module builtin
COMMONJS_MODULE = "<module>"
GLOBAL_OBJECTS = frozenset({"globalThis", "window", "self", "global", "top", "parent", "frames"})
# names that resolve to themselves when not bound locally
KNOWN_GLOBALS = frozenset(
    {
        "eval", "Function", "setTimeout", "setInterval", "setImmediate", "execScript", "fetch", "XMLHttpRequest",
        "WebSocket", "EventSource", "navigator", "process", "Deno", "Bun", "require", "JSON", "Object",
        "Reflect", "Array", "String", "Number", "Boolean", "Symbol", "RegExp", "Date", "Promise", "Error", "Map",
        "Set", "BigInt", "ShadowRealm", "Buffer", "importScripts", "Worker", "SharedWorker", "atob",
        "__non_webpack_require__", "structuredClone", "URLSearchParams", "WebAssembly", "localStorage",
        "sessionStorage", "indexedDB", "document", "location",
    }
)  # fmt: skip
# resolved names that are not a module, so `x.default` is not the module x itself
_NOT_MODULES = KNOWN_GLOBALS | {"global", COMMONJS_MODULE}
# `X.constructor` is the Function constructor for every built-in constructor X
BUILTIN_CONSTRUCTORS = frozenset(
    {"Object", "Array", "String", "Number", "Boolean", "Symbol", "RegExp", "Date", "Promise", "Error", "Map",
     "Set", "BigInt", "Function", "AsyncFunction", "GeneratorFunction", "AsyncGeneratorFunction"}
)  # fmt: skip
FUNCTION_CONSTRUCTORS = frozenset({"Function", "AsyncFunction", "GeneratorFunction", "AsyncGeneratorFunction"})
# parameters with these names are treated as what the UMD / CommonJS wrappers pass in
PARAM_MEANINGS = {
    "require": "require", "module": COMMONJS_MODULE, "global": "global", "globalThis": "global", "window": "global",
    "root": "global",
}  # fmt: skip
# calls whose result is a string whatever their receiver or arguments: a decoder's output handed to a timer is code
_STRING_FUNCTIONS = frozenset(
    {"atob", "String", "String.fromCharCode", "String.fromCodePoint", "String.raw", "decodeURIComponent",
     "decodeURI", "unescape"}
)  # fmt: skip
_STRING_METHODS = frozenset(
    {"toString", "join", "replace", "replaceAll", "trim", "toLowerCase", "toUpperCase", "padStart", "padEnd",
     "repeat", "substring", "substr", "charAt", "normalize"}
)  # fmt: skip
_LITERAL_CONSTRUCTOR = {
    "array": "Array", "string": "String", "template_string": "String", "number": "Number", "object": "Object",
    "regex": "RegExp", "true": "Boolean", "false": "Boolean",
}  # fmt: skip
SCOPE_NODES = frozenset(
    {"program", "function_declaration", "function_expression", "function", "arrow_function", "generator_function",
     "generator_function_declaration", "method_definition", "class_static_block"}
)  # fmt: skip
_FUNCTION_VALUES = frozenset({"function_expression", "function", "arrow_function", "generator_function"})
_WRAPPERS = frozenset(
    {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression", "type_assertion",
     "await_expression"}
)  # fmt: skip
CONSTANT_NODES = frozenset({"number", "true", "false", "null", "undefined", "regex"})
# `base[k]` whose key does not fold to a constant, on a base a call of which a rule names (the global object,
# CommonJS `module`, child_process, vm, Deno ...): it resolves to "base[?]" so that aliases, `.call`/`.apply`/
# `.bind`, `(0, f)`, `Reflect.apply` and `new` carry it to the call, where the analyzer reports it as what it may be
COMPUTED = "[?]"
NORMALIZE = {
    "fs.promises": "fs/promises", "dns.promises": "dns/promises", "stream.promises": "stream/promises",
    "timers.promises": "timers/promises", "<module>.require": "require", "process.mainModule.require": "require",
    "Bun.env": "process.env",
    # node:module's Module: `module.constructor`, `require("module").Module`; its loader and prototype.require
    "module.Module": "module", "module._load": "require",
    "module.prototype.require": "require", "require.main": "<module>", "process.mainModule": "<module>",
    # Module#_compile(source, filename) runs source text as a module: a module object's, or a new Module's
    "<module>._compile": "module.prototype._compile", "module.instance._compile": "module.prototype._compile",
}  # fmt: skip
# calls that load a module by name the way require() does (`process.getBuiltinModule` returns a builtin, Node 22)
MODULE_LOADERS = frozenset({"process.getBuiltinModule"})
# Compilers' and bundlers' module helpers, recognised by name whatever they are bound to (a look-alike defined by an
# attacker can only make extgate report more): interop wrappers hand back the module they are given
# (`__importStar(require("child_process")).exec` is child_process.exec) and esbuild's `__require` shim is require
INTEROP_HELPERS = frozenset(
    {"__importStar", "__importDefault", "__toESM", "__toCommonJS", "_interopRequireDefault",
     "_interopRequireWildcard", "_interop_require_default", "_interop_require_wildcard", "_interopDefault",
     "_interopNamespace", "_interopNamespaceDefault", "_interopDefaultLegacy", "getDefaultExportFromCjs"}
)  # fmt: skip
BUNDLER_REQUIRES = frozenset({"__require"})
_LOADERS = MODULE_LOADERS | {"require"}
# namespaces whose members are functions: `Object.keys.constructor` is Function like `Object.constructor`
_FUNCTION_NAMESPACES = frozenset({"JSON", "Math", "Reflect", "Atomics", "Intl"})
# where a bare `eval` is a value handed to other code (calls, aliases, typeof, comparisons are handled elsewhere)
VALUE_CONTEXTS = frozenset(
    {"arguments", "array", "pair", "return_statement", "spread_element", "yield_expression", "arrow_function"}
)
_NAME_NODES = frozenset(
    {"identifier", "property_identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern",
     "private_property_identifier"}
)  # fmt: skip
_IDENTIFIER_ESCAPE = re.compile(r"\\u\{[0-9a-fA-F]+\}|\\u[0-9a-fA-F]{4}")
RETURN_THIS = re.compile(r"\s*return\s+this\s*;?\s*")
EVAL_TOKEN = re.compile(rb"(?<![\w$])eval(?![\w$])")
ABSOLUTE_SPEC = re.compile(r"/|\\|[A-Za-z]:[\\/]|file:", re.IGNORECASE)  # a path on the machine, not the package's


class ParseTimeout(Exception):
    """The parse (or the analysis after it) did not finish within its time budget."""


class TooDeep(Exception):
    """The syntax tree nests deeper than tree-sitter's query engine can walk (MAX_TREE_DEPTH)."""


# py-tree-sitter 0.26 queries go wrong past 65,535 levels (`f()()()...` 70,000 deep: captures stop at 65,536 nodes,
# so later calls are never seen, and take seconds to minutes; its progress_callback, which could cancel them,
# crashes the process). Trees deeper than this are not queried: safety/unparsed-file, reason too-deep.
MAX_TREE_DEPTH = 60_000


def check_depth(tree: Tree, limit: int = MAX_TREE_DEPTH) -> None:
    """Raise TooDeep when some path of the tree is longer than `limit`. A subtree of n nodes is at most n deep,
    so only subtrees big enough to reach the limit are entered: a few dozen nodes for an ordinary 4 MB bundle."""
    stack = [(tree.root_node, 0)]
    while stack:
        node, depth = stack.pop()
        if depth >= limit:
            raise TooDeep(f"syntax tree more than {limit:,} levels deep")
        stack.extend((child, depth + 1) for child in node.children if depth + 1 + child.descendant_count > limit)


# An unparsable region made of a long run of unclosed brackets (`x = ((((...`, `{{{{...`) is one flat ERROR node
# over a chain of hidden nodes as deep as the run: every query then takes time quadratic in it (100,000 `{` take
# 15 s in `captures()`, which cannot be cancelled) although the visible tree is one level deep. Real code's error
# regions are a few tokens (at most 3 children on the 6,770 JS/TS files of 20 popular packages), so regions
# holding more than this many tokens in all are not queried: safety/unparsed-file, reason too-deep.
MAX_ERROR_TOKENS = 10_000


def check_error_regions(tree: Tree, limit: int = MAX_ERROR_TOKENS) -> None:
    """Raise TooDeep when the tree's ERROR nodes hold more than `limit` children in all. Only subtrees that
    contain an error are entered, so an error-free tree costs one attribute read."""
    if not tree.root_node.has_error:
        return
    total = 0
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error:
            total += node.child_count
            if total > limit:
                raise TooDeep(
                    f"unparsable regions hold more than {limit:,} tokens (a run of unclosed brackets nests the "
                    "parser that deep)"
                )
        stack.extend(child for child in node.children if child.has_error)


class _Source:
    """The read and progress callbacks of the parses on one thread, reused for every parse.

    py-tree-sitter 0.26.1 never releases its references to the callbacks of a parse nor to the chunks the read
    callback returns (measured: every parsed file's bytes stayed alive -- as much memory as JavaScript scanned,
    unbounded in a long-running service). So the callbacks are the same two objects for every parse, and every
    chunk is the same bytearray, refilled at each read (tree-sitter uses a chunk only until its next read) and
    emptied after the parse: nothing that was parsed stays behind."""

    def __init__(self) -> None:
        self.data = b""
        self.deadline = 0.0
        self.chunk = bytearray()
        self.read = self._read  # bound once: the callbacks handed to every parse are these same objects
        self.progress = self._progress

    def _read(self, offset: int, point: Point) -> bytearray:
        self.chunk[:] = self.data[offset : offset + _CHUNK]  # never a memoryview (see module docstring)
        return self.chunk

    def _progress(self, offset: int, has_error: bool) -> bool:
        return time.monotonic() > self.deadline  # True cancels the parse


_SOURCES = threading.local()


def parse(grammar: str, data: bytes, deadline: float, ranges: Sequence[Range] | None = None) -> Tree:
    """Parse `data` (or only `ranges` of it) within a monotonic-clock deadline."""
    parser = Parser(language(grammar), included_ranges=list(ranges)) if ranges else Parser(language(grammar))
    source: _Source | None = getattr(_SOURCES, "source", None)
    if source is None or source.data:  # none yet on this thread, or one in use (never nested today)
        source = _SOURCES.source = _Source()
    source.data, source.deadline = data, deadline
    try:
        return parser.parse(source.read, progress_callback=source.progress)
    except ValueError as exc:  # raised when the progress callback cancelled the parse
        raise ParseTimeout() from exc
    finally:
        source.data = b""
        source.chunk.clear()  # the tree keeps no pointer into it: tree-sitter copies what it keeps


@dataclass(slots=True)
class Binding:
    """What a name was bound to: an expression (`node`), a member of one (`node`, `prop`), a known name (`sym`),
    or an unknown local (nothing set)."""

    node: Node | None = None
    prop: str | None = None
    sym: str | None = None


def normalize_module(specifier: str) -> str:
    """Canonical module name: 'node:fs' -> 'fs', 'npm:axios@1' -> 'axios', 'bun' -> 'Bun'."""
    spec = specifier.strip()
    if spec.startswith("node:"):
        spec = spec[5:]
    elif spec.startswith("npm:"):
        spec = spec[4:]
        scoped = spec.startswith("@")
        head, _, tail = spec[1:].partition("/") if scoped else ("", "", spec)
        rest = tail if scoped else spec
        name, _, after = rest.partition("@")
        _, _, sub = after.partition("/")
        spec = ("@" + head + "/" if scoped else "") + name + ("/" + sub if sub else "")
    return "Bun" if spec == "bun" else spec


def _decode_escape(seq: str) -> str:
    body = seq[1:]
    if not body:
        return ""
    head = body[0]
    simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "\n": "", "\r": ""}
    try:
        if head == "x":
            return chr(int(body[1:3], 16))
        if head == "u":
            digits = body[2:-1] if body.startswith("u{") else body[1:5]
            return chr(int(digits, 16))
        if head in "01234567":
            return chr(int(body, 8)) if len(body) > 1 or head != "0" else "\0"
    except ValueError:
        return body
    return simple.get(head, body)


def string_value(data: bytes, node: Node) -> str | None:
    """The value of a string literal or a template literal without substitutions (`data`: the parsed bytes)."""
    if node.type not in ("string", "template_string"):
        return None
    parts: list[str] = []
    cursor = node.start_byte + 1
    for child in node.named_children:
        if child.type == "template_substitution":
            return None
        if child.type == "escape_sequence":
            parts.append(data[cursor : child.start_byte].decode("utf-8", "replace"))
            parts.append(_decode_escape(_escape_text(data, child)))
            cursor = child.end_byte
    parts.append(data[cursor : max(cursor, node.end_byte - 1)].decode("utf-8", "replace"))
    return "".join(parts)


def _escape_text(data: bytes, node: Node) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def computed_member(base: str | None) -> str | None:
    """What `base[k]` is when `k` does not fold: "base[?]" for any resolved base (the analyzer decides which of
    those a call is reported for); nothing for an unresolved base or one that is itself computed."""
    if base is None or base.endswith(COMPUTED):
        return None
    return base + COMPUTED


def _returns_this(fn: Node) -> bool:
    """`function () { return this; }` (not an arrow function: its `this` is the enclosing one)."""
    if fn.type not in ("function_expression", "function"):
        return False
    body = fn.child_by_field_name("body")
    statements = [c for c in body.named_children if c.type != "comment"] if body is not None else []
    if len(statements) != 1 or statements[0].type != "return_statement":
        return False
    values = statements[0].named_children
    return len(values) == 1 and values[0].type == "this"


def _global_name(name: str) -> str | None:
    """What a name that no binding in scope covers refers to."""
    if name in GLOBAL_OBJECTS:
        return "global"
    if name == "module":
        return COMMONJS_MODULE
    return name if name in KNOWN_GLOBALS else None


class ScopeIndex:
    """Function scopes as nested byte intervals: the chain of scopes around an offset without walking
    `node.parent` (which tree-sitter computes by descending from the root, so parent walks are quadratic)."""

    def __init__(self, scopes: Sequence[Node]) -> None:
        items = sorted({(n.start_byte, -n.end_byte, n.id) for n in scopes})
        self.starts = [start for start, _, _ in items]
        self.ends = [-negated for _, negated, _ in items]
        self.index = {node_id: i for i, (_, _, node_id) in enumerate(items)}
        self.parents: list[int] = []
        self._chains: dict[tuple[int, int], tuple[int, ...]] = {}
        stack: list[int] = []
        for i, end in enumerate(self.ends):
            while stack and self.ends[stack[-1]] < end:
                stack.pop()
            self.parents.append(stack[-1] if stack else -1)
            stack.append(i)

    def chain(self, offset: int, exclude: int = -1) -> Sequence[int]:
        """Indexes of the scopes containing `offset`, innermost first (skipping scope `exclude`). Shared per
        innermost scope: callers must not change it."""
        i = bisect_right(self.starts, offset) - 1
        while i >= 0 and not (self.starts[i] <= offset < self.ends[i]):
            i = self.parents[i]
        key = (i, exclude)
        known = self._chains.get(key)
        if known is not None:
            return known
        found: list[int] = []
        while i >= 0:
            if i != exclude:
                found.append(i)
            i = self.parents[i]
        chain = tuple(found) or (0,)
        self._chains[key] = chain
        return chain


class Resolver:
    """Bindings, constant folding and resolution over one tree (a file, or one inline <script>)."""

    def __init__(self, data: bytes, tree: Tree, scopes: Sequence[Node]) -> None:
        self.data = data
        self.tree = tree
        self.scopes = ScopeIndex([tree.root_node, *scopes])
        self.bindings: dict[tuple[int, str], list[Binding]] = {}
        self.bound_names: set[str] = set()  # every name in `bindings`: others need no scope walk
        self._resolving: set[tuple[int, str]] = set()
        self._folding: set[tuple[int, str]] = set()
        # memo and depth bound of resolve()/fold(); keeps complete answers once bindings are frozen
        self.bounded = Bounded(timeout=ParseTimeout)
        self.withs: Sequence[Node] = ()  # `with` statements, in document order (set by the analyzer)
        self._with_index: tuple[ScopeIndex, list[Node | None]] | None = None

    @property
    def incomplete(self) -> bool:
        """The last top-level resolve()/fold() hit the resolution bounds (see bounded.py): its None means
        "could not tell", not "nothing sensitive"."""
        return self.bounded.incomplete

    def scope_of(self, node: Node) -> int:
        """The innermost scope around `node`; for a scope node itself, the one enclosing it."""
        return self.scopes.chain(node.start_byte, exclude=self.scopes.index.get(node.id, -1))[0]

    def scope_index(self, node: Node) -> int:
        """The scope a function node opens (for its parameters)."""
        return self.scopes.index.get(node.id, self.scope_of(node))

    def text(self, node: Node) -> str:
        raw = self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")
        if "\\" in raw and node.type in _NAME_NODES:  # `\u0065val` is the identifier eval
            return _IDENTIFIER_ESCAPE.sub(lambda m: _decode_escape(m.group()), raw)
        return raw

    def short(self, node: Node, limit: int = 160) -> str:
        raw = self.data[node.start_byte : min(node.end_byte, node.start_byte + limit * 4)]
        text = " ".join(raw.decode("utf-8", "replace").split())
        return text if len(text) <= limit and node.end_byte - node.start_byte <= limit * 4 else text[: limit - 1] + "…"

    def _column(self, point: Point, byte: int) -> int:
        line_start = byte - point.column
        return len(self.data[line_start:byte].decode("utf-8", "replace")) + 1

    def line(self, node: Node) -> int:
        return node.start_point.row + 1

    def _bind(self, scope: int, name: str, binding: Binding) -> None:
        self.bound_names.add(name)
        slot = self.bindings.setdefault((scope, name), [])
        if len(slot) < _MAX_BINDINGS_PER_NAME:
            slot.append(binding)

    def _bind_pattern(self, scope: int, pattern: Node, value: Node | None, depth: int = 0) -> None:
        """Bind the names of a declaration's left side; object patterns bind members of `value`."""
        if depth > MAX_DEPTH:
            return  # absurdly nested destructuring: leave the inner names unbound
        kind = pattern.type
        if kind == "identifier":
            self._bind(scope, self.text(pattern), Binding(node=value))
        elif kind == "object_pattern":
            for child in pattern.named_children:
                if child.type == "shorthand_property_identifier_pattern":
                    name = self.text(child)
                    self._bind(scope, name, Binding(node=value, prop=name))
                elif child.type == "object_assignment_pattern":
                    left = child.child_by_field_name("left")
                    if left is not None and left.type == "shorthand_property_identifier_pattern":
                        name = self.text(left)
                        self._bind(scope, name, Binding(node=value, prop=name))
                elif child.type == "pair_pattern":
                    key, target = child.child_by_field_name("key"), child.child_by_field_name("value")
                    prop = self._property_name(key) if key is not None else None
                    if prop is None:
                        prop = COMPUTED  # `{[k]: f}`: a member, never the whole value
                    if target is not None and target.type == "assignment_pattern":
                        target = target.child_by_field_name("left")
                    if target is not None and target.type == "identifier":
                        self._bind(scope, self.text(target), Binding(node=value, prop=prop))
                    elif target is not None:
                        self._bind_pattern(scope, target, None, depth + 1)
                elif child.type == "rest_pattern":
                    for ident in child.named_children:
                        self._bind_pattern(scope, ident, None, depth + 1)
        elif kind in ("array_pattern", "assignment_pattern", "rest_pattern", "required_parameter",
                      "optional_parameter"):  # fmt: skip
            for child in pattern.named_children:
                if child.type in ("identifier", "object_pattern", "array_pattern", "assignment_pattern",
                                  "rest_pattern"):  # fmt: skip
                    self._bind_pattern(scope, child, None, depth + 1)
                    if kind == "assignment_pattern":
                        break  # only the left side of `a = default` is a name

    def _bind_param(self, scope: int, param: Node) -> None:
        if param.type == "identifier":
            name = self.text(param)
            meaning = PARAM_MEANINGS.get(name)
            self._bind(scope, name, Binding(sym=meaning) if meaning else Binding())
        elif param.type in ("required_parameter", "optional_parameter"):
            inner = param.child_by_field_name("pattern")
            if inner is not None:
                self._bind_param(scope, inner)
        elif param.type == "assignment_pattern":
            left = param.child_by_field_name("left")
            if left is not None:
                self._bind_param(scope, left)
        else:
            self._bind_pattern(scope, param, None)

    def _bind_assignment(self, name: Node, value: Node) -> None:
        """`x = value` binds in the scope that declares x, else at the top level (an implicit global)."""
        text = self.text(name)
        for scope in self.scopes.chain(name.start_byte):
            if (scope, text) in self.bindings:
                self._bind(scope, text, Binding(node=value))
                return
        self._bind(0, text, Binding(node=value))

    def _property_name(self, node: Node) -> str | None:
        if node.type in ("property_identifier", "identifier", "private_property_identifier"):
            return self.text(node)
        return self.fold(node)

    def string_value(self, node: Node) -> str | None:
        """The value of a string literal or a template literal without substitutions."""
        return string_value(self.data, node)

    def fold(self, node: Node | None, depth: int = 0) -> str | None:
        """Constant-fold a string expression: literals, `+`, constant `const`s, String.fromCharCode, atob.
        Parentheses and `+` chains are walked iteratively, so `"e"+"v"+"a"+"l"` of any length folds."""
        if node is None:
            return None
        return self.bounded.call(("fold", node.id), depth, lambda d: self._fold(node, d))

    def _fold(self, node: Node, depth: int) -> str | None:
        node = self.unwrap(node)
        kind = node.type
        if kind == "template_string":
            return self._fold_template(node, depth)
        if kind == "string":
            return self.string_value(node)
        if kind == "binary_expression":
            parts: list[str] = []
            size = 0
            stack = [node]
            while stack:  # left-to-right over the leaves of a `+` tree
                current = self.unwrap(stack.pop())
                if current.type == "binary_expression":
                    op = current.child_by_field_name("operator")
                    left, right = current.child_by_field_name("left"), current.child_by_field_name("right")
                    if op is None or self.text(op) != "+" or left is None or right is None:
                        return None
                    stack += (right, left)
                    continue
                value = self.fold(current, depth + 1)
                if value is None:
                    return None
                size += len(value)
                if size > _MAX_FOLD:
                    return None
                parts.append(value)
            return "".join(parts)
        if kind == "identifier":
            key = self._binding_key(node)
            return None if key is None else self._fold_name(key, depth)
        if kind == "call_expression":
            return self._fold_call(node, depth)
        return None

    def _fold_template(self, node: Node, depth: int) -> str | None:
        """`${a}${b}` with constant substitutions folds like `a + b` (a template without any is a literal)."""
        parts: list[str] = []
        size = 0
        cursor = node.start_byte + 1
        for child in node.named_children:
            if child.type not in ("template_substitution", "escape_sequence"):
                continue
            parts.append(self.data[cursor : child.start_byte].decode("utf-8", "replace"))
            cursor = child.end_byte
            if child.type == "escape_sequence":
                parts.append(_decode_escape(_escape_text(self.data, child)))
                continue
            inner = [c for c in child.named_children if c.type != "comment"]
            value = self.fold(inner[0], depth + 1) if len(inner) == 1 else None
            if value is None:
                return None
            size += len(value)
            if size > _MAX_FOLD:
                return None
            parts.append(value)
        parts.append(self.data[cursor : max(cursor, node.end_byte - 1)].decode("utf-8", "replace"))
        return "".join(parts)

    def _binding_key(self, ident: Node) -> tuple[int, str] | None:
        name = self.text(ident)
        if name not in self.bound_names:
            return None
        for scope in self.scopes.chain(ident.start_byte):
            if (scope, name) in self.bindings:
                return (scope, name)
        return None

    def _fold_name(self, key: tuple[int, str], depth: int) -> str | None:
        if key in self._folding:
            self.bounded.mark_provisional()
            return None  # `a = a + "x"`: a cycle, not a constant
        self._folding.add(key)
        try:
            for binding in self.bindings[key]:
                if binding.node is not None and binding.prop is None:
                    value = self.fold(binding.node, depth + 1)
                    if value is not None:
                        return value
            return None
        finally:
            self._folding.discard(key)

    def _fold_call(self, node: Node, depth: int) -> str | None:
        callee = self.resolve(node.child_by_field_name("function"), depth + 1)
        args = self.arguments(node)
        if callee == "String.fromCharCode" and args and all(a.type == "number" for a in args):
            try:
                return "".join(chr(int(self.text(a), 0)) for a in args[:_MAX_FOLD])
            except ValueError:
                return None
        if callee == "atob" and len(args) == 1:
            encoded = self.fold(args[0], depth + 1)
            if encoded is None:
                return None
            try:
                return base64.b64decode(encoded, validate=False)[:_MAX_FOLD].decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                return None
        return None

    def is_string_like(self, node: Node) -> bool:
        """A string, template, `+` with a string operand, or a call that returns a string (`atob(p)`,
        `String.fromCharCode(...)`, `parts.join("")`): what makes setTimeout(arg) evaluate code."""
        stack = [node]
        seen = 0
        while stack and seen < _MAX_UNWRAP:
            seen += 1
            current = self.unwrap(stack.pop())
            kind = current.type
            if kind in ("string", "template_string"):
                return True
            if kind == "binary_expression":
                op = current.child_by_field_name("operator")
                if op is not None and self.text(op) == "+":
                    stack += [c for c in (current.child_by_field_name("left"), current.child_by_field_name("right"))
                              if c is not None]  # fmt: skip
            elif (kind == "identifier" and self.fold(current) is not None) or (
                kind == "call_expression" and self._returns_string(current)
            ):
                return True
        return False

    def _returns_string(self, call: Node) -> bool:
        fn = call.child_by_field_name("function")
        if fn is None:
            return False
        fn = self.unwrap(fn)
        if fn.type == "member_expression":
            prop = fn.child_by_field_name("property")
            if prop is not None and self.text(prop) in _STRING_METHODS:
                return True
        name = self.text(fn) if fn.type == "identifier" and not self._lookup(fn) else self.resolve(fn)
        return name in _STRING_FUNCTIONS

    def _lookup(self, ident: Node) -> list[Binding]:
        name = self.text(ident)
        if name not in self.bound_names:
            return []
        for scope in self.scopes.chain(ident.start_byte):
            found = self.bindings.get((scope, name))
            if found is not None:
                return found
        return []

    def resolve_name(self, ident: Node) -> str | None:
        """What an identifier refers to (a top-level question, settled like `resolve`): the question is the
        binding's (one memo entry for all its uses), and a name bound nowhere is answered directly (no binding can
        make that answer incomplete)."""
        name = self.text(ident)
        if name in self.bound_names:
            for scope in self.scopes.chain(ident.start_byte):
                if (scope, name) in self.bindings:  # settled (and memoized) per binding, not per occurrence
                    return self._resolve_bound(scope, name, 0)
        self.bounded.incomplete = False
        return self._free_name(ident, name, 0) if self.withs else _global_name(name)

    def _resolve_name(self, ident: Node, depth: int) -> str | None:
        name = self.text(ident)
        if name in BUNDLER_REQUIRES:
            return "require"
        if name in self.bound_names:
            for scope in self.scopes.chain(ident.start_byte):
                if (scope, name) in self.bindings:
                    return self._resolve_bound(scope, name, depth)
        return self._free_name(ident, name, depth) if self.withs else _global_name(name)

    def _free_name(self, ident: Node, name: str, depth: int) -> str | None:
        """A name no binding covers: inside `with (obj) { ... }` it is read from obj first (`with
        (require("child_process")) exec(x)` calls child_process.exec), else it is a global."""
        for statement in self._withs_around(ident.start_byte):  # innermost first
            obj = statement.child_by_field_name("object")
            if obj is None or self._read_through_with(obj):
                continue  # `with (o)` where o itself may be a member of an outer with's object: look further out
            member = self._member(self.resolve(obj, depth + 1), name, None)
            if member is not None:
                return member
        return _global_name(name)

    def _read_through_with(self, node: Node) -> bool:
        """Whether the expression's root is a free name inside a `with` body (its value is ambiguous)."""
        root = self.unwrap(node)
        for _ in range(_MAX_CHAIN_LINKS):
            if root.type not in ("member_expression", "subscript_expression", "parenthesized_expression"):
                break
            inner = root.child_by_field_name("object") if root.type != "parenthesized_expression" else None
            if inner is None and root.named_children:
                inner = root.named_children[-1]
            if inner is None:
                break
            root = self.unwrap(inner)
        if root.type != "identifier":
            return False
        name = self.text(root)
        bound = name in self.bound_names and any(
            (scope, name) in self.bindings for scope in self.scopes.chain(root.start_byte)
        )
        return not bound and bool(self._withs_around(root.start_byte))

    def _withs_around(self, offset: int) -> list[Node]:
        """The `with` statements whose body contains `offset`, innermost first: nested intervals, looked up like
        scopes (ScopeIndex), so many sibling `with` blocks cost nothing per name."""
        if self._with_index is None:
            bodies: dict[int, tuple[Node, Node]] = {}
            for statement in self.withs:
                body = statement.child_by_field_name("body")
                if body is not None:
                    bodies[body.id] = (body, statement)
            index = ScopeIndex([body for body, _ in bodies.values()])
            by_position: list[Node | None] = [None] * len(index.starts)
            for node_id, (_, statement) in bodies.items():
                by_position[index.index[node_id]] = statement
            self._with_index = (index, by_position)
        index, by_position = self._with_index
        found: list[Node] = []
        for i in index.chain(offset):
            around = by_position[i] if i < len(by_position) else None
            if around is not None and index.starts[i] <= offset < index.ends[i]:
                found.append(around)
        return found

    def _resolve_bound(self, scope: int, name: str, depth: int) -> str | None:
        key = (scope, name)
        return self.bounded.call(("name", scope, name), depth, lambda d: self._resolve_key(key, d))

    def _resolve_key(self, key: tuple[int, str], depth: int) -> str | None:
        if key in self._resolving:
            self.bounded.mark_provisional()
            return None
        self._resolving.add(key)
        try:
            for binding in self.bindings[key]:
                value = self._resolve_binding(binding, depth + 1)
                if value is not None:
                    return value  # may-alias: any binding to something sensitive counts
            return None
        finally:
            self._resolving.discard(key)

    def _resolve_binding(self, binding: Binding, depth: int) -> str | None:
        if binding.sym is not None:
            return binding.sym
        if binding.node is None:
            return None
        base = self.resolve(binding.node, depth)
        if binding.prop is None:
            return base
        if binding.prop == COMPUTED:  # `const {[k]: f} = base`
            return computed_member(base)
        return self._member(base, binding.prop, binding.node)

    def unwrap(self, node: Node) -> Node:
        """Strip parentheses, `(0, x)` sequences, TS `as`/`!`/`<T>` casts and `await`, iteratively."""
        for _ in range(_MAX_UNWRAP):
            kind = node.type
            if kind in _WRAPPERS:
                inner = [c for c in node.named_children if c.type not in ("type_arguments", "predefined_type")]
                if not inner:
                    return node
                first = kind in ("as_expression", "satisfies_expression", "non_null_expression")
                node = inner[0] if first else inner[-1]
            elif kind == "sequence_expression" and node.named_children:
                node = node.named_children[-1]
            else:
                return node
        return node

    def resolve(self, node: Node | None, depth: int = 0) -> str | None:
        """The canonical name of what `node` evaluates to, or None (see `incomplete`). Memoized per node once
        all bindings are in, except results cut short by the depth bound (bounded.py settles those)."""
        if node is None:
            return None
        return self.bounded.call(("resolve", node.id), depth, lambda d: self._resolve(node, d))

    def freeze_bindings(self, deadline: float = float("inf")) -> None:
        """All bindings are registered: from now on resolution results can be memoized, and resolution passes
        stop at `deadline` (ParseTimeout)."""
        self.bounded.enabled = True
        self.bounded.deadline = deadline

    def _resolve(self, node: Node, depth: int) -> str | None:
        node = self.unwrap(node)
        kind = node.type
        if kind == "identifier":
            return self._resolve_name(node, depth)
        if kind in ("member_expression", "subscript_expression"):
            return self._resolve_chain(node, depth)
        if kind == "call_expression":
            return self._resolve_call(node, depth)
        if kind in _FUNCTION_VALUES:
            return self._function_kind(node) + ".instance"
        if kind == "new_expression":  # `new Module(id)` is a module.instance, whose _compile runs source
            made = self.resolve(node.child_by_field_name("constructor"), depth + 1)
            return made + ".instance" if made == "module" else None
        if kind in ("binary_expression", "ternary_expression"):
            fields = ("left", "right") if kind == "binary_expression" else ("consequence", "alternative")
            if kind == "binary_expression":
                op = node.child_by_field_name("operator")
                if op is None or self.text(op) not in ("||", "??", "&&"):
                    return None
            for name in fields:
                value = self.resolve(node.child_by_field_name(name), depth + 1)
                if value is not None:
                    return value
            return None
        if kind == "object":  # {...process.env} is a copy of the environment
            spreads = [
                c.named_children[0] for c in node.named_children if c.type == "spread_element" and c.named_children
            ]
            copies_env = any(self.resolve(inner, depth + 1) == "process.env" for inner in spreads)
            return "process.env" if copies_env else None
        return None

    def _resolve_chain(self, node: Node, depth: int) -> str | None:
        """`a.b["c"].d`: walk down to the base iteratively, resolve it, then apply the links outward, so a chain of
        any length (`window.window.....eval`) resolves without recursion."""
        links: list[Node] = []
        current = node
        while current.type in ("member_expression", "subscript_expression"):
            if len(links) >= _MAX_CHAIN_LINKS:
                return None
            links.append(current)
            obj = current.child_by_field_name("object")
            if obj is None:
                return None
            current = self.unwrap(obj)
        base = self.resolve(current, depth + 1)
        obj_node = current
        for link in reversed(links):
            if link.type == "member_expression":
                prop_node = link.child_by_field_name("property")
                prop = self.text(prop_node) if prop_node is not None else None
            elif base is None and not self._may_reach_constructor(obj_node):
                prop = None  # nothing can come of folding the index
            else:
                base = self._subscript(base, link.child_by_field_name("index"), obj_node, depth + 1)
                obj_node = link
                continue
            base = self._member(base, prop, obj_node)
            obj_node = link
        return base

    def _subscript(self, base: str | None, index: Node | None, obj: Node | None, depth: int) -> str | None:
        """`obj[index]` (also `Reflect.get(obj, index)`): a constant key is a member; any other key on a base
        whose members a rule names is `base[?]`."""
        prop = self.fold(index, depth)
        if prop is not None:
            return self._member(base, prop, obj)
        if index is None or index.type in CONSTANT_NODES:
            return None  # `self[0]`: no function of interest has a numeric name
        return computed_member(base)

    def _function_kind(self, node: Node) -> str:
        is_async = any(child.type == "async" for child in node.children)
        generator = node.type in ("generator_function", "generator_function_declaration") or any(
            child.type == "*" for child in node.children
        )
        if is_async and generator:
            return "AsyncGeneratorFunction"
        if is_async:
            return "AsyncFunction"
        return "GeneratorFunction" if generator else "Function"

    def _may_reach_constructor(self, obj: Node | None) -> bool:
        """Whether `obj[...]` can name a constructor when `obj` itself resolves to nothing."""
        inner = obj
        while inner is not None and inner.type == "parenthesized_expression" and inner.named_children:
            inner = inner.named_children[-1]
        return inner is not None and (
            inner.type in _FUNCTION_VALUES
            or inner.type in _LITERAL_CONSTRUCTOR
            or inner.type in ("member_expression", "subscript_expression")
        )

    def _member(self, base: str | None, prop: str | None, obj: Node | None) -> str | None:
        if prop is None:
            return None
        if base is None:
            if prop != "constructor" or obj is None:
                return None
            inner = obj
            while inner.type == "parenthesized_expression" and inner.named_children:
                inner = inner.named_children[-1]
            if inner.type in _FUNCTION_VALUES:
                return self._function_kind(inner)
            if inner.type in _LITERAL_CONSTRUCTOR:
                return _LITERAL_CONSTRUCTOR[inner.type]
            if inner.type in ("member_expression", "subscript_expression"):
                if self._prop_of(inner) == "constructor":
                    return "Function"  # x.constructor.constructor is Function for any x
                holder = inner.child_by_field_name("object")
                if holder is not None and self.unwrap(holder).type in _LITERAL_CONSTRUCTOR:
                    return "Function"  # [].map.constructor, "".big.constructor: a method's constructor
            return None
        if base == "global":
            if prop in GLOBAL_OBJECTS:
                return "global"
            return prop if prop in KNOWN_GLOBALS else None
        if prop == "constructor":
            if base == COMMONJS_MODULE:
                return "module"  # module.constructor is node:module's Module
            for suffix in (".instance", ".prototype"):
                if base.endswith(suffix):
                    return base[: -len(suffix)]
            root, _, rest = base.partition(".")
            if base in BUILTIN_CONSTRUCTORS or (rest and root in BUILTIN_CONSTRUCTORS | _FUNCTION_NAMESPACES):
                return "Function"  # Array.constructor, Object.keys.constructor, JSON.parse.constructor
            return None
        if prop == "default" and "." not in base and base not in _NOT_MODULES:
            return base  # a module's default export as interop helpers and ESM-to-CJS output spell it
        name = f"{base}.{prop}"
        return NORMALIZE.get(name, name)

    def _prop_of(self, node: Node) -> str | None:
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            return self.text(prop) if prop is not None else None
        return self.fold(node.child_by_field_name("index"))

    def arguments(self, call: Node) -> list[Node]:
        args = call.child_by_field_name("arguments")
        if args is None:
            return []
        if args.type == "template_string":  # tagged template: tag`...`
            return [args]
        return [c for c in args.named_children if c.type != "comment"]

    def _resolve_call(self, node: Node, depth: int) -> str | None:
        """What a call evaluates to, when that is a module, the global object or a function constructor."""
        fn = node.child_by_field_name("function")
        if fn is None:
            return None
        args = self.arguments(node)
        if fn.type == "import":
            spec = self.fold(args[0], depth + 1) if args else None
            return normalize_module(spec) if spec is not None else None
        if helper_name(self, self.unwrap(fn)) in INTEROP_HELPERS:
            return self.resolve(args[0], depth + 1) if args else None
        if fn.type in ("call_expression", "new_expression") and self._is_return_this(fn, depth + 1):
            return "global"  # Function("return this")() and new Function("return this")()
        if _returns_this(self.unwrap(fn)):
            return "global"  # (function () { return this; })(): a sloppy-mode function called plainly
        callee = self.resolve(fn, depth + 1)
        if callee is None:
            return None
        if callee.endswith(".call") and callee[: -len(".call")] in _LOADERS:
            callee, args = callee[: -len(".call")], args[1:]  # require.call(module, "x") loads "x"
        if callee in _LOADERS:
            spec = self.fold(args[0], depth + 1) if args else None
            return normalize_module(spec) if spec is not None else None
        if callee == "module.createRequire":
            return "require"
        if callee == "Reflect.get" and len(args) > 1:
            return self._subscript(self.resolve(args[0], depth + 1), args[1], args[0], depth + 1)
        if callee == "eval" and args and (self.fold(args[0], depth + 1) or "").strip() == "this":
            return "global"
        if callee.endswith(".bind"):
            bound = callee[: -len(".bind")]
            # Function.call.bind(f) calls f, not Function: bound call/apply say nothing about the callee
            return None if bound.endswith((".call", ".apply")) else bound
        if callee in ("Object.getPrototypeOf", "Reflect.getPrototypeOf") and args:
            value = self.resolve(args[0], depth + 1)
            if value is not None and value.endswith(".instance"):
                return value[: -len(".instance")] + ".prototype"
            return None
        if callee == "Object.assign" and any(self.resolve(a, depth + 1) == "process.env" for a in args):
            return "process.env"
        return None

    def _is_return_this(self, call: Node, depth: int = 0) -> bool:
        """`Function("return this")` (called or constructed). The callee must not itself be a call: resolving
        `f()()()...` twice per level would be exponential."""
        callee_node = call.child_by_field_name("constructor" if call.type == "new_expression" else "function")
        if callee_node is None or self.unwrap(callee_node).type in ("call_expression", "new_expression"):
            return False
        if self.resolve(callee_node, depth + 1) not in FUNCTION_CONSTRUCTORS:
            return False
        args = self.arguments(call)
        body = self.fold(args[-1]) if args else None
        return body is not None and RETURN_THIS.fullmatch(body) is not None


def helper_name(resolver: Resolver, fn: Node) -> str | None:
    """The name a helper call spells: `__importStar(...)`, `tslib.__importStar(...)`, `(0, tslib.__toESM)(...)`."""
    if fn.type == "identifier":
        return resolver.text(fn)
    if fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        return resolver.text(prop) if prop is not None else None
    return None

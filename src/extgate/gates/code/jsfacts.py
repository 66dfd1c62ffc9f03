"""The imports-only fast path: JS/TS files whose prefilter hits only import tokens get their facts without the
rule walk.

Most files of a package (core-js: 3,171 of 3,546; lodash: 673 of 1,048) hit the prefilter only on `import`,
`require` or `export ... from`: they are parsed for their import facts and exported symbols, never for a rule. The
full analysis (one query, bindings for every scope, every call and member resolved, the behaviour rules) finds
nothing in them by construction: with no computed member name (below), every name the resolver can produce is
written out in the file, and every rule needs a name that is itself a prefilter token (eval, Function,
constructor, process, exec, fetch, setTimeout ...) or a module the rules name (child_process, fs, http, vm ...).
So for such a file `facts_only` reads the import facts straight off the tree, at the places the words `import`,
`require` and `export` occur, and returns exactly what the full analysis would: the same ImportRefs (specifier,
line, kind, order), no API uses, no findings.

It gives up (returns None: the caller runs the full analysis) at anything it cannot answer exactly:

    a syntax error anywhere (the full analysis reports sensitive tokens inside ERROR regions)
    an imported module that a rule or an API name could start from (`_Guard.interesting`: fs, child_process, path,
      http, util ... and any name in the rule data, the behaviour rules or the resolver's known globals)
    `require` anywhere but as `require("literal")`, a CommonJS wrapper parameter or `typeof require`
      (an alias, a shadowing binding, `module.require`, `globalThis["require"]`, `require.call`, `new require`)
    require()/import() with anything but a literal specifier (the full analysis folds it or reports it), or a
      `data:` URL one (code inside the string: the full analysis reports it) or an absolute path / file: URL
    a global API name the facts record (Worker, WebAssembly, localStorage, document.cookie ...)
    a computed member or key (`g[a + b]`, `o[k]`, `{[k]: v}`): the resolver folds names from constants, so a name
      like eval or constructor need not be written out; literal ones (`o["x"]`, `a[0]`) are
    the word Reflect anywhere (`Reflect.get(globalThis, k)` is a computed member access without brackets)
    an escape in a string that could spell a name (`"r\\equire"`, octal escapes; \\x and \\u are prefilter tokens)
    more word occurrences than _MAX_WORDS, or the parse deadline (ParseTimeout, as for the full analysis)

tests/gates/code/test_code_fast_path.py derives every rule's names and examples from the rule pack and the code
and checks that none of them can take this path, and that this path and the full analysis agree on every fixture.
"""

from __future__ import annotations

import re
import time
from functools import cache, lru_cache

from tree_sitter import Node, Query, QueryCursor, Tree

from extgate.facts import ImportRef
from extgate.gates.code import behaviour
from extgate.gates.code.interface import GROUP_PARSE, CodeConfig, ParseResult, names_regex
from extgate.gates.code.jsresolve import (
    ABSOLUTE_SPEC,
    BUILTIN_CONSTRUCTORS,
    FUNCTION_CONSTRUCTORS,
    GLOBAL_OBJECTS,
    KNOWN_GLOBALS,
    NORMALIZE,
    PARAM_MEANINGS,
    ParseTimeout,
    normalize_module,
    string_value,
)
from extgate.gates.code.prefilter import PrefilterHits
from extgate.lang import language

# prefilter pattern names (rules/code.yaml data.prefilter) that only ask for import facts
IMPORT_TOKENS = frozenset({"import", "require", "export-from"})
# prefilter pattern names that only say the file has a shape the parse must look at (a computed member, a global
# object named): no rule name is written. The fast path answers them itself (it gives up at any computed name)
SHAPE_TOKENS = frozenset({"computed-member", "global-root", "reflect"})
# canonical names the analyzers compare callees with in code (javascript.py, jsresolve.py), beyond the data
ENGINE_NAMES = (
    "eval", "require", "module", "module.createRequire", "Deno.env.toObject", "Reflect.apply", "Reflect.construct",
    "Reflect.get", "process.getBuiltinModule", "module._load", "Object.getPrototypeOf", "Reflect.getPrototypeOf",
    "Object.assign", "String.fromCharCode", "atob",
    "process.env", "global",
)  # fmt: skip
_WORDS = re.compile(rb"require|import|export")
_MAX_WORDS = 4_096
# escapes that decode to a letter, digit, `_` or `$` and that no prefilter pattern sees (\x.. and \u.. are the
# `escape` token): identity escapes (`\q` is q) and octal escapes (`\162` is r)
_NAME_ESCAPE = re.compile(rb"\\(?:[0-7]|[ac-eg-mo-qswyzA-Z_$])")
# member indexes and computed keys, the places a name can be computed
_COMPUTED = """
(subscript_expression index: (_) @index)
(computed_property_name) @key
"""
_IGNORED = frozenset({"comment", "hash_bang_line", "regex_pattern", "regex_flags", "html_comment"})
_IDENTIFIERS = frozenset(
    {"identifier", "property_identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern",
     "private_property_identifier", "type_identifier", "statement_identifier", "nested_identifier"}
)  # fmt: skip


class _Guard:
    """What decides the fast path for one CodeConfig (derived once per config: it is immutable)."""

    def __init__(self, config: CodeConfig) -> None:
        prefixes = set()
        for name in canonical_names(config):
            cut = min((i for i, ch in enumerate(name) if ch in "*?["), default=len(name))
            prefixes.add((name[:cut], cut < len(name)))
        # every leading part of every literal prefix (a module that starts a name), and the wildcard patterns'
        # literal prefixes (a module a pattern may cover)
        self.name_starts = frozenset(p[:i] for p, _ in prefixes for i in range(len(p) + 1))
        self.wild_prefixes = tuple(sorted(p for p, wild in prefixes if wild))
        words = sorted({name.rsplit(".", 1)[-1] for name in config.api.js_globals})
        # words of the global API names recorded as facts (Worker, localStorage, cookie ...)
        self.api_words = re.compile(b"|".join(re.escape(w.encode()) for w in words)) if words else None
        callee_patterns = [m.javascript for m in config.call_matchers] + [config.js_network, config.js_serializers]
        # a `require(...)` callee matches no rule and is no API name: only its import counts
        self.require_plain = "require" not in config.api.node_modules | config.api.js_globals and not any(
            (regex := names_regex(patterns)) is not None and regex.fullmatch("require") for patterns in callee_patterns
        )
        self.parse_names = frozenset(p.name for p in config.prefilter if GROUP_PARSE in p.groups)

    def interesting(self, module: str) -> bool:
        """Whether a rule, an API fact or the resolver could name something reached from `module`
        (conservative: any name pattern that starts with it, and any wildcard pattern it could fall under)."""
        return module in self.name_starts or module.startswith(self.wild_prefixes)


_GUARDS: dict[int, tuple[CodeConfig, _Guard]] = {}


@lru_cache(maxsize=8)
def _guard_for(config: CodeConfig) -> _Guard:
    return _Guard(config)


def _guard(config: CodeConfig) -> _Guard:
    """The guard of a config, looked up by identity (hashing a CodeConfig costs more than the fast path)."""
    found = _GUARDS.get(id(config))
    if found is not None and found[0] is config:
        return found[1]
    guard = _guard_for(config)  # an equal config (a worker process unpickles one per task chunk): built once
    if len(_GUARDS) > 64:
        _GUARDS.clear()
    _GUARDS[id(config)] = (config, guard)
    return guard


def canonical_names(config: CodeConfig) -> tuple[str, ...]:
    """Every canonical name pattern a JS rule, fact or resolution step compares with."""
    names: list[str] = []
    for matcher in config.call_matchers:
        names += matcher.javascript
    names += config.js_network + config.js_serializers
    names += sorted(config.api.node_modules) + sorted(config.api.js_globals)
    names += behaviour.CANONICAL_NAMES
    names += sorted(KNOWN_GLOBALS | GLOBAL_OBJECTS | FUNCTION_CONSTRUCTORS | BUILTIN_CONSTRUCTORS)
    names += [*NORMALIZE, *NORMALIZE.values(), *PARAM_MEANINGS.values()]
    names += ENGINE_NAMES
    return tuple(names)


def only_import_tokens(hits: PrefilterHits, config: CodeConfig) -> bool:
    """The file's parse-group prefilter hits are all import or shape tokens: no rule token occurs in it."""
    if GROUP_PARSE not in hits.groups:
        return False
    return not (hits.names & _guard(config).parse_names) - IMPORT_TOKENS - SHAPE_TOKENS


@cache
def _names_query(grammar: str) -> Query:
    return Query(language(grammar), _COMPUTED)


def _computed_names(root: Node, grammar: str) -> bool:
    """A member or key whose name is computed (`g[a + b]`, `o[k]`, `{[k]: v}`): the resolver folds such names from
    constants (`const a = "ev", b = "al"`), so the name need not be written anywhere a prefilter pattern sees it.
    Literal names (`o["x"]`, `a[0]`) are written out."""
    caps = QueryCursor(_names_query(grammar)).captures(root)
    return any(node.type not in ("string", "number") for nodes in caps.values() for node in nodes)


class _GiveUp(Exception):
    """Something the fast path cannot answer exactly: run the full analysis."""


def facts_only(
    path: str, data: bytes, tree: Tree, grammar: str, config: CodeConfig, deadline: float
) -> ParseResult | None:
    """The full analysis' result for a file without rule tokens (see the module docstring), or None when the
    full analysis must run. Raises ParseTimeout past `deadline`."""
    root = tree.root_node
    guard = _guard(config)
    if root.has_error or _NAME_ESCAPE.search(data) or (guard.api_words is not None and guard.api_words.search(data)):
        return None
    if b"Reflect" in data:
        return None  # Reflect.get(obj, k) reads a member by a computed key with no `[` in sight
    if _computed_names(root, grammar):
        return None
    try:
        return _Reader(path, data, guard).read(root, deadline)
    except _GiveUp:
        return None


class _Reader:
    def __init__(self, path: str, data: bytes, guard: _Guard) -> None:
        self.path = path
        self.data = data
        self.guard = guard
        self.statements: dict[int, Node] = {}  # import_statement by id (several words may sit in one)
        self.exports: dict[int, Node] = {}  # export_statement by id
        self.calls: dict[int, tuple[Node, str]] = {}  # require()/import() call by id, and its kind

    def read(self, root: Node, deadline: float) -> ParseResult:
        for count, match in enumerate(_WORDS.finditer(self.data, root.start_byte, root.end_byte)):
            if count >= _MAX_WORDS:
                raise _GiveUp
            if count % 64 == 63 and time.monotonic() > deadline:
                raise ParseTimeout("facts")
            node = root.descendant_for_byte_range(match.start(), match.end())
            if node is None:
                raise _GiveUp
            self._word(node, match.group())
        result = ParseResult(syntax_errors=False)
        # the full analysis' order: import statements, export sources, then calls (by start, outermost first);
        # analysis.py sorts by line afterwards, keeping this order within a line
        for node in sorted(self.statements.values(), key=lambda n: (n.start_byte, -n.end_byte)):
            self._import_statement(node, result)
        for node in sorted(self.exports.values(), key=lambda n: (n.start_byte, -n.end_byte)):
            source = node.child_by_field_name("source")
            if source is not None and source.type == "string":
                self._record(source, source, "static", result)
        for call, kind in sorted(self.calls.values(), key=lambda c: (c[0].start_byte, -c[0].end_byte)):
            self._load(call, kind, result)
        return result

    def text(self, node: Node) -> bytes:
        return self.data[node.start_byte : node.end_byte]

    def _word(self, node: Node, word: bytes) -> None:
        kind = node.type
        if kind in _IGNORED:
            return
        if kind == "string_fragment":
            if self.text(node) == b"require":
                raise _GiveUp  # `globalThis["require"]`, `{["require"]: r} = module`: folded into a name
            return
        if kind in _IDENTIFIERS:
            if self.text(node) != word:
                return  # a longer name (`exports`, `__non_webpack_require__`, `isImported`)
            if word == b"require" and kind == "identifier":
                self._require_identifier(node)
                return
            raise _GiveUp  # `x.require`, `{require}`, `import` / `export` as a property or label
        parent = node.parent
        if parent is None:
            raise _GiveUp
        if kind == "import":  # the keyword, in one of three places
            if parent.type == "import_statement":
                self.statements[parent.id] = parent
                return
            if parent.type == "meta_property":
                return  # import.meta: nothing the analysis records
            if parent.type == "import" and parent.parent is not None and parent.parent.type == "call_expression":
                call = parent.parent
                if call.child_by_field_name("function") == parent:
                    self.calls[call.id] = (call, "dynamic")
                    return
            raise _GiveUp
        if kind == "export" and parent.type == "export_statement":
            self.exports[parent.id] = parent
            return
        if kind == "require" and parent.type == "import_require_clause":
            return  # TS `import x = require("m")`: read with its import statement
        raise _GiveUp

    def _require_identifier(self, node: Node) -> None:
        parent = node.parent
        if parent is None:
            raise _GiveUp
        if parent.type == "call_expression" and parent.child_by_field_name("function") == node:
            if not self.guard.require_plain:
                raise _GiveUp
            self.calls[parent.id] = (parent, "require")
            return
        if parent.type == "formal_parameters":
            return  # function (require, module, exports): the wrapper's require, which the resolver also assumes
        if parent.type == "unary_expression" and self.text(parent).startswith(b"typeof"):
            return  # typeof require: no binding, no call
        raise _GiveUp

    def _record(self, source: Node, at: Node, kind: str, result: ParseResult) -> None:
        spec = string_value(self.data, source)
        if spec is None:
            raise _GiveUp
        if self.guard.interesting(normalize_module(spec)) or spec[:5].lower() == "data:" or ABSOLUTE_SPEC.match(spec):
            raise _GiveUp  # the full analysis records an API use, follows members, reports data: / absolute loads
        result.imports.append(ImportRef(spec, self.path, at.start_point.row + 1, kind))

    def _import_statement(self, node: Node, result: ParseResult) -> None:
        for child in node.named_children:
            if child.type == "import_require_clause":  # TS: import x = require("m")
                src = child.child_by_field_name("source")
                if src is None or string_value(self.data, src) is None:
                    raise _GiveUp
                self._record(src, src, "import-equals", result)
                return
        source = node.child_by_field_name("source")
        if source is None:
            return  # `import x = N.y` (a TS alias): no module
        self._record(source, source, "static", result)

    def _load(self, call: Node, kind: str, result: ParseResult) -> None:
        arguments = call.child_by_field_name("arguments")
        if arguments is None or arguments.type != "arguments":
            raise _GiveUp  # require`x` (a tagged template)
        args = [c for c in arguments.named_children if c.type != "comment"]
        if not args:
            return  # require() / import(): nothing loads, nothing is reported
        first = args[0]
        if kind == "require" and first.type == "number":
            return  # require(12): a bundler's module id
        if first.type not in ("string", "template_string"):
            raise _GiveUp  # folded or reported by the full analysis
        self._record(first, call, kind, result)

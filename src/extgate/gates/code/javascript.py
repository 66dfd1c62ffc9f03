"""JavaScript / TypeScript / TSX rules and facts on tree-sitter trees (names resolved by jsresolve.Resolver).

Rules match canonical names (rules/code.yaml data) rather than source text, which is what makes `retrieval(`,
`// eval(x)`, `"eval(x)"` and `obj.eval(x)` non-findings while `(0, eval)(x)` and `globalThis["ev" + "al"](x)`
are. Files with syntax errors are still scanned: tree-sitter recovers around ERROR nodes; sensitive tokens inside
an ERROR region the rules could not analyse are reported as safety/unparsed-file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from operator import attrgetter
from typing import TypeVar

from tree_sitter import Node, Query, QueryCursor, Range, Tree

from extgate import declarations
from extgate.facts import ApiUse, ImportRef
from extgate.gates.code import behaviour, jsfacts
from extgate.gates.code.bounded import MAX_DEPTH
from extgate.gates.code.interface import CallMatcher, CodeConfig, ParseResult, RawFinding, names_regex
from extgate.gates.code.jsresolve import (
    ABSOLUTE_SPEC,
    BUILTIN_CONSTRUCTORS,
    COMMONJS_MODULE,
    COMPUTED,
    CONSTANT_NODES,
    EVAL_TOKEN,
    FUNCTION_CONSTRUCTORS,
    INTEROP_HELPERS,
    KNOWN_GLOBALS,
    MODULE_LOADERS,
    NORMALIZE,
    RETURN_THIS,
    VALUE_CONTEXTS,
    Binding,
    ParseTimeout,
    Resolver,
    TooDeep,
    check_depth,
    check_error_regions,
    helper_name,
    normalize_module,
    parse,
)
from extgate.lang import language
from extgate.model import Level

T = TypeVar("T")

__all__ = ["ParseResult", "ParseTimeout", "TooDeep", "analyze", "js_api_name"]

# Single-node captures only: `captures()` builds far fewer Python objects than `matches()` (which is superlinear
# on large files: 2 s for 1 MB against 0.6 s); pairs such as name/value are read from the captured node's fields.
_QUERY = """
[(program) (function_declaration) (function_expression) (arrow_function) (generator_function)
 (generator_function_declaration) (method_definition) (class_static_block)] @scope
(variable_declarator value: (_)) @decl
(assignment_expression left: (identifier)) @assign
(catch_clause parameter: (identifier) @param)
(class_declaration name: (_) @local)
(import_statement) @import
(export_statement source: (string) @export.source)
(call_expression) @call
(new_expression) @new
(member_expression object: (identifier)) @member
(subscript_expression object: (identifier)) @member
(ERROR) @error
(if_statement) @if
(ternary_expression) @ternary
(switch_statement) @switch
(binary_expression operator: "&&") @and
(with_statement) @with
"""
# identifiers that matter to a rule when they sit inside a region tree-sitter could not parse
_SENSITIVE = frozenset(
    {"eval", "Function", "constructor", "setTimeout", "setInterval", "setImmediate", "execScript", "require",
     "import", "exec", "execSync", "spawn", "spawnSync", "fork", "execFile", "execFileSync", "runInContext",
     "runInNewContext", "runInThisContext", "compileFunction", "Script", "SourceTextModule", "Deno", "Bun",
     "child_process", "vm", "fetch", "process", "env"}
)  # fmt: skip
_IDENTIFIER_LEAVES = frozenset(
    {"identifier", "property_identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern",
     "type_identifier", "import", "string_fragment"}
)  # fmt: skip
UNPARSED = "safety/unparsed-file"
_ERROR_WALK_LIMIT = 200_000
_MAX_CHAIN = 8  # member-chain segments followed upward from a root (Deno.env.get, process.env.X.y)
_MAX_VALUE_TOKENS = 10_000  # uses of names bound to a sensitive module examined per tree (_named_values)
_NAMES_PER_PASS = 256
_MAX_EVAL_TOKENS = (
    1_000  # `eval` tokens examined for value uses per tree  # nodes visited in unparsable regions per file
)


@dataclass(frozen=True, slots=True)
class _Matchers:
    """The call matchers of a config with their compiled name regexes, and one regex for "any of them"."""

    each: tuple[tuple[CallMatcher, re.Pattern[str]], ...]
    any: re.Pattern[str] | None
    # first segments of the names from which a member chain can reach an API name (js_api_name): the API's
    # modules and global roots, the names member resolution rewrites (global, <module>, NORMALIZE's keys). A chain
    # rooted anywhere else keeps its root (or turns into a constructor name, none of which is an API root)
    api_roots: frozenset[str] | None


_MATCHERS: dict[int, tuple[CodeConfig, _Matchers]] = {}


def _matchers(config: CodeConfig) -> _Matchers:
    """Looked up by config identity (hashing a CodeConfig per call would cost more than the lookup saves)."""
    found = _MATCHERS.get(id(config))
    if found is not None and found[0] is config:
        return found[1]
    matchers = _matchers_for(config)  # an equal config (a worker process unpickles one per task chunk)
    if len(_MATCHERS) > 64:
        _MATCHERS.clear()
    _MATCHERS[id(config)] = (config, matchers)
    return matchers


@lru_cache(maxsize=8)
def _matchers_for(config: CodeConfig) -> _Matchers:
    each = tuple((m, rx) for m in config.call_matchers if (rx := names_regex(m.javascript)) is not None)
    patterns = tuple(p for m in config.call_matchers for p in m.javascript)
    api = config.api
    roots = {*api.node_modules, "process", "Deno", "Bun", "global", COMMONJS_MODULE}
    roots |= {name.split(".", 1)[0] for name in (*api.js_globals, *NORMALIZE)}
    # a constructor name that is also an API root (never in the shipped pack): then no chain may be skipped
    api_roots = None if roots & (BUILTIN_CONSTRUCTORS | FUNCTION_CONSTRUCTORS) else frozenset(roots)
    return _Matchers(each, names_regex(patterns), api_roots)


# process.binding / process._linkedBinding names that start processes (child_process is built on them)
_INTERNAL_BINDING = frozenset({"process.binding", "process._linkedBinding"})
_SCRIPT_LOADERS = frozenset({"document.createElement", "importScripts", "document.write", "document.writeln"})
_SPAWN_BINDINGS = frozenset({"spawn_sync", "process_wrap"})


@lru_cache(maxsize=8)
def _computed_roots(config: CodeConfig) -> dict[str, list[tuple[str, str]]]:
    """Modules and namespaces whose members the call rules name ('child_process' -> code/subprocess, with
    'child_process.exec' as the example; 'Deno' -> subprocess and native-library), for calls of `base[k]` (the
    global object is its own case). One example per rule and base, in the pack's order."""
    roots: dict[str, dict[str, str]] = {}
    for matcher in config.call_matchers:
        for pattern in matcher.javascript:
            if "." in pattern:
                roots.setdefault(pattern.rsplit(".", 1)[0], {}).setdefault(matcher.rule_id, pattern)
    return {base: list(rules.items()) for base, rules in roots.items()}


@lru_cache(maxsize=8)
def _value_roots(config: CodeConfig) -> frozenset[str]:
    """The modules whose object, handed on as a value, may carry a rule's API out of the resolver's sight
    (child_process, vm, ...). Global namespaces (process, Deno, Bun) are left out: passing `process` around is
    everyday code, and their members are resolved wherever they are reached from the global object."""
    return frozenset(base for base in _computed_roots(config) if base not in KNOWN_GLOBALS and "." not in base)


_START = attrgetter("start_byte")
_END = attrgetter("end_byte")


@cache
def _query(grammar: str) -> Query:
    return Query(language(grammar), _QUERY)


@dataclass(frozen=True, slots=True)
class _LoadKind:
    """How `code/dynamic-import` words and levels a computed require()/import() (the two differ in risk)."""

    kind: str
    relative_message: str
    relative_level: Level
    computed_message: str
    computed_level: Level | None  # None: the rule's default (error)


_REQUIRE = _LoadKind(
    "require",
    "require() with a computed name under `{prefix}`: only files in that folder can load, but reviewers cannot "
    "tell which. Prefer a static map of allowed modules.",
    Level.NOTE,
    "require() with a computed module name: reviewers and the dependency audit cannot see what loads. "
    'Require fixed names (`require("./plugins/a")`), or map allowed names to static requires.',
    Level.WARNING,
)
_IMPORT = _LoadKind(
    "dynamic",
    "import() with a computed specifier under `{prefix}`: limited to files in that folder, but reviewers cannot "
    "tell which run. Prefer a static map of allowed modules.",
    Level.WARNING,
    "import() with a computed specifier: the module that runs (possibly a remote URL or an npm: package) is "
    "decided at run time, invisible to review and the dependency audit. Import a fixed specifier, or map allowed "
    "names to static imports.",
    None,
)


@dataclass(slots=True)
class _Collected:
    declarations: list[tuple[Node, Node]] = field(default_factory=list)
    assignments: list[tuple[Node, Node]] = field(default_factory=list)
    single_params: list[Node] = field(default_factory=list)
    locals: list[Node] = field(default_factory=list)
    imports: list[Node] = field(default_factory=list)
    exports: list[Node] = field(default_factory=list)
    calls: list[Node] = field(default_factory=list)
    news: list[Node] = field(default_factory=list)
    members: list[tuple[Node, Node]] = field(default_factory=list)
    errors: list[Node] = field(default_factory=list)
    withs: list[Node] = field(default_factory=list)  # `with (obj) body`: free names in body may be obj's members
    # conditions for behaviour's environment-targeting rule, by kind (if/ternary/switch/and), in capture order
    conditions: dict[str, list[Node]] = field(default_factory=dict)


def _collect(tree: Tree, grammar: str) -> tuple[list[Node], _Collected]:
    """Captured nodes by kind, in document order (`captures()` does not return them in order). One query per
    tree: the behaviour rules' conditions come from it too."""
    caps = QueryCursor(_query(grammar)).captures(tree.root_node)

    def nodes(name: str) -> list[Node]:
        # by (start, -end), as two stable C-keyed sorts (a Python key function per node cost more than the sort)
        return sorted(sorted(caps.get(name, ()), key=_END, reverse=True), key=_START)

    def fields(name: str, first: str, second: str) -> list[tuple[Node, Node]]:
        pairs = []
        for node in nodes(name):
            a, b = node.child_by_field_name(first), node.child_by_field_name(second)
            if a is not None and b is not None:
                pairs.append((a, b))
        return pairs

    found = _Collected()
    found.declarations = fields("decl", "name", "value")
    found.assignments = fields("assign", "left", "right")
    found.members = [(obj, node) for obj, node in ((n.child_by_field_name("object"), n) for n in nodes("member"))
                     if obj is not None]  # fmt: skip
    found.single_params = nodes("param")
    found.locals = nodes("local")
    found.imports = nodes("import")
    found.exports = nodes("export.source")
    found.calls = nodes("call")
    found.news = nodes("new")
    found.errors = nodes("error")
    found.withs = nodes("with")
    found.conditions = {kind: caps.get(kind, []) for kind in behaviour.CONDITION_KINDS}
    return nodes("scope"), found


class Analyzer(Resolver):
    """One parsed tree (a file, or one inline <script> of an HTML file) and everything learned from it."""

    def __init__(self, path: str, data: bytes, tree: Tree, grammar: str, config: CodeConfig) -> None:
        self.scope_nodes, self.collected = _collect(tree, grammar)
        super().__init__(data, tree, self.scope_nodes)
        self.withs = self.collected.withs
        self.path = path
        self.grammar = grammar
        self.config = config
        self.result = ParseResult(syntax_errors=tree.root_node.has_error)
        # .d.ts files declare types and never run: an unparsable region there cannot hide executable code
        self.report_error_regions = not path.lower().endswith(".d.ts")
        self._api_seen: set[tuple[str, int]] = set()
        self._sensitive_module = False  # a module of _value_roots is reached somewhere: look for it as a value
        self._value_roots = _value_roots(config)  # once per file: hashing the config per API use would cost more
        self.callees: dict[int, str | None] = {}  # call node id -> its settled callee (before .call/.apply)
        self._network = names_regex(config.js_network)
        self._serializers = names_regex(config.js_serializers)

    def finding(self, rule_id: str, node: Node, message: str, level: Level | None = None, **props: object) -> None:
        if self._over_limit(rule_id, level):
            return  # counted only: building positions for 100,000 hits of one rule would be the slow part
        start, end = node.start_point, node.end_point
        snippet = self.short(node)
        self.result.findings.append(
            RawFinding(
                rule_id=rule_id,
                message=message,
                line=start.row + 1,
                column=self._column(start, node.start_byte),
                end_line=end.row + 1,
                end_column=self._column(end, node.end_byte),
                snippet=snippet,
                evidence=snippet,
                level=level,
                properties=tuple(sorted(props.items())),
            )
        )

    def _over_limit(self, rule_id: str, level: Level | None) -> bool:
        key = (rule_id, level)
        count = self.result.totals.get(key, 0) + 1
        self.result.totals[key] = count
        return count > self.config.max_findings_per_rule

    # -- driver ------------------------------------------------------------------------------------------------
    def run(self, deadline: float = float("inf")) -> ParseResult:
        """Analyse the tree; raises ParseTimeout when the work passes `deadline` (checked between nodes, so the
        time budget covers the analysis as well as the parse). No `node.parent` walks here: tree-sitter computes a
        parent by descending from the root, which is quadratic on deep (hostile) nesting."""
        found = self.collected
        for function in self._timed(self.scope_nodes, deadline):
            scope = self.scope_index(function)
            params = function.child_by_field_name("parameters")
            for param in params.named_children if params is not None else ():
                self._bind_param(scope, param)
            single = function.child_by_field_name("parameter")  # x => ...
            if single is not None:
                self._bind_param(scope, single)
            name = function.child_by_field_name("name")  # function f() {} binds f in the enclosing scope
            if name is not None and function.type in ("function_declaration", "generator_function_declaration"):
                self._bind(self.scope_of(function), self.text(name), Binding())
        for param in self._timed(found.single_params, deadline):  # catch (e)
            self._bind_param(self.scope_of(param), param)
        for name in self._timed(found.locals, deadline):  # class C {}
            self._bind(self.scope_of(name), self.text(name), Binding())
        for node in self._timed(found.imports, deadline):
            self._import(node)
        for source in self._timed(found.exports, deadline):
            self._record_import(source, "static")
        for name, value in self._timed(found.declarations, deadline):
            self._bind_pattern(self.scope_of(name), name, value)
        for name, value in self._timed(found.assignments, deadline):
            self._bind_assignment(name, value)
        if b"then" in self.data:
            for call in self._timed(found.calls, deadline):
                self._bind_then(call)
        self.freeze_bindings(deadline)
        for call in self._timed(found.calls, deadline):
            self._call(call, is_new=False)
        for new in self._timed(found.news, deadline):
            self._call(new, is_new=True)
        for root_ident, member in self._timed(found.members, deadline):
            self._member_use(root_ident, member)
        if b"eval" in self.data:
            self._eval_values()
        if self._sensitive_module:
            self._named_values()
        if found.errors and self.report_error_regions:
            self._error_regions(found.errors)
        return self.result

    def _bind_then(self, call: Node) -> None:
        """`import("m").then((mod) => ...)` / `.then(({exec}) => ...)`: the callback's first parameter is the
        module the import resolves to (as in `const mod = await import("m")`)."""
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return
        prop, source = fn.child_by_field_name("property"), fn.child_by_field_name("object")
        if prop is None or source is None or self.data[prop.start_byte : prop.end_byte] != b"then":
            return
        source = self.unwrap(source)
        loader = source.child_by_field_name("function") if source.type == "call_expression" else None
        args = self.arguments(call)
        callback = self.unwrap(args[0]) if args and loader is not None and loader.type == "import" else None
        if callback is None or callback.type not in ("arrow_function", "function_expression", "function"):
            return
        params = callback.child_by_field_name("parameters")
        first = callback.child_by_field_name("parameter") or (params.named_children[0] if params and
                                                               params.named_children else None)  # fmt: skip
        if first is not None and first.type in ("required_parameter", "optional_parameter"):
            first = first.child_by_field_name("pattern")
        if first is not None and first.type in ("identifier", "object_pattern"):
            self._bind_pattern(self.scope_index(callback), first, source)

    @staticmethod
    def _timed(items: Iterable[T], deadline: float) -> Iterator[T]:
        for i, item in enumerate(items):
            if i % 512 == 511 and time.monotonic() > deadline:
                raise ParseTimeout("analysis")
            yield item

    # -- imports -----------------------------------------------------------------------------------------------
    def _record_import(self, source: Node, kind: str) -> str | None:
        spec = self.string_value(source)
        if spec is None:
            return None
        self._data_url(source, spec)
        self.result.imports.append(ImportRef(spec, self.path, self.line(source), kind))
        self._record_api(normalize_module(spec), source, module=True)
        return spec

    def _import(self, node: Node) -> None:
        source = node.child_by_field_name("source")
        root = 0  # imports bind at the top level
        for child in node.named_children:
            if child.type == "import_require_clause":  # TS: import x = require("m")
                src = child.child_by_field_name("source")
                spec = self._record_import(src, "import-equals") if src is not None else None
                names = [c for c in child.named_children if c.type == "identifier"]
                if spec is not None and names:
                    self._bind(root, self.text(names[0]), Binding(sym=normalize_module(spec)))
                return
        if source is None:
            return
        spec = self._record_import(source, "static")
        if spec is None:
            return
        module = normalize_module(spec)
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":  # default import: the module object for CommonJS/builtins
                    self._bind(root, self.text(part), Binding(sym=module))
                elif part.type == "namespace_import":
                    for ident in part.named_children:
                        self._bind(root, self.text(ident), Binding(sym=module))
                elif part.type == "named_imports":
                    for spec_node in part.named_children:
                        if spec_node.type != "import_specifier":
                            continue
                        name = spec_node.child_by_field_name("name")
                        alias = spec_node.child_by_field_name("alias") or name
                        if name is None or alias is None:
                            continue
                        imported = self._property_name(name)
                        local = self.text(alias)
                        sym = module if imported == "default" else f"{module}.{imported}"
                        self._bind(root, local, Binding(sym=NORMALIZE.get(sym, sym)))

    # -- calls -------------------------------------------------------------------------------------------------
    def _call(self, node: Node, *, is_new: bool) -> None:
        fn = node.child_by_field_name("constructor" if is_new else "function")
        if fn is None:
            return
        if fn.type == "import":
            self._dynamic_import(node, self.arguments(node))
            return
        callee = self.resolve_name(fn) if fn.type == "identifier" else self.resolve(fn)
        if not is_new and not self.incomplete:
            self.callees[node.id] = callee  # settled: the behaviour rules ask again for the same call
        if callee is None:
            if self.incomplete:
                self._unresolved(node, fn)
            elif not is_new:
                self._network_method(node, fn, None)
            return
        callee, args, is_new = self._unwrap_indirect(callee, self.arguments(node), is_new)
        if callee is None:
            if self.incomplete:
                self._unresolved(node, fn)
            return
        if callee.endswith(COMPUTED):
            if not self._computed_call(node, fn, callee, is_new) and not is_new:
                self._network_method(node, fn, None)
            return
        self._record_api(callee, node)
        if callee == "eval":
            self._eval(node, fn, args)
        elif callee in FUNCTION_CONSTRUCTORS:
            self._function_constructor(node, callee, args, is_new)
        elif callee == "require" or callee in MODULE_LOADERS:
            self._require(node, args)
        elif callee == "worker_threads.Worker" and is_new and len(args) > 1 and self._evals_source(args[1]):
            self._eval(node, fn, args[:1])  # new Worker(source, {eval: true}) runs `source` as code
        elif callee in _INTERNAL_BINDING:
            self._process_binding(node, callee, args)
        elif callee in _SCRIPT_LOADERS:
            self._script_loader(node, callee, args)
        elif callee == "Deno.env.toObject":
            self.finding(
                "code/env-exfiltration",
                node,
                "`Deno.env.toObject()` copies the entire environment (tokens, cloud keys, registry credentials) "
                'into one object. Read only the variables you need with `Deno.env.get("NAME")`.',
            )
        matchers = _matchers(self.config)
        for matcher, regex in matchers.each if matchers.any is not None and matchers.any.fullmatch(callee) else ():
            if not regex.fullmatch(callee):
                continue
            if matcher.argument == "string" and not (args and self.is_string_like(args[0])):
                continue
            self.finding(matcher.rule_id, node, matcher.message.replace("{api}", callee), api=callee)
        if not self._env_sink(node, callee, args) and not is_new:
            self._network_method(node, fn, args)

    def _script_loader(self, node: Node, callee: str, args: list[Node]) -> None:
        """code/remote-script: `document.createElement("script")`, `importScripts(url)`, `document.write("<script
        ...")`: scripts run that are not in the archive (a page's <script src> tags are html.py's)."""
        text = (self.fold(args[0]) or "") if args else ""
        if callee == "document.createElement":
            if text.strip().lower() != "script":
                return
            what = "builds a script element at run time; the code it loads or holds is not in the archive"
        elif callee == "importScripts":
            what = "loads scripts into the worker at run time, from wherever the URL points"
        elif "<script" in (text or self._literal_parts(args[0] if args else None)).lower():
            what = "writes a <script> tag into the page at run time"
        else:
            return
        self.finding(
            "code/remote-script",
            node,
            f"`{self.short(node, 60)}` {what}: code no review or scan of the package has seen. Ship the script in "
            "the package and load it by a relative path.",
            api=callee,
        )

    def _literal_parts(self, node: Node | None) -> str:
        """The literal strings of a `+` concatenation (`"<script>" + payload + "</script>"`), joined."""
        parts: list[str] = []
        stack = [node] if node is not None else []
        while stack and len(parts) < 64:
            current = self.unwrap(stack.pop())
            if current.type in ("string", "template_string"):
                parts.append(self.text(current))
            elif current.type == "binary_expression":
                stack += [c for c in (current.child_by_field_name("right"), current.child_by_field_name("left")) if c]
        return "".join(parts)

    def _unresolved(self, node: Node, fn: Node) -> None:
        """The resolver gave up on a callee (an alias chain or nesting beyond its bounds): say so rather than
        treat the call as harmless."""
        self.finding(
            UNPARSED,
            node,
            f"extgate could not resolve what `{self.short(fn, 60)}` calls: it goes through more aliases or nested "
            "expressions than the resolver follows, which is how a scanner is made to miss eval or child_process. "
            "Review the call by hand, or call the function by its own name.",
            reason="unresolved-chain",
        )

    def _computed_call(self, node: Node, fn: Node, callee: str, is_new: bool) -> bool:
        """`globalThis[k](x)`, `const f = window[k]; f(x)`, `new self[k](s)`, `module[k](m)`, `cp[k](cmd)`: a
        member called by a name that does not fold to a constant, on a base whose members a rule names. It may be
        eval, Function, module.require or child_process.exec, so it is reported as such (a warning) rather than
        passed as harmless. Constant keys resolve through the resolver (`window["ev" + "al"]` is eval,
        `window["setTimeoutX"]` is nothing); calls on ordinary objects (`handlers[k](x)`) are not findings.
        Returns whether the base is one of those."""
        base = callee[: -len(COMPUTED)]
        spelled = f"{'new ' if is_new else ''}{self.short(fn, 60)}(…)"
        if base == "global":
            rule, may_be = ("code/function-constructor", "Function") if is_new else ("code/dynamic-eval", "eval")
            message = (
                f"`{spelled}` {'constructs' if is_new else 'calls'} a global function by a computed name the "
                f"analysis cannot resolve: it may be {may_be}. Call the intended function by its own name."
            )
        elif base == COMMONJS_MODULE:
            rule = "code/dynamic-import"
            message = (
                f"`{spelled}` calls a member of the CommonJS `module` object by a computed name: it may be "
                "module.require, loading a module that reviewers and the dependency audit cannot see. Use require "
                "with a constant name."
            )
        else:
            rules = _computed_roots(self.config).get(base)
            if not rules:
                return False
            if self.incomplete:
                self._unresolved(node, fn)
                return True
            for rule, example in rules:  # `Deno[k](x)` may be Deno.Command or Deno.dlopen: one finding per rule
                message = (
                    f"`{spelled}` calls a member of {base} by a computed name the analysis cannot resolve: it may "
                    f"be `{example}`. Call the intended function by its own name."
                )
                self.finding(rule, node, message, level=Level.WARNING, via="computed-member", base=base)
            return True
        if self.incomplete:
            self._unresolved(node, fn)
        else:
            via = "computed-global" if base == "global" else "computed-member"
            self.finding(rule, node, message, level=Level.WARNING, via=via, base=base)
        return True

    def _evals_source(self, options: Node) -> bool:
        """A Worker options object with `eval: true` (or any value that is not the literal false)."""
        options = self.unwrap(options)
        if options.type != "object":
            return False
        for pair in options.named_children:
            key = pair.child_by_field_name("key") if pair.type == "pair" else None
            if key is not None and self._property_name(key) == "eval":
                value = pair.child_by_field_name("value")
                return value is None or self.unwrap(value).type != "false"
            if pair.type == "shorthand_property_identifier" and self.text(pair) == "eval":
                return True
        return False

    def _process_binding(self, node: Node, callee: str, args: list[Node]) -> None:
        """`process.binding("spawn_sync")`: Node's internal binding under child_process, reached without naming it
        (a computed binding name may be the same)."""
        if not args:
            return
        name = self.fold(args[0])
        if name is not None and name not in _SPAWN_BINDINGS:
            return  # fs, constants, natives ...: recorded as the process.binding API use, not a process start
        which = f'"{name}"' if name is not None else "a computed name"
        self.finding(
            "code/subprocess",
            node,
            f"`{callee}({which})` reaches Node's internal process-spawning binding (what child_process is built "
            "on), so programs can start without child_process appearing anywhere. Use child_process with a fixed "
            "executable and acknowledge this warning, or remove the call.",
            level=Level.WARNING,
            api=callee,
        )

    def _unwrap_indirect(self, callee: str, args: list[Node], is_new: bool) -> tuple[str | None, list[Node], bool]:
        """f.call(this, a) / f.apply(this, [a]) / Reflect.apply(f, this, [a]) / Reflect.construct(F, [a])."""
        if callee == "Reflect.apply" and args:
            target = self.resolve(args[0])
            return target, self._array_items(args[2] if len(args) > 2 else None), is_new
        if callee == "Reflect.construct" and args:
            target = self.resolve(args[0])
            return target, self._array_items(args[1] if len(args) > 1 else None), True
        if callee.endswith(".call"):
            return callee[: -len(".call")], args[1:], is_new
        if callee.endswith(".apply"):
            return callee[: -len(".apply")], self._array_items(args[1] if len(args) > 1 else None), is_new
        return callee, args, is_new

    def _array_items(self, node: Node | None) -> list[Node]:
        if node is None:
            return []
        if node.type == "array":
            return [c for c in node.named_children if c.type != "comment"]
        return [node]  # unknown argument list: treat as one non-literal argument

    def _eval(self, node: Node, fn: Node, args: list[Node]) -> None:
        if not args:
            return
        arg = args[0]
        direct = fn.type == "identifier" and self.text(fn) == "eval"
        how = "" if direct else f" (indirect eval through `{self.short(fn, 60)}`)"
        if arg.type in CONSTANT_NODES:
            return  # eval(0) evaluates nothing
        constant = self.fold(arg)
        if constant is not None and constant.strip() == "this":
            self.finding(
                "code/dynamic-eval",
                node,
                f'eval("this"){how} is the global-object idiom; prefer `globalThis`.',
                level=Level.NOTE,
                idiom="this",
            )
            return
        if constant is not None:
            self.finding(
                "code/dynamic-eval",
                node,
                f"eval of a constant string{how}: the code runs hidden from linters, bundlers and CSP. Write the "
                "code directly instead of passing it to eval.",
                level=Level.WARNING,
                literal=True,
            )
            return
        self.finding(
            "code/dynamic-eval",
            node,
            f"eval of a run-time value{how}: whoever controls that string runs arbitrary code inside the "
            "extension. Parse data with JSON.parse, or call the intended function directly.",
        )

    def _function_constructor(self, node: Node, callee: str, args: list[Node], is_new: bool) -> None:
        spelled = f"{'new ' if is_new else ''}{callee}(…)"
        bodies = [self.fold(a) for a in args]
        if all(body is not None for body in bodies):
            if bodies and RETURN_THIS.fullmatch(bodies[-1] or "") and len(bodies) == 1:
                self.finding(
                    "code/function-constructor",
                    node,
                    f'`{spelled}` with "return this" is the legacy global-object idiom (webpack, lodash). Prefer '
                    "`globalThis`.",
                    level=Level.NOTE,
                    idiom="return-this",
                )
                return
            self.finding(
                "code/function-constructor",
                node,
                f"`{spelled}` compiles constant code from a string, hidden from review tools and blocked by CSP. "
                "Write it as an ordinary function.",
                level=Level.WARNING,
                literal=True,
            )
            return
        self.finding(
            "code/function-constructor",
            node,
            f"`{spelled}` compiles a string built at run time into a function: eval by another name. Write the "
            "function directly; for data use JSON.parse.",
        )

    def _require(self, node: Node, args: list[Node]) -> None:
        if args and args[0].type == "number":
            return  # require(12): a bundler's module id, not a name
        self._module_load(node, args, _REQUIRE)

    def _dynamic_import(self, node: Node, args: list[Node]) -> None:
        self._module_load(node, args, _IMPORT)

    def _module_load(self, node: Node, args: list[Node], how: _LoadKind) -> None:
        """require(x) / import(x): a constant name is an import fact; a computed one is `code/dynamic-import`,
        one level lower when it is confined to a relative folder."""
        if not args:
            return
        spec = self.fold(args[0])
        if spec is not None:
            self._data_url(node, spec)
            self._absolute_load(node, spec)
            self.result.imports.append(ImportRef(spec, self.path, self.line(node), how.kind))
            module = normalize_module(spec)
            self._record_api(module, node, module=True)
            if module in self._value_roots:
                self._loaded_value(node, module)
            return
        prefix = self._relative_prefix(args[0])
        if prefix:
            message = how.relative_message.format(prefix=prefix)
            self.finding("code/dynamic-import", node, message, level=how.relative_level, prefix=prefix)
            return
        self.finding("code/dynamic-import", node, how.computed_message, level=how.computed_level)

    def _absolute_load(self, node: Node, spec: str) -> None:
        """`require("/tmp/x.js")`, `import("file:///...")`, `require("C:\\x.js")`: code from a fixed place on the
        installing machine, outside the package -- typically a file the package wrote there itself, a dropper's
        second stage that no scan of the archive sees."""
        if not ABSOLUTE_SPEC.match(spec):
            return
        self.finding(
            "code/dynamic-import",
            node,
            f"`{self.short(node, 60)}` loads code from an absolute path outside the package; what runs is whatever "
            "is at that path on the installing machine (often a file written there at run time), never the "
            "reviewed archive. Import the package's own files by relative path.",
            level=Level.WARNING,
            via="absolute-path",
        )

    def _loaded_value(self, call: Node, module: str) -> None:
        """`run(require("child_process"))`, `module.exports = require("child_process")`,
        `promisify(require("child_process").exec)`: the loaded module (or its member) handed on as a value."""
        top = call
        for _ in range(_MAX_CHAIN):
            parent = top.parent
            if parent is None or parent.type != "member_expression" or parent.child_by_field_name("object") != top:
                break
            top = parent
        sym = module if top == call else self.resolve(top)
        if self._value_rules(sym) and self._handed_on(top):
            self._value_escape(top, sym)

    def _data_url(self, node: Node, spec: str) -> None:
        """`import "data:text/javascript;base64,..."`: Node runs the code inside the string (eval by another name)."""
        if spec[:5].lower() != "data:":
            return
        self.finding(
            "code/dynamic-eval",
            node,
            f"`{self.short(node, 60)}` imports code from a data: URL: the module's source is inside a string "
            "(often base64), hidden from review and linters. Ship the code as a file and import that.",
            level=Level.WARNING,
            literal=True,
            via="data-url",
        )

    def _relative_prefix(self, node: Node, depth: int = 0) -> str | None:
        """The constant leading part of `'./locale/' + name` or `./locale/${name}` when it is a relative path."""
        head: str | None = None
        if node.type == "binary_expression" and depth < MAX_DEPTH:
            left = node.child_by_field_name("left")
            head = self.fold(left) if left is not None else None
            if head is None and left is not None:
                return self._relative_prefix(left, depth + 1)
        elif node.type == "template_string":
            first = node.named_children[0] if node.named_children else None
            if first is not None and first.type == "string_fragment":
                head = self.text(first)
        if head and (head.startswith("./") or head.startswith("../")) and "/" in head.lstrip("./"):
            return head
        return None

    # -- environment -------------------------------------------------------------------------------------------
    def _env_sink(self, node: Node, callee: str, args: list[Node]) -> bool:
        """A serializer or network call receiving the whole environment; True when it reported one."""
        serializer = self._serializers is not None and self._serializers.fullmatch(callee)
        network = self._network is not None and self._network.fullmatch(callee)
        if not (serializer or network):
            return False
        for arg in args:
            env = self._find_env(arg)
            if env is None:
                continue
            verb = "serializes" if serializer else "sends over the network"
            self.finding(
                "code/env-exfiltration",
                node,
                f"`{callee}` {verb} the entire environment (`{self.short(env, 40)}`): every token, cloud key and "
                "registry credential of whoever runs the extension. Read only the variables you need by name "
                "(`process.env.MY_SETTING`).",
                sink=callee,
            )
            return True
        return False

    def _network_method(self, node: Node, fn: Node, args: list[Node] | None) -> None:
        """`client.post(url, process.env)` on an unknown object: a request method receiving the whole env."""
        if fn.type != "member_expression":
            return
        prop = fn.child_by_field_name("property")
        if prop is None or self.text(prop) not in self.config.network_methods:
            return
        for arg in args if args is not None else self.arguments(node):
            env = self._find_env(arg)
            if env is not None:
                self.finding(
                    "code/env-exfiltration",
                    node,
                    f"`.{self.text(prop)}()` receives the entire environment (`{self.short(env, 40)}`), which looks "
                    "like sending every secret of the user over the network. Send only the values you need.",
                    sink=self.text(prop),
                )
                return

    def _find_env(self, node: Node, depth: int = 0) -> Node | None:
        """A whole-environment value inside an argument (through objects, arrays, spreads and copies)."""
        if depth > 6:
            return None
        if self.resolve(node) == "process.env":
            return node
        if node.type in ("object", "array", "spread_element", "pair", "parenthesized_expression", "arguments"):
            for child in node.named_children:
                if node.type == "pair" and child == node.child_by_field_name("key"):
                    continue
                found = self._find_env(child, depth + 1)
                if found is not None:
                    return found
        return None  # a serializer call inside the argument reports itself

    # -- values and api uses -----------------------------------------------------------------------------------
    def _eval_values(self) -> None:
        """`eval` passed around as a value ([eval][0](x), f(eval), {eval}): indirect eval the resolver cannot
        follow. Comparisons, `typeof eval`, calls and aliases are handled elsewhere."""
        root = self.tree.root_node
        for count, match in enumerate(EVAL_TOKEN.finditer(self.data, root.start_byte, root.end_byte)):
            if count >= _MAX_EVAL_TOKENS:
                break
            node = root.descendant_for_byte_range(match.start(), match.end())
            if node is None or node.type not in ("identifier", "shorthand_property_identifier"):
                continue
            if node.type == "identifier" and self.resolve_name(node) != "eval":
                continue
            if not self._handed_on(node):
                continue
            self.finding(
                "code/dynamic-eval",
                node,
                "`eval` is passed around as a value, so the code it receives can be evaluated indirectly where no "
                "reviewer looks. Call the intended function directly instead of handing out eval.",
                via="value",
            )

    def _handed_on(self, node: Node) -> bool:
        """Whether the value of `node` is handed to code the resolver does not follow: an argument, an array or
        object element, a spread, a return / yield / arrow result, or a property assignment (`exports.x = v`).
        Plain aliases (`const x = v`, `x = v`) are followed by the resolver, so they are not; nor are the
        arguments of Reflect.apply / construct and of interop helpers, which are resolved as what they do."""
        parent = node.parent
        if parent is None:
            return False
        ptype = parent.type
        if ptype == "assignment_expression":
            left = parent.child_by_field_name("left")
            return left is not None and left.type != "identifier" and left != node
        if ptype in ("pair", "field_definition", "public_field_definition"):  # {k: v}, class { k = v }
            return parent.child_by_field_name("value") == node
        if ptype == "arrow_function":
            return parent.child_by_field_name("body") == node
        if ptype == "object":
            return node.type == "shorthand_property_identifier"  # {cp}
        if ptype == "arguments" and parent.parent is not None:
            fn = parent.parent.child_by_field_name("function")
            if fn is not None and helper_name(self, self.unwrap(fn)) in INTEROP_HELPERS:
                return False
            return self.resolve(fn) not in ("Reflect.apply", "Reflect.construct")
        return ptype in VALUE_CONTEXTS

    def _value_rules(self, sym: str | None) -> list[tuple[str, str]]:
        """(rule, example API) for a module object or a rule's API function met as a value: `child_process` ->
        code/subprocess with child_process.exec; `vm.runInThisContext` -> code/vm-execution. Timers and the
        Function constructor are left out (`{type: Function}` is a Vue prop, a timer function is harmless)."""
        if sym is None:
            return []
        if sym in self._value_roots:
            return _computed_roots(self.config)[sym]
        if sym.partition(".")[0] not in self._value_roots:
            return []
        return [(m.rule_id, sym) for m, regex in _matchers(self.config).each
                if m.argument != "string" and regex.fullmatch(sym)]  # fmt: skip

    def _value_escape(self, node: Node, sym: str | None) -> None:
        """A module or API a rule names, handed on as a value (`promisify(cp.exec)`, `run(require("child_process"))`,
        `{run: cp.exec}`, `module.exports = cp`): what the receiving code calls on it is out of the resolver's
        sight, so it is reported as the rule's warning rather than passed (eval's case is _eval_values)."""
        for rule, example in self._value_rules(sym):
            thing = f"the {sym} module" if sym in self._value_roots else f"`{sym}`"
            self.finding(
                rule,
                node,
                f"`{self.short(node, 60)}` hands {thing} on as a value, to code the analysis does not follow: it may "
                f"be called there as `{example}`. Call the API where it is used, by its own name.",
                level=Level.WARNING,
                via="value",
                api=sym,
            )

    def _named_values(self) -> None:
        """Local names bound to a module or API a rule names (`const cp = require("child_process")`, `const {exec}
        = ...`), wherever one of them is handed on as a value (`run(cp)`, `[exec][0]`, `{cp}`)."""
        bound = self._timed(list(self.bindings), self.bounded.deadline)
        names = sorted({name for scope, name in bound if self._value_rules(self._resolve_bound(scope, name, 0))})
        root = self.tree.root_node
        seen = 0
        for start in range(0, len(names), _NAMES_PER_PASS):  # a few names in real code; bounded passes if not
            alternatives = b"|".join(
                re.escape(n.encode("utf-8", "surrogatepass")) for n in names[start : start + _NAMES_PER_PASS]
            )
            token = re.compile(rb"(?<![\w$])(?:" + alternatives + rb")(?![\w$])")
            for match in self._timed(token.finditer(self.data, root.start_byte, root.end_byte), self.bounded.deadline):
                seen += 1
                if seen > _MAX_VALUE_TOKENS:
                    return
                node = root.descendant_for_byte_range(match.start(), match.end())
                if node is None or node.type not in ("identifier", "shorthand_property_identifier"):
                    continue
                sym = self.resolve_name(node)
                if self._value_rules(sym) and self._handed_on(node):
                    self._value_escape(node, sym)

    def _member_use(self, root_ident: Node, member: Node) -> None:
        """Record the API a member chain rooted at a known name reaches (`process.env.HOME` -> process.env)."""
        root = self.resolve_name(root_ident)
        if root is None:
            return  # most roots in a bundle are local variables: nothing to record
        api_roots = _matchers(self.config).api_roots
        if api_roots is not None and root.split(".", 1)[0] not in api_roots:
            return  # `f.call`, `Array.prototype.x`, `lodash.map`: no member of it is an API name
        top = member
        for _ in range(_MAX_CHAIN):  # API names are a few segments long; never walk a hostile chain to its end
            parent = top.parent
            if parent is None or parent.type not in ("member_expression", "subscript_expression"):
                break
            if parent.child_by_field_name("object") != top:
                break
            top = parent
        node: Node | None = top  # the longest prefix that resolves (`x.y` of an unknown x.y does not)
        while node is not None and node.type in ("member_expression", "subscript_expression"):
            sym = self.resolve(node)
            if sym is not None:
                self._record_api(sym, node)
                if node == top and self._value_rules(sym) and self._handed_on(top):
                    self._value_escape(top, sym)  # promisify(cp.exec), {run: cp.exec}
                return
            node = node.child_by_field_name("object")

    def _error_regions(self, errors: list[Node]) -> None:
        """Report sensitive tokens inside regions tree-sitter could not parse (the rules above cannot see
        through an ERROR node reliably), instead of silently trusting error recovery."""
        tokens: set[str] = set()
        first: Node | None = None
        visited = 0
        outer = [e for e in errors if not any(o.start_byte <= e.start_byte and e.end_byte <= o.end_byte and o != e
                                              for o in errors)]  # fmt: skip
        for region in outer[:64]:
            stack = [region]
            while stack and visited < _ERROR_WALK_LIMIT:
                node = stack.pop()
                visited += 1
                if node.child_count:
                    stack.extend(node.children)
                elif node.type in _IDENTIFIER_LEAVES and self.text(node) in _SENSITIVE:
                    tokens.add(self.text(node))
                    first = first or region
        if first is None:
            return
        start = first.start_point
        self.result.findings.append(
            RawFinding(
                rule_id="safety/unparsed-file",
                message=(
                    f"{self.path} has a syntax error at line {start.row + 1} and the unparsable region contains "
                    f"{', '.join(sorted(tokens))}: the code rules could not check that part. Fix the syntax (or, if "
                    "the code uses syntax newer than extgate's grammar, review that region by hand)."
                ),
                line=start.row + 1,
                column=self._column(start, first.start_byte),
                evidence="unparsed:syntax:" + ",".join(sorted(tokens)),
                properties=(("reason", "syntax"), ("tokens", tuple(sorted(tokens)))),
            )
        )

    def _record_api(self, sym: str, node: Node, *, module: bool = False) -> None:
        if not self._sensitive_module and sym.partition(".")[0] in self._value_roots:
            self._sensitive_module = True
        api = js_api_name(sym, self.config, module=module)
        if api is None:
            return
        key = (api, self.line(node))
        if key in self._api_seen:
            return
        self._api_seen.add(key)
        self.result.api_uses.append(ApiUse(api, self.path, key[1]))


def js_api_name(sym: str, config: CodeConfig, *, module: bool = False) -> str | None:
    """The canonical API name (rules/code.yaml `data.api_names`) for a resolved name, or None."""
    names = config.api
    if module:
        return sym if sym in names.node_modules else None
    parts = sym.split(".")
    root = parts[0]
    if root in names.node_modules:
        return root if len(parts) == 1 else f"{root}.{parts[1]}"
    if root == "process":
        return f"process.{parts[1]}" if len(parts) > 1 and parts[1] in names.process_members else None
    if root == "Deno" and len(parts) > 1:
        if parts[1] in names.deno_namespaces and len(parts) > 2:
            return f"Deno.{parts[1]}.{parts[2]}"
        return f"Deno.{parts[1]}"
    if root == "Bun" and len(parts) > 1:
        return f"Bun.{parts[1]}"
    two = ".".join(parts[:2])
    if two in names.js_globals:
        return two
    return root if root in names.js_globals else None


def analyze(
    path: str,
    data: bytes,
    grammar: str,
    config: CodeConfig,
    deadline: float,
    ranges: Sequence[Range] | None = None,
    *,
    imports_only: bool = False,
) -> ParseResult:
    """Parse and analyse; raises ParseTimeout when the work exceeds the deadline, TooDeep for trees too deep to
    query (the query itself cannot be cancelled: see jsresolve.MAX_TREE_DEPTH). `imports_only`: the prefilter
    found no rule token, so the facts may be read without the rule walk (jsfacts.py; it falls back to the full
    analysis wherever it could not give the same result)."""
    tree = parse(grammar, data, deadline, ranges)
    check_depth(tree)
    check_error_regions(tree)
    if imports_only and ranges is None:
        facts = jsfacts.facts_only(path, data, tree, grammar, config, deadline)
        if facts is not None:
            facts.symbols = declarations.js_or_none(tree.root_node, data)
            return facts
    analyzer = Analyzer(path, data, tree, grammar, config)  # runs the query
    if time.monotonic() > deadline:
        raise ParseTimeout("query")
    result = analyzer.run(deadline)
    behaviour.scan(analyzer, deadline)
    if ranges is None:  # scoring's exported declarations come from this same tree (never a second parse)
        result.symbols = declarations.js_or_none(tree.root_node, data)
    return result

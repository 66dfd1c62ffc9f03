"""Doc coverage of exported declarations (the `symbols-docs` factor), with real parsers.

JS/TS (tree-sitter): `export` function / class / const / let / var / interface / type / enum / namespace, `export
default`, `export { local }` (resolved to the local declaration), TS `export =`, and CommonJS `module.exports = {...}`
members, `module.exports = x`, `exports.x =` / `module.exports.x =`. Re-exports from other modules (`export ... from`,
`require(...)`) are not counted here: they are counted in the file that declares them. A declaration is documented
when a `/** ... */` JSDoc comment immediately precedes it (only whitespace or `//` line comments between); module
docs (`@module`, `@license`, `@packageDocumentation`, `@fileoverview`) and empty `/** */` do not count.

Python (libcst): public top-level `def` and `class` (names in a literal `__all__` when there is one, else names not
starting with `_`), documented when they have a docstring.

`file_symbols` is a pure function of (bytes, language): cacheable by content hash and safe in worker processes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import libcst
from tree_sitter import Node

from extgate import pyparse
from extgate.gates.interface import FileMapper
from extgate.lang import GRAMMAR_FOR_SUFFIX, parser_for
from extgate.model import Entry, Package

MAX_SAMPLE = 20  # undocumented names kept per file / per package for the hint
_MODULE_TAGS = re.compile(rb"@(?:module|license|packageDocumentation|fileoverview|file|preserve)\b")
_SKIP_DIRS = frozenset(
    {
        "node_modules",
        "test",
        "tests",
        "__tests__",
        "__mocks__",
        "spec",
        "fixtures",
        "example",
        "examples",
        "bench",
        "benchmarks",
        "coverage",
        ".git",
    }
)
_TEST_NAME = re.compile(r"(?:\.(?:test|spec|stories)\.[cm]?[jt]sx?$|\.min\.[cm]?js$|^test_.*\.py$|_test\.py$)")
_PYTHON_BUDGET_MS = 60_000  # scoring has no time budget of its own: this only refuses pathological shapes
_PY_SKIP = frozenset({"setup.py", "conftest.py", "noxfile.py", "fabfile.py"})
_TS_SOURCE = (".ts", ".tsx", ".mts", ".cts")
_JS_SOURCE = (".js", ".mjs", ".cjs", ".jsx")
_DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")

# declaration node type -> symbol kind
_DECL_KIND = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "function_signature": "function",
    "class_declaration": "class",
    "abstract_class_declaration": "class",
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
    "internal_module": "namespace",
    "module": "namespace",
    "lexical_declaration": "const",
    "variable_declaration": "var",
}


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    kind: str
    line: int
    documented: bool


@dataclass(frozen=True, slots=True)
class FileSymbols:
    """Exported declarations of one file; `error` says why the file could not be analysed (then no symbols)."""

    path: str
    symbols: tuple[Symbol, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Coverage:
    """Package-wide result: counts, files analysed, files skipped (path: reason), undocumented sample."""

    total: int
    documented: int
    files: int
    language: str
    skipped: tuple[str, ...] = ()
    undocumented: tuple[str, ...] = ()

    @property
    def share(self) -> float:
        return self.documented / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class Limits:
    max_files: int = 400
    max_file_bytes: int = 1_000_000
    max_total_bytes: int = 16_000_000
    max_python_file_bytes: int = 500_000
    max_python_nesting: int = 100


# -- package level ----------------------------------------------------------------------------------------------


def coverage(package: Package, limits: Limits | None = None, *, mapper: FileMapper | None = None) -> Coverage:
    """`mapper` runs `file_symbols` through the engine's result cache (same results)."""
    limits = limits or Limits()
    language, entries = select_sources(package)
    skips: list[tuple[int, str]] = []  # (file index, why): reported in file order
    total = documented = files = 0
    budget = limits.max_total_bytes
    undocumented: list[str] = []
    picked: list[tuple[int, Entry]] = []
    for index, entry in enumerate(entries):
        if index >= limits.max_files:
            skips.append((index, f"{len(entries) - index} more file(s): over the {limits.max_files}-file limit"))
            break
        data = entry.data or b""
        cap = limits.max_python_file_bytes if entry.suffix == ".py" else limits.max_file_bytes
        if len(data) > cap or entry.truncated:
            skips.append((index, f"{entry.path}: larger than {cap} bytes"))
            continue
        if len(data) > budget:
            skips.append((index, f"{entry.path}: over the {limits.max_total_bytes}-byte total"))
            continue
        budget -= len(data)
        picked.append((index, entry))
    calls = [(entry.path, entry.data or b"") for _, entry in picked]
    if mapper is None:
        results = [file_symbols(path, data, limits.max_python_nesting) for path, data in calls]
    else:
        results = mapper.map(file_symbols, calls, limits.max_python_nesting)
    for (index, entry), result in zip(picked, results, strict=True):
        if result.error:
            skips.append((index, f"{entry.path}: {result.error}"))
            continue
        files += 1
        for symbol in result.symbols:
            total += 1
            documented += int(symbol.documented)
            if not symbol.documented and len(undocumented) < MAX_SAMPLE:
                undocumented.append(f"{entry.path}:{symbol.line} {symbol.name}")
    skipped = [why for _, why in sorted(skips, key=lambda item: item[0])]
    return Coverage(total, documented, files, language, tuple(skipped), tuple(undocumented))


def select_sources(package: Package) -> tuple[str, list[Entry]]:
    """The public surface to judge: TypeScript sources if any, else declaration files, else JavaScript; plus Python
    modules. Tests, examples, fixtures, node_modules and minified bundles are not API."""
    ts: list[Entry] = []
    dts: list[Entry] = []
    js: list[Entry] = []
    py: list[Entry] = []
    for entry in package.iter_files():
        parts = entry.path.split("/")
        if (
            any(part in _SKIP_DIRS for part in parts[:-1])
            or entry.name.startswith(".")
            or _TEST_NAME.search(entry.name.lower())
        ):
            continue
        lower = entry.name.lower()
        if lower.endswith(_DECLARATION_SUFFIXES):
            dts.append(entry)
        elif lower.endswith(_TS_SOURCE):
            ts.append(entry)
        elif lower.endswith(_JS_SOURCE):
            js.append(entry)
        elif lower.endswith(".py") and lower not in _PY_SKIP and (lower == "__init__.py" or not lower.startswith("_")):
            py.append(entry)
    if ts:
        chosen, language = ts, "typescript"
    elif dts:
        chosen, language = dts, "declarations"
    elif js:
        chosen, language = js, "javascript"
    else:
        chosen, language = [], "python" if py else "none"
    if py and chosen:
        language += "+python"
    return language, sorted(chosen + py, key=lambda e: e.path)


def file_symbols(path: str, data: bytes, max_python_nesting: int = 100) -> FileSymbols:
    lower = path.lower()
    if lower.endswith(".py"):
        return python_symbols(path, data, max_python_nesting)
    if lower.endswith(_DECLARATION_SUFFIXES):
        grammar = "typescript"
    else:
        suffix = lower[lower.rfind(".") :]
        grammar = GRAMMAR_FOR_SUFFIX.get(suffix, "")
    if not grammar:
        return FileSymbols(path, error="not a JavaScript/TypeScript/Python file")
    return FileSymbols(path, tuple(js_symbols(data, grammar)))


# -- JavaScript / TypeScript ------------------------------------------------------------------------------------


def js_symbols(source: bytes, grammar: str) -> list[Symbol]:
    """Exported declarations of one module, in source order, one per exported name (documented if any
    declaration of that name is)."""
    root = parser_for(grammar).parse(source).root_node
    walker = _JsWalker(source)
    top = [n for n in root.named_children if n.type != "comment"]
    for node in top:  # pass 1: local declarations (functions hoist; `export { x }` may precede `const x`)
        walker.record_local(node)
    for node in top:  # pass 2: what is exported
        walker.visit(node)
    return list(walker.exported.values())


class _JsWalker:
    def __init__(self, source: bytes) -> None:
        self.source = source
        self.local_docs: dict[str, bool] = {}
        self.imported: set[str] = set()
        self.exported: dict[str, Symbol] = {}

    # helpers -----------------------------------------------------------------------------------------------
    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def jsdoc_before(self, node: Node) -> bool:
        """A `/** ... */` right before `node`: only whitespace or `//` comments in between."""
        end = node.start_byte
        prev = node.prev_sibling
        while prev is not None and prev.type == "comment":
            if self.source[prev.end_byte : end].strip():
                return False
            raw = self.source[prev.start_byte : prev.end_byte]
            if raw.startswith(b"/**") and not raw.startswith(b"/**/"):
                return _is_symbol_doc(raw)
            if not raw.startswith(b"//"):
                return False
            end, prev = prev.start_byte, prev.prev_sibling
        return False

    def add(self, name: str, kind: str, node: Node, documented: bool) -> None:
        known = self.exported.get(name)
        if known is not None:  # overloads, declaration merging, repeated `exports.x =`
            documented = documented or known.documented
            self.exported[name] = Symbol(name, known.kind, known.line, documented)
            return
        self.exported[name] = Symbol(name, kind, node.start_point[0] + 1, documented)

    def names_of(self, decl: Node) -> Iterator[str]:
        if decl.type in ("lexical_declaration", "variable_declaration"):
            for declarator in decl.named_children:
                if declarator.type != "variable_declarator":
                    continue
                target = declarator.child_by_field_name("name")
                if target is None:
                    continue
                if target.type == "identifier":
                    yield self.text(target)
                else:  # destructuring: every bound identifier
                    yield from self._pattern_names(target)
            return
        if decl.type == "ambient_declaration":
            for inner in decl.named_children:
                if inner.type in _DECL_KIND:
                    yield from self.names_of(inner)
            return
        name = decl.child_by_field_name("name")
        if name is not None and name.type in ("identifier", "type_identifier", "nested_identifier"):
            yield self.text(name)

    def _pattern_names(self, pattern: Node) -> Iterator[str]:
        stack = [pattern]
        seen = 0
        while stack and seen < 1000:
            node = stack.pop()
            seen += 1
            if node.type in ("identifier", "shorthand_property_identifier_pattern"):
                yield self.text(node)
                continue
            if node.type == "pair_pattern":
                value = node.child_by_field_name("value")
                if value is not None:
                    stack.append(value)
                continue
            stack.extend(reversed(node.named_children))

    # passes --------------------------------------------------------------------------------------------------
    def record_local(self, node: Node) -> None:
        decl = node
        if node.type == "export_statement":
            inner = node.child_by_field_name("declaration")
            if inner is None:
                return
            decl = inner
        if decl.type not in _DECL_KIND and decl.type != "ambient_declaration":
            return
        if decl.type in ("lexical_declaration", "variable_declaration"):
            for declarator in decl.named_children:  # `const x = require("./x")`: an import, not a declaration
                value = declarator.child_by_field_name("value")
                target = declarator.child_by_field_name("name")
                if value is not None and target is not None and _is_require(value, self.source):
                    self.imported.add(self.text(target))
        documented = self.jsdoc_before(node) or (decl is not node and self.jsdoc_before(decl))
        for name in self.names_of(decl):
            self.local_docs[name] = self.local_docs.get(name, False) or documented

    def visit(self, node: Node) -> None:
        if node.type == "export_statement":
            self.visit_export(node)
        elif node.type == "expression_statement":
            expr = node.named_children[0] if node.named_children else None
            if expr is not None and expr.type == "assignment_expression":
                self.visit_commonjs(node, expr)

    def visit_export(self, node: Node) -> None:
        if node.child_by_field_name("source") is not None:
            return  # `export ... from`: counted where it is declared
        doc = self.jsdoc_before(node)
        tokens = {child.type for child in node.children if not child.is_named}
        decl = node.child_by_field_name("declaration")
        if "default" in tokens:
            target = decl or node.child_by_field_name("value")
            documented = doc or (target is not None and self.jsdoc_before(target))
            if target is not None and target.type == "identifier":
                documented = documented or self.local_docs.get(self.text(target), False)
            kind = _DECL_KIND.get(target.type, "value") if target is not None else "value"
            self.add("default", kind, node, documented)
            return
        if decl is not None:
            kind = _DECL_KIND.get(decl.type, "value")
            if decl.type == "ambient_declaration":
                inner = next((c for c in decl.named_children if c.type in _DECL_KIND), None)
                kind = _DECL_KIND.get(inner.type, "value") if inner is not None else "value"
            for name in self.names_of(decl):
                self.add(name, kind, node, doc or self.jsdoc_before(decl))
            return
        if "=" in tokens:  # TS `export = x`
            value = next((c for c in node.named_children if c.type != "comment"), None)
            self._export_value("export=", node, value, doc)
            return
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is None:
            return
        for spec in clause.named_children:
            if spec.type != "export_specifier":
                continue
            local = spec.child_by_field_name("name")
            alias = spec.child_by_field_name("alias")
            if local is None:
                continue
            local_name = self.text(local)
            if local_name not in self.local_docs or local_name in self.imported:
                continue  # an imported binding re-exported: documented where it is declared
            exported = self.text(alias) if alias is not None else local_name
            self.add(exported, "value", spec, doc or self.local_docs[local_name])

    def visit_commonjs(self, stmt: Node, assign: Node) -> None:
        left = assign.child_by_field_name("left")
        right = assign.child_by_field_name("right")
        if left is None or right is None or left.type != "member_expression":
            return
        target = self.text(left).replace(" ", "")
        doc = self.jsdoc_before(stmt)
        if target == "module.exports":
            if right.type == "object":
                self._export_object(right)
            else:
                self._export_value("module.exports", stmt, right, doc)
            return
        for prefix in ("module.exports.", "exports."):
            if target.startswith(prefix):
                name = target[len(prefix) :]
                if not name.isidentifier() or name == "__esModule":
                    return
                while right.type == "assignment_expression":  # `exports.b = exports.a = void 0` (tsc preamble)
                    inner = right.child_by_field_name("right")
                    if inner is None:
                        return
                    right = inner
                self._export_value(name, stmt, right, doc)
                return

    def _export_value(self, name: str, node: Node, value: Node | None, doc: bool) -> None:
        if value is None or _is_void(self.text(value)) or _is_require(value, self.source):
            return  # tsc's `exports.x = void 0` placeholder, or a re-export of another module
        documented = doc
        if value.type == "identifier":
            if self.text(value) in self.imported:
                return
            documented = documented or self.local_docs.get(self.text(value), False)
        kind = {"function_expression": "function", "arrow_function": "function", "class": "class"}.get(
            value.type, "value"
        )
        self.add(name, kind, node, documented)

    def _export_object(self, obj: Node) -> None:
        for member in obj.named_children:
            if member.type == "pair":
                key = member.child_by_field_name("key")
                value = member.child_by_field_name("value")
                if key is None or value is None or _is_require(value, self.source):
                    continue
                documented = self.jsdoc_before(member)
                if value.type == "identifier":
                    if self.text(value) in self.imported:
                        continue
                    documented = documented or self.local_docs.get(self.text(value), False)
                self.add(self.text(key).strip("'\"`"), "value", member, documented)
            elif member.type == "shorthand_property_identifier":
                name = self.text(member)
                if name in self.imported:
                    continue
                self.add(name, "value", member, self.jsdoc_before(member) or self.local_docs.get(name, False))
            elif member.type == "method_definition":
                key = member.child_by_field_name("name")
                if key is not None:
                    self.add(self.text(key).strip("'\"`"), "function", member, self.jsdoc_before(member))


def _is_symbol_doc(raw: bytes) -> bool:
    body = raw[3:-2] if raw.endswith(b"*/") else raw[3:]
    content = b" ".join(line.strip().lstrip(b"*").strip() for line in body.splitlines()).strip()
    return bool(content) and not _MODULE_TAGS.search(content)


def _is_void(text: str) -> bool:
    return " ".join(text.split()) in ("void 0", "undefined")


def _is_require(node: Node, source: bytes) -> bool:
    while node.type == "member_expression":
        obj = node.child_by_field_name("object")
        if obj is None:
            return False
        node = obj
    if node.type != "call_expression":
        return False
    fn = node.child_by_field_name("function")
    return fn is not None and source[fn.start_byte : fn.end_byte] == b"require"


# -- Python -------------------------------------------------------------------------------------------------------


def python_symbols(path: str, data: bytes, max_nesting: int = 100) -> FileSymbols:
    if _nesting(data) > max_nesting:
        return FileSymbols(path, error=f"brackets nested deeper than {max_nesting}; not parsed")
    try:  # pyparse: libcst's native parser crashes the process on shapes CPython accepts
        _, module = pyparse.parse_module(data, max_nesting, _PYTHON_BUDGET_MS)
    except pyparse.Unparseable as exc:
        return FileSymbols(path, error=f"not parsable as Python ({exc.reason}: {exc.detail})")
    # Only top-level defs count, and they start at column 0: their lines come from the source text, which is far
    # cheaper than resolving libcst's position metadata over every node of the module.
    lines = _top_level_def_lines(data)
    try:
        return FileSymbols(path, tuple(_public_defs(module, lines)))
    except (SyntaxError, ValueError) as exc:  # docstrings and __all__ entries are literal_eval'd: bad escapes raise
        return FileSymbols(path, error=f"string literal not evaluable ({type(exc).__name__})")


def _public_defs(module: libcst.Module, lines: dict[str, int]) -> Iterator[Symbol]:
    public = _dunder_all(module)
    for stmt in module.body:
        if not isinstance(stmt, (libcst.FunctionDef, libcst.ClassDef)):
            continue
        name = stmt.name.value
        if (name not in public) if public is not None else name.startswith("_"):
            continue
        doc = stmt.get_docstring()
        kind = "class" if isinstance(stmt, libcst.ClassDef) else "function"
        yield Symbol(name, kind, lines.get(name, 0), bool(doc and doc.strip()))


_TOP_LEVEL_DEF = re.compile(rb"^(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def _top_level_def_lines(data: bytes) -> dict[str, int]:
    """name -> 1-based line of its first column-0 `def`/`class` (decorators sit above; the def line is reported)."""
    found: dict[str, int] = {}
    line, seen = 1, 0
    for match in _TOP_LEVEL_DEF.finditer(data):
        line += data.count(b"\n", seen, match.start())  # incremental: linear in the file size
        seen = match.start()
        found.setdefault(match.group(1).decode("ascii"), line)
    return found


def _dunder_all(module: libcst.Module) -> set[str] | None:
    """Names in a literal top-level `__all__ = [...]` / `(...)`, None when there is none."""
    for stmt in module.body:
        if not isinstance(stmt, libcst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, libcst.Assign) or not isinstance(small.value, (libcst.List, libcst.Tuple)):
                continue
            if any(isinstance(t.target, libcst.Name) and t.target.value == "__all__" for t in small.targets):
                names = set()
                for element in small.value.elements:
                    if isinstance(element.value, libcst.SimpleString):
                        names.add(
                            element.value.evaluated_value if isinstance(element.value.evaluated_value, str) else ""
                        )
                return names
    return None


def _nesting(data: bytes) -> int:
    """Deepest bracket nesting (strings not excluded: an over-estimate is the safe side)."""
    depth = deepest = 0
    for match in re.finditer(rb"[\(\[\{\)\]\}]", data):
        if match.group(0) in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest

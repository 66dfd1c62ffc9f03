"""Exported declarations of one module and whether each is documented, read from an already parsed tree.

The code gate calls these on the trees it parses anyway (so scoring's `symbols-docs` factor needs no parse of its
own for those files); `extgate.scoring.symbols` calls them on its own parse for the files the code gate did not
parse. One implementation, so both give the same symbols. See `extgate.scoring.symbols` for what counts.

Pure functions of (tree, bytes); they never raise for a well-formed tree except where noted.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tree_sitter import Node

from extgate.facts import Symbol

_MODULE_TAGS = re.compile(rb"@(?:module|license|packageDocumentation|fileoverview|file|preserve)\b")

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


def js_declarations(root: Node, source: bytes) -> tuple[Symbol, ...]:
    """Exported declarations of one JS/TS module (tree-sitter root), in source order, one per exported name
    (documented if any declaration of that name is)."""
    walker = _JsWalker(source)
    top = [n for n in root.named_children if n.type != "comment"]
    for node in top:  # pass 1: local declarations (functions hoist; `export { x }` may precede `const x`)
        walker.record_local(node)
    for node in top:  # pass 2: what is exported
        walker.visit(node)
    return tuple(walker.exported.values())


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


# -- Python ---------------------------------------------------------------------------------------------------------


def python_declarations(tree: ast.Module, data: bytes) -> tuple[Symbol, ...]:
    """Public top-level defs and classes of a module (its CPython tree)."""
    # Only top-level defs count, and they start at column 0: their lines come from the source text (the `def`
    # line, not a decorator's, as the code gate reported them before from libcst).
    return tuple(_public_defs(tree, _top_level_def_lines(data)))


def _public_defs(tree: ast.Module, lines: dict[str, int]) -> Iterator[Symbol]:
    public = _dunder_all(tree)
    for stmt in tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        name = stmt.name
        if (name not in public) if public is not None else name.startswith("_"):
            continue
        doc = ast.get_docstring(stmt)
        kind = "class" if isinstance(stmt, ast.ClassDef) else "function"
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


def _dunder_all(tree: ast.Module) -> set[str] | None:
    """Names in a literal top-level `__all__ = [...]` / `(...)`, None when there is none."""
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or not isinstance(stmt.value, (ast.List, ast.Tuple)):
            continue
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets):
            return {
                element.value if isinstance(element.value, str) else ""
                for element in stmt.value.elts
                if isinstance(element, ast.Constant) and isinstance(element.value, (str, bytes))
            }
    return None


def js_or_none(root: Node, source: bytes) -> tuple[Symbol, ...] | None:
    """`js_declarations` for the code gate's hook: a failure here must never fail the code gate (scoring then
    parses the file itself and meets the failure there, as before)."""
    try:
        return js_declarations(root, source)
    except Exception:  # see the docstring
        return None


def python_or_none(tree: ast.Module, data: bytes) -> tuple[Symbol, ...] | None:
    """`python_declarations` for the code gate's hook: a failure here must never fail the code gate (scoring then
    parses the file itself and meets the failure there)."""
    try:
        return python_declarations(tree, data)
    except Exception:  # see the docstring
        return None

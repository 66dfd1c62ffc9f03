"""Behaviour rules for Python (the natural equivalents of behaviour.py): `code/home-write` and
`code/credential-read`, on the CPython `ast` of a file the code gate already parsed.

Paths are rendered into the same sketch as for JavaScript (`<HOME>/.ssh/id_rsa`) from literals, f-strings,
`os.path.expanduser("~...")`, `Path.home()`, `Path("~").expanduser()`, `os.environ["HOME"]` / `os.getenv("HOME")`,
`os.path.join`, `Path(...) / "x"` and simple name bindings; imports and aliases (`from os.path import expanduser as
eu`, `import pathlib as pl`) are followed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from extgate.gates.code.behaviour import CREDENTIAL_READ, HOME, HOME_WRITE, UNKNOWN
from extgate.gates.code.interface import BehaviourConfig, RawFinding
from extgate.model import Level

_MAX_DEPTH = 8
_MAX_SKETCH = 400
_WRITE_CALLS = {"shutil.copy": 1, "shutil.copy2": 1, "shutil.copyfile": 1, "shutil.move": 1, "os.rename": 1,
                "os.replace": 1, "os.symlink": 1}  # fmt: skip
_DELETE_CALLS = frozenset({"os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.rmtree"})
_PATH_WRITE = frozenset({"write_text", "write_bytes", "touch", "symlink_to"})
_PATH_DELETE = frozenset({"unlink", "rmdir"})
_PATH_READ = frozenset({"read_text", "read_bytes", "iterdir", "glob"})
_NETWORK_MODULES = ("requests", "httpx", "urllib", "aiohttp", "socket", "http.client", "smtplib", "ftplib")


class _Scan:
    def __init__(self, tree: ast.Module, cfg: BehaviourConfig, limit: int, nodes: Sequence[ast.AST] = ()) -> None:
        self.cfg = cfg
        self.limit = limit
        self.aliases: dict[str, str] = {}
        self.bindings: dict[str, ast.expr] = {}
        self.findings: list[RawFinding] = []
        self.network = False
        self.calls: list[ast.Call] = []  # in ast.walk order
        self._tree = tree
        self._top_level: set[int] | None = None
        for node in nodes or _walk(tree):
            if isinstance(node, ast.Call):
                self.calls.append(node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.aliases[local] = alias.name if alias.asname else local
                    self.network |= alias.name.startswith(_NETWORK_MODULES)
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                self.network |= node.module.startswith(_NETWORK_MODULES)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.bindings.setdefault(node.targets[0].id, node.value)

    @property
    def top_level(self) -> set[int]:
        """Nodes that run at import (computed only when a finding asks)."""
        if self._top_level is None:
            self._top_level = set()
            for stmt in self._tree.body:
                self._top_level |= {id(n) for n in _outside_functions(stmt)}
        return self._top_level

    def name(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id if node.id in ("open", "Path") else None)
        if isinstance(node, ast.Attribute):
            base = self.name(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def sketch(self, node: ast.expr | None, depth: int = 0) -> str:
        if node is None or depth > _MAX_DEPTH:
            return UNKNOWN
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value[:_MAX_SKETCH]
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    parts.append(self.sketch(value.value, depth + 1))
                else:
                    parts.append(self.sketch(value, depth + 1))
            return "".join(parts)[:_MAX_SKETCH]
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
            sep = "/" if isinstance(node.op, ast.Div) else ""
            return (self.sketch(node.left, depth + 1) + sep + self.sketch(node.right, depth + 1))[:_MAX_SKETCH]
        if isinstance(node, ast.Subscript) and self.name(node.value) == "os.environ":
            key = node.slice
            return self._env(key.value if isinstance(key, ast.Constant) else None)
        if isinstance(node, ast.Name) and node.id in self.bindings:
            return self.sketch(self.bindings[node.id], depth + 1)
        if isinstance(node, ast.Call):
            return self._call_sketch(node, depth)
        return UNKNOWN

    def _env(self, var: object) -> str:
        return HOME if isinstance(var, str) and var in self.cfg.home_env else UNKNOWN

    def _call_sketch(self, node: ast.Call, depth: int) -> str:
        func = node.func
        callee = self.name(func)
        args = node.args
        if callee in ("os.path.expanduser", "posixpath.expanduser") and args:
            inner = self.sketch(args[0], depth + 1)
            return HOME + inner[1:] if inner.startswith("~") else inner
        if callee in ("pathlib.Path.home", "Path.home"):
            return HOME
        if callee in ("os.getenv", "os.environ.get") and args and isinstance(args[0], ast.Constant):
            return self._env(args[0].value)
        if callee in ("os.path.join", "pathlib.Path", "Path", "pathlib.PurePath") and args:
            return "/".join(self.sketch(a, depth + 1) for a in args[:16])[:_MAX_SKETCH]
        if isinstance(func, ast.Attribute) and func.attr in ("expanduser", "resolve", "absolute"):
            inner = self.sketch(func.value, depth + 1)
            return HOME + inner[1:] if func.attr == "expanduser" and inner.startswith("~") else inner
        if isinstance(func, ast.Attribute) and func.attr == "joinpath":
            return "/".join([self.sketch(func.value, depth + 1), *(self.sketch(a, depth + 1) for a in args)])
        return UNKNOWN

    def place(self, sketch: str) -> str | None:
        if sketch.startswith(HOME) or sketch == "~" or sketch.startswith("~/"):
            return "home"
        lowered = sketch.lower().replace("\\", "/")
        return "system" if any(lowered.startswith(p) for p in self.cfg.system_prefixes) else None

    def marker(self, sketch: str, markers: tuple[str, ...]) -> str | None:
        lowered = sketch.lower().replace("\\", "/")
        return next((m for m in markers if m in lowered), None)

    # -- calls -------------------------------------------------------------------------------------------------
    def operations(self, call: ast.Call) -> Iterator[tuple[str, ast.expr]]:
        """(op, path expression) for file operations: 'write', 'delete', 'read'."""
        callee = self.name(call.func)
        func = call.func
        if callee in ("open", "io.open", "builtins.open") and call.args:
            mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"),
                                                                 None)  # fmt: skip
            text = mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else "r"
            yield ("write" if any(c in text for c in "wax+") else "read"), call.args[0]
        elif callee in _DELETE_CALLS and call.args:
            yield "delete", call.args[0]
        elif callee in _WRITE_CALLS and len(call.args) > _WRITE_CALLS[callee]:
            yield "write", call.args[_WRITE_CALLS[callee]]
        elif isinstance(func, ast.Attribute) and callee is None:
            if func.attr in _PATH_WRITE:
                yield "write", func.value
            elif func.attr in _PATH_DELETE:
                yield "delete", func.value
            elif func.attr in _PATH_READ:
                yield "read", func.value
            elif func.attr == "open":
                mode = call.args[0] if call.args else None
                text = mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else "r"
                yield ("write" if any(c in text for c in "wax+") else "read"), func.value

    def check(self, call: ast.Call) -> None:
        for op, target in self.operations(call):
            sketch = self.sketch(target)
            if op == "read":
                marker = self.marker(sketch, self.cfg.credential_markers)
                if marker is not None:
                    self.add(call, CREDENTIAL_READ, Level.ERROR if self.network else Level.WARNING,
                             f"`{ast.unparse(call.func)}` reads `{sketch}`, a credential file ({marker})"
                             + (", in a module that also uses the network" if self.network else "")
                             + ". Ask the user for what you need instead of reading other tools' secrets.",
                             "credential-read")  # fmt: skip
                continue
            place = self.place(sketch)
            if place is None:
                continue
            persistence = self.marker(sketch, self.cfg.credential_markers + self.cfg.persistence_markers)
            top = id(call) in self.top_level
            severe = op == "delete" or place == "system" or persistence is not None or top
            where = "the home folder" if place == "home" else "a system folder"
            self.add(call, HOME_WRITE, Level.ERROR if severe else Level.WARNING,
                     f"`{ast.unparse(call.func)}` {'deletes' if op == 'delete' else 'writes'} `{sketch}` under {where}"
                     + (" as soon as the module is imported" if top else "")
                     + ". Write only where the host tells you (or a temp dir), never on import.",
                     f"{place}-{op}")  # fmt: skip

    def add(self, call: ast.Call, rule: str, level: Level, message: str, kind: str) -> None:
        if len(self.findings) >= self.limit:
            return
        snippet = ast.unparse(call)[:160]
        self.findings.append(
            RawFinding(
                rule_id=rule,
                message=message,
                line=call.lineno,
                column=call.col_offset + 1,
                snippet=snippet,
                evidence=snippet,
                level=level,
                properties=(("kind", kind),),
            )
        )


def _outside_functions(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a top-level statement that run at import (not inside a def, lambda or class body's methods)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                stack.append(child)


def findings(data: bytes, cfg: BehaviourConfig, limit: int) -> list[RawFinding]:
    """Behaviour findings for a Python file that already passed the code gate's parse checks."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # the Python analyzer reports unparsable files
    return tree_findings(tree, cfg, limit)


def tree_findings(
    tree: ast.Module, cfg: BehaviourConfig, limit: int, nodes: Sequence[ast.AST] = ()
) -> list[RawFinding]:
    """`findings` on the tree the code gate's pre-check already parsed (the same tree `ast.parse(data)` gives);
    `nodes`: all of its nodes in `ast.walk` order, when the caller has them (`pyparse.Checked.nodes`)."""
    scan = _Scan(tree, cfg, limit, nodes)
    for call in scan.calls:
        scan.check(call)
    return scan.findings


def _walk(tree: ast.AST) -> list[ast.AST]:
    """The nodes in `ast.walk`'s breadth-first order, with the child loop inlined (a list: the queue itself)."""
    order: list[ast.AST] = [tree]
    node_type, list_type = ast.AST, list
    for node in order:  # appending while iterating: each node's children join the end of the queue
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                order.append(value)
            elif value.__class__ is list_type:
                order.extend([item for item in value if isinstance(item, node_type)])
    return order

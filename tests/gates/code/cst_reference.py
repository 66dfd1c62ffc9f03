"""The libcst-based Python analyzer extgate used before 0.1.0's speed work (issue 12), kept as the reference the
CPython-`ast` analyzer (`extgate.gates.code.python`) is tested against: same findings, imports and API uses, with
positions from libcst's `PositionProvider` (whole-module metadata: slow, which is why the product no longer uses
it). Test code only; not imported by extgate.
"""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from extgate import pyparse
from extgate.facts import ApiUse, ImportRef
from extgate.gates.code import python
from extgate.gates.code.bounded import Bounded
from extgate.gates.code.interface import CodeConfig, ParseResult, RawFinding, names_regex
from extgate.model import Level
from extgate.pyparse import Unparseable

__all__ = ["Analyzer", "analyze", "parse_module"]

_MAX_FOLD = 10_000

BUILTIN_NAMES = frozenset(
    {"eval", "exec", "compile", "__import__", "getattr", "dict", "str", "repr", "print", "open", "globals", "vars",
     "breakpoint", "input", "format", "locals"}
)  # fmt: skip
_NAMESPACE = "<namespace>"
UNPARSED = "safety/unparsed-file"
_EVALS = frozenset({"eval", "exec", "compile"})
_IMPORTERS = frozenset({"__import__", "importlib.import_module", "importlib.__import__"})


def parse_module(data: bytes, max_depth: int, budget_ms: int) -> tuple[ast.Module, cst.Module]:
    """`check`, then libcst; any libcst failure is Unparseable too (it raises KeyError on some inputs)."""
    tree = pyparse.check(data, max_depth, budget_ms)
    try:
        return tree, cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        raise pyparse.Unparseable("syntax", f"libcst cannot parse it at line {exc.raw_line}: {exc.message}") from None
    except RecursionError:
        raise pyparse.Unparseable("too-deep", "syntax tree too deep for libcst") from None
    except Exception as exc:  # a libcst bug on hostile input is a finding, not a crash
        raise pyparse.Unparseable("syntax", f"libcst failed on it ({type(exc).__name__})") from None


def preflight(data: bytes, config: CodeConfig) -> ast.Module:
    """The CPython tree; raises Unparseable unless `data` is Python libcst can parse within bounds (pyparse)."""
    return pyparse.check(data, config.python_max_depth, config.parse_timeout_ms)


def _dotted(node: cst.BaseExpression | cst.ImportFrom | None) -> str:
    if isinstance(node, cst.Name):
        return _ident(node.value)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{_ident(node.attr.value)}"
    return ""


@dataclass(slots=True)
class _Call:
    node: cst.Call
    shadowed: frozenset[str]


class _Collector(cst.CSTVisitor):
    """One pass: imports and aliases (resolved later, flow-insensitively), calls and attribute uses (checked
    after the pass, when every alias is known)."""

    def __init__(self) -> None:
        super().__init__()
        self.imports: list[tuple[str, cst.CSTNode, str]] = []  # specifier, node, kind
        self.bindings: dict[str, list[str | cst.BaseExpression]] = {}
        self.star_modules: list[str] = []
        self.defined: set[str] = set()
        self.calls: list[_Call] = []
        self.attributes: list[tuple[cst.Attribute, frozenset[str]]] = []
        self.fstrings: list[tuple[cst.FormattedStringExpression, frozenset[str]]] = []
        self.percent: list[tuple[cst.BinaryOperation, frozenset[str]]] = []
        self._params: list[frozenset[str]] = [frozenset()]
        self._inner_attributes: set[int] = set()
        self.handed: list[tuple[cst.BaseExpression, frozenset[str], cst.Call | None]] = []
        # tuples / lists assigned to, deleted or bound by for / with, and isinstance's class tuples: no values
        self._targets: set[int] = set()

    def _hand(self, values: Sequence[cst.BaseExpression | None], call: cst.Call | None = None) -> None:
        self.handed += [(v, self.shadowed, call) for v in values if isinstance(v, (cst.Name, cst.Attribute))]

    def _target(self, node: cst.CSTNode | None) -> None:
        if isinstance(node, (cst.Tuple, cst.List)):
            self._targets.add(id(node))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._target(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._target(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._target(node.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._target(node.target)

    def _elements(self, node: cst.Tuple | cst.List | cst.Set) -> None:
        if id(node) in self._targets:
            for element in node.elements:
                self._target(element.value)  # (a, (b, c)) = ...: the inner tuple is a target too
            return
        self._hand([e.value for e in node.elements if isinstance(e, cst.Element)])

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._elements(node)

    def visit_List(self, node: cst.List) -> None:
        self._elements(node)

    def visit_Set(self, node: cst.Set) -> None:
        self._elements(node)

    def visit_Dict(self, node: cst.Dict) -> None:
        self._hand([e.value for e in node.elements if isinstance(e, cst.DictElement)])

    def visit_Return(self, node: cst.Return) -> None:
        self._hand([node.value])

    def visit_Yield(self, node: cst.Yield) -> None:
        self._hand([node.value.item if isinstance(node.value, cst.From) else node.value])

    @property
    def shadowed(self) -> frozenset[str]:
        return self._params[-1]

    def _bind(self, name: str, value: str | cst.BaseExpression) -> None:
        slot = self.bindings.setdefault(name, [])
        if len(slot) < 16:
            slot.append(value)

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            dotted = _dotted(alias.name)
            self.imports.append((dotted, node, "python"))
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(_ident(alias.asname.name.value), dotted)
            else:
                head = dotted.split(".")[0]
                self._bind(head, head)
        return False  # `import a.b` names a module; its Attribute node is not an attribute use

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = "." * len(node.relative) + _dotted(node.module)
        self.imports.append((module, node, "python"))
        if isinstance(node.names, cst.ImportStar):
            self.star_modules.append(module)
            return False
        for alias in node.names:
            name = _dotted(alias.name)
            asname = alias.asname.name if alias.asname else None
            local = _ident(asname.value) if isinstance(asname, cst.Name) else name
            self._bind(local, f"{module}.{name}")
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._bind(_ident(target.target.value), node.value)
            else:
                self._hand([node.value])

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.defined.add(_ident(node.name.value))
        self._params.append(self.shadowed | _param_names(node.params))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._params.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._params.append(self.shadowed | _param_names(node.params))
        self._hand([node.body])

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._params.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.defined.add(_ident(node.name.value))

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(_Call(node, self.shadowed))
        self._hand([a.value for a in node.args if a.star != "*"], node)
        if isinstance(node.func, cst.Name) and node.func.value in ("isinstance", "issubclass"):
            self._targets.update(id(a.value) for a in node.args if not a.keyword and a.star != "*")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) not in self._inner_attributes:  # only the outermost attribute of a chain
            self.attributes.append((node, self.shadowed))
        if isinstance(node.value, cst.Attribute):
            self._inner_attributes.add(id(node.value))

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self.fstrings.append((node, self.shadowed))

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Modulo) and isinstance(node.left, (cst.SimpleString, cst.ConcatenatedString)):
            self.percent.append((node, self.shadowed))


def _param_names(params: cst.Parameters) -> frozenset[str]:
    names = [_ident(p.name.value) for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(_ident(star.name.value))
    return frozenset(names)


class Analyzer:
    def __init__(
        self, path: str, data: bytes, module: cst.Module, config: CodeConfig, deadline: float = float("inf")
    ) -> None:
        self.path = path
        self.data = data
        self.module = module
        self.config = config
        self.result = ParseResult()
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.positions: Mapping[cst.CSTNode, CodeRange] = wrapper.resolve(PositionProvider)
        self.collector = _Collector()
        wrapper.visit(self.collector)
        self._resolving: set[str] = set()
        self._folding: set[str] = set()
        self.bounded = Bounded(deadline, timeout=self._timeout)
        self.bounded.enabled = True  # the collector pass registered every binding
        self._api_seen: set[tuple[str, int]] = set()
        self._network = names_regex(config.py_network)
        self._serializers = names_regex(config.py_serializers)

    # -- positions and findings --------------------------------------------------------------------------------
    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def short(self, node: cst.CSTNode, limit: int = 160) -> str:
        code = " ".join(self.module.code_for_node(node).split())
        return code if len(code) <= limit else code[: limit - 1] + "…"

    def finding(self, rule_id: str, node: cst.CSTNode, message: str, level: Level | None = None, **props: Any) -> None:
        key = (rule_id, level)
        self.result.totals[key] = self.result.totals.get(key, 0) + 1
        if self.result.totals[key] > self.config.max_findings_per_rule:
            return
        where = self.positions[node]
        snippet = self.short(node)
        self.result.findings.append(
            RawFinding(
                rule_id=rule_id,
                message=message,
                line=where.start.line,
                column=where.start.column + 1,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                snippet=snippet,
                evidence=snippet,
                level=level,
                properties=tuple(sorted(props.items())),
            )
        )

    # -- constants ---------------------------------------------------------------------------------------------
    def fold(self, node: cst.BaseExpression | None, depth: int = 0) -> str | None:
        """A constant string value: literals, implicit and `+` concatenation, f-strings without fields,
        module-level constant names."""
        if node is None:
            return None
        return self.bounded.call(("fold", id(node)), depth, lambda d: self._fold(node, d))

    def _timeout(self) -> Exception:
        return Unparseable("timeout", f"analysis did not finish within {self.config.parse_timeout_ms} ms")

    def _fold(self, node: cst.BaseExpression, depth: int) -> str | None:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            if isinstance(value, bytes):
                return value.decode("utf-8", "replace")
            return value
        if isinstance(node, cst.FormattedString):
            parts = [p.value for p in node.parts if isinstance(p, cst.FormattedStringText)]
            return "".join(parts) if len(parts) == len(node.parts) else None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            left = self.fold(node.left, depth + 1)
            right = self.fold(node.right, depth + 1) if left is not None else None
            if left is None or right is None or len(left) + len(right) > _MAX_FOLD:
                return None
            return left + right
        name = _ident(node.value) if isinstance(node, cst.Name) else ""
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

    def is_constant(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, (cst.Integer, cst.Float, cst.Imaginary)) or self.fold(node) is not None

    # -- resolution --------------------------------------------------------------------------------------------
    def resolve(self, node: cst.BaseExpression | None, shadowed: frozenset[str], depth: int = 0) -> str | None:
        """The canonical name `node` refers to, or None (`self.bounded.incomplete` then says whether the
        resolver gave up rather than found nothing)."""
        if node is None:
            return None
        return self.bounded.call(("resolve", id(node), shadowed), depth, lambda d: self._resolve(node, shadowed, d))

    def _resolve(self, node: cst.BaseExpression, shadowed: frozenset[str], depth: int) -> str | None:
        if isinstance(node, cst.Name):
            return self._resolve_name(_ident(node.value), shadowed, depth)
        if isinstance(node, cst.Attribute):
            base = self.resolve(node.value, shadowed, depth + 1)
            attr = _ident(node.attr.value)
            return base if attr == "__dict__" else _join(base, attr)
        if isinstance(node, cst.Subscript):  # __builtins__["eval"], vars(os)["system"], sys.modules["os"]
            base = self.resolve(node.value, shadowed, depth + 1)
            if base is None or len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
                return None
            key = self.fold(node.slice[0].slice.value, depth + 1)
            if base == _NAMESPACE:
                return self._resolve_name(key, shadowed, depth + 1) if key is not None else None
            if base == "sys.modules":
                return _canonical(key) if key is not None else None
            return _join(base, key)
        if isinstance(node, cst.Call):
            return self._resolve_call(node, shadowed, depth)
        if isinstance(node, cst.Dict):  # {**os.environ}
            starred = [e.value for e in node.elements if isinstance(e, cst.StarredDictElement)]
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

    def _resolve_call(self, node: cst.Call, shadowed: frozenset[str], depth: int) -> str | None:
        callee = self.resolve(node.func, shadowed, depth + 1)
        args = _positional(node)
        if callee in _IMPORTERS and args:
            name = self.fold(args[0], depth + 1)
            return name
        if callee in ("globals", "locals"):
            return _NAMESPACE
        if callee == "vars":
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
        roots = {p.partition(".")[0] for m in self.config.call_matchers for p in m.python}
        if any(spec.partition(".")[0] in roots for spec, _, _ in self.collector.imports):
            for value, shadowed, receiver in self.collector.handed:
                self._handed_value(value, shadowed, receiver)
        for attribute, shadowed in self.collector.attributes:
            name = self.resolve(attribute, shadowed)
            if name is not None:
                self._record_api(name, attribute)
        for fexpr, shadowed in self.collector.fstrings:
            if self.resolve(fexpr.expression, shadowed) == "os.environ":
                self._env_finding(fexpr, "an f-string", "formats")
        for binop, shadowed in self.collector.percent:
            values = binop.right.elements if isinstance(binop.right, cst.Tuple) else None
            items = [e.value for e in values] if values is not None else [binop.right]
            if any(self.resolve(item, shadowed) == "os.environ" for item in items):
                self._env_finding(binop, "`%` formatting", "formats")
        return self.result

    def _call(self, node: cst.Call, shadowed: frozenset[str]) -> None:
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

    def _handed_value(self, node: cst.BaseExpression, shadowed: frozenset[str], call: cst.Call | None) -> None:
        sym = self.resolve(node, shadowed)
        rules = python.value_rules(sym, self.config)  # rule data, shared: the positions are what is checked
        if not rules or (call is not None and self.resolve(call.func, shadowed) in python.INSPECTORS):
            return
        for rule, example in rules:
            message = python.value_message(self.short(node, 60), sym, example)
            self.finding(rule, node, message, Level.WARNING, via="value", api=sym)

    def _unresolved(self, node: cst.Call) -> None:
        """The resolver gave up on a callee (an alias chain beyond its bounds): say so, never assume harmless."""
        self.finding(
            UNPARSED,
            node,
            f"extgate could not resolve what `{self.short(node.func, 60)}` calls: it goes through more aliases or "
            "nested expressions than the resolver follows, which is how a scanner is made to miss eval or "
            "subprocess. Review the call by hand, or call the function by its own name.",
            reason="unresolved-chain",
        )

    def _eval(self, node: cst.Call, callee: str, args: Sequence[cst.BaseExpression]) -> None:
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

    def _importer(self, node: cst.Call, callee: str, args: Sequence[cst.BaseExpression]) -> None:
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
    def _env_sink(self, node: cst.Call, callee: str, shadowed: frozenset[str]) -> bool:
        serializer = self._serializers is not None and self._serializers.fullmatch(callee)
        network = self._network is not None and self._network.fullmatch(callee)
        if not (serializer or network):
            return False
        for arg in node.args:
            if self._find_env(arg.value, shadowed):
                self._env_finding(node, f"`{callee}`", "serializes" if serializer else "sends over the network")
                return True
        return False

    def _network_method(self, node: cst.Call, shadowed: frozenset[str]) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = _ident(func.attr.value)
        is_format = method == "format" and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString))
        if method not in self.config.network_methods and not is_format:
            return
        for arg in node.args:
            if self._find_env(arg.value, shadowed):
                verb = "formats" if is_format else "passes to a request method"
                self._env_finding(node, f"`.{method}()`", verb)
                return

    def _find_env(self, node: cst.BaseExpression, shadowed: frozenset[str], depth: int = 0) -> bool:
        if depth > 6:
            return False
        if self.resolve(node, shadowed) == "os.environ":
            return True
        children: list[cst.BaseExpression] = []
        if isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            children = [e.value for e in node.elements]
        return any(self._find_env(child, shadowed, depth + 1) for child in children)

    def _env_finding(self, node: cst.CSTNode, what: str, verb: str) -> None:
        self.finding(
            "code/env-exfiltration",
            node,
            f"{what} {verb} the entire environment (`os.environ`): every token, cloud key and credential of whoever "
            'runs the code. Read only the variables you need by name (`os.environ["MY_SETTING"]`).',
        )

    # -- api uses ----------------------------------------------------------------------------------------------
    def _record_module(self, module: str, node: cst.CSTNode) -> None:
        modules = self.config.api.python_modules
        parts = module.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in modules:
                self._add_api(prefix, node)
                return

    def _record_api(self, name: str, node: cst.CSTNode) -> None:
        api = py_api_name(name, self.config)
        if api is not None:
            self._add_api(api, node)

    def _add_api(self, api: str, node: cst.CSTNode) -> None:
        key = (api, self.line(node))
        if key not in self._api_seen:
            self._api_seen.add(key)
            self.result.api_uses.append(ApiUse(api, self.path, key[1]))


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


def _ident(name: str) -> str:
    """Python compares identifiers after NFKC normalization: `ｅｖａｌ` (fullwidth) is `eval`."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


def _canonical(name: str) -> str:
    """`builtins.eval` is `eval`."""
    return name[len("builtins.") :] if name.startswith("builtins.") else name


def _join(base: str | None, attr: str | None) -> str | None:
    if base is None or attr is None:
        return None
    if base == "builtins":
        return attr
    return f"{base}.{attr}"


def _positional(node: cst.Call) -> list[cst.BaseExpression]:
    return [a.value for a in node.args if a.keyword is None and not a.star]


def analyze(path: str, data: bytes, config: CodeConfig, deadline: float = float("inf")) -> ParseResult:
    """Raises Unparseable when the file cannot be parsed safely (see module docstring) or the analysis runs past
    `deadline` (monotonic clock)."""
    _, module = parse_module(data, config.python_max_depth, config.parse_timeout_ms)
    try:
        return Analyzer(path, data, module, config, deadline).run()
    except RecursionError:
        raise Unparseable("too-deep", "syntax tree too deep for libcst's recursive visitors") from None

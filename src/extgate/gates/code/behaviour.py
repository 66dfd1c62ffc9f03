"""Behaviour rules for JavaScript / TypeScript: what protestware and stealers *do*, on the resolved tree.

    code/home-write            fs writes/deletes whose path starts at the home folder or a system folder
    code/credential-read       fs reads of credential files (.npmrc, .ssh, cloud keys, wallets)
    code/environment-targeting time zone / locale / IP-geolocation reads guarding sensitive code
    code/delayed-execution     network / eval / process code in a timer callback with a long or random delay

They run on the Analyzer of javascript.py after its own pass (same bindings, memoized resolution), so
`const {homedir} = require("os")`, aliases and `path.join` are followed. Paths are rendered into a small sketch
(`<HOME>/Desktop/<?>`) from literals, templates, `+`, path.join/resolve, os.homedir() and process.env.HOME.
All data (API names, markers, hosts, thresholds) comes from rules/code.yaml `data.behaviour`.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tree_sitter import Node

from extgate.gates.code.interface import names_regex
from extgate.gates.code.jsresolve import ParseTimeout
from extgate.model import Level

if TYPE_CHECKING:
    from extgate.gates.code.javascript import Analyzer

HOME_WRITE = "code/home-write"
CREDENTIAL_READ = "code/credential-read"
TARGETING = "code/environment-targeting"
DELAYED = "code/delayed-execution"
BEHAVIOUR_RULES = frozenset({HOME_WRITE, CREDENTIAL_READ, TARGETING, DELAYED})

HOME = "<HOME>"
UNKNOWN = "<?>"
_MAX_SKETCH = 400  # characters of a path sketch
_MAX_DEPTH = 8  # sketch / targeting recursion through bindings
_MAX_WALK = 400  # nodes visited in one condition
_MAX_CONDITIONS = 2_000
_MAX_FILE_WALK = 200_000  # nodes all targeting walks of one file may visit
_MAX_BOUND_VALUE = 2_000  # bytes: bindings to larger values (functions, objects) are not followed
_FUNCTION_NODES = frozenset({"function_expression", "function", "arrow_function", "function_declaration",
                             "class", "class_declaration"})  # fmt: skip
_FS_MODULES = ("fs", "fs/promises", "fs-extra", "graceful-fs")
_PATH_JOIN = frozenset(
    f"{m}.{f}" for m in ("path", "path.posix", "path.win32", "path/posix", "path/win32") for f in ("join", "resolve")
)
_TIMERS = frozenset({"setTimeout", "setInterval", "timers.setTimeout", "timers.setInterval"})
_EXEC_NAMES = ("eval", "Function", "AsyncFunction", "GeneratorFunction", "vm.*", "child_process.*", "Deno.Command",
               "Deno.run", "Bun.spawn", "Bun.spawnSync", "Bun.$")  # fmt: skip
_EXEC = names_regex(_EXEC_NAMES)
_RANDOM = frozenset({"Math.random", "crypto.randomInt", "crypto.getRandomValues", "window.Math.random"})
# every canonical name (or module) these rules compare with, for the imports-only fast path (jsfacts.py)
CANONICAL_NAMES: tuple[str, ...] = (*_FS_MODULES, *sorted(_PATH_JOIN), *sorted(_TIMERS), *_EXEC_NAMES,
                                    *sorted(_RANDOM))  # fmt: skip
# the condition kinds javascript.py's query captures for `_targeting` (if_statement, ternary_expression,
# switch_statement, `&&`)
CONDITION_KINDS = ("if", "ternary", "switch", "and")
_TARGETING_TOKENS = (b"timeZone", b"getTimezoneOffset", b"language", b"LANG", b"LC_", b"TZ", b"resolvedOptions",
                     b"country")  # fmt: skip


class Behaviour:
    """One pass over an analysed tree; appends findings to the Analyzer's result."""

    def __init__(self, an: Analyzer, deadline: float) -> None:
        self.an = an
        self.deadline = deadline
        self.cfg = an.config.behaviour
        self.calls = an.collected.calls  # sorted by start byte
        self.starts = [c.start_byte for c in self.calls]
        self._callee: dict[int, str | None] = {}
        self._network = names_regex(an.config.js_network)
        self._has_network: bool | None = None
        self._geoip_calls: list[Node] = []
        self._read_memo: dict[int, str | None] = {}
        self._sketch_memo: dict[int, str] = {}
        self._budget = _MAX_FILE_WALK

    # -- helpers -----------------------------------------------------------------------------------------------
    def callee(self, call: Node) -> str | None:
        if call.id not in self._callee:
            fn = call.child_by_field_name("function")
            # `f()()` chains name nothing these rules look for, and re-resolving them is the costly case
            plain = fn is not None and fn.type in ("identifier", "member_expression", "subscript_expression")
            known = self.an.callees
            self._callee[call.id] = (known[call.id] if call.id in known else self.an.resolve(fn)) if plain else None
        return self._callee[call.id]

    def calls_in(self, start: int, end: int) -> Iterator[Node]:
        for i in range(bisect_left(self.starts, start), len(self.calls)):
            call = self.calls[i]
            if call.start_byte >= end:
                return
            yield call

    def fs_op(self, callee: str | None) -> str | None:
        """'write', 'delete' or 'read' for an fs function name (any of the fs-like modules)."""
        if callee is None:
            return None
        module, _, member = callee.rpartition(".")
        if module not in _FS_MODULES:
            return None
        for op, names in (("write", self.cfg.fs_write), ("delete", self.cfg.fs_delete), ("read", self.cfg.fs_read)):
            if member in names:
                return op
        return None

    def is_network(self, callee: str | None) -> bool:
        return callee is not None and self._network is not None and self._network.fullmatch(callee) is not None

    def sink(self, callee: str | None) -> str | None:
        """The kind of sensitive thing a call does: exec, delete, write, network, timer."""
        if callee is None:
            return None
        if _EXEC is not None and _EXEC.fullmatch(callee):
            return "exec"
        op = self.fs_op(callee)
        if op in ("write", "delete"):
            return op
        if self.is_network(callee):
            return "network"
        return "timer" if callee in _TIMERS else None

    def file_has_network(self) -> bool:
        if self._has_network is None:
            self._has_network = any(self.is_network(self.callee(c)) for c in self.calls) or any(
                self.is_network(use.api) for use in self.an.result.api_uses
            )
        return self._has_network

    # -- path sketches -----------------------------------------------------------------------------------------
    def sketch(self, node: Node | None, depth: int = 0) -> str:
        """A rendering of a path expression: constants verbatim, the home folder as <HOME>, unknowns as <?>.
        Memoized per node (a cycle or a repeat through bindings costs nothing the second time)."""
        if node is None or depth > _MAX_DEPTH:
            return UNKNOWN
        if node.id in self._sketch_memo:
            return self._sketch_memo[node.id]
        self._sketch_memo[node.id] = UNKNOWN
        value = self._sketch(node, depth)
        self._sketch_memo[node.id] = value
        return value

    def _sketch(self, node: Node, depth: int) -> str:
        an = self.an
        node = an.unwrap(node)
        kind = node.type
        constant = an.fold(node)
        if constant is not None:
            return constant[:_MAX_SKETCH]
        resolved = an.resolve(node) if kind in ("identifier", "member_expression", "subscript_expression") else None
        if resolved is not None and resolved.startswith("process.env."):
            return HOME if resolved.split(".", 2)[2] in self.cfg.home_env else UNKNOWN
        if kind == "template_string":
            parts = []
            cursor = node.start_byte + 1
            for child in node.named_children:
                if child.type == "template_substitution":
                    parts.append(an.data[cursor : child.start_byte].decode("utf-8", "replace"))
                    inner = child.named_children[0] if child.named_children else None
                    parts.append(self.sketch(inner, depth + 1))
                    cursor = child.end_byte
            parts.append(an.data[cursor : max(cursor, node.end_byte - 1)].decode("utf-8", "replace"))
            return "".join(parts)[:_MAX_SKETCH]
        if kind == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and an.text(op) == "+":
                left = self.sketch(node.child_by_field_name("left"), depth + 1)
                return (left + self.sketch(node.child_by_field_name("right"), depth + 1))[:_MAX_SKETCH]
            return UNKNOWN
        if kind == "call_expression":
            callee = self.callee(node)
            if callee == "os.homedir":
                return HOME
            args = an.arguments(node)
            if callee in _PATH_JOIN and args:
                parts = [self.sketch(a, depth + 1) for a in args[:16]]
                if callee.endswith("resolve"):  # the last absolute segment wins
                    for i in range(len(parts) - 1, -1, -1):
                        if parts[i].startswith(("/", HOME, "~")):
                            parts = parts[i:]
                            break
                return "/".join(p.strip("/") if i else p.rstrip("/") for i, p in enumerate(parts))[:_MAX_SKETCH]
            return UNKNOWN
        if kind == "identifier":
            for binding in an._lookup(node)[:4]:
                if binding.node is not None and binding.prop is None and binding.sym is None:
                    found = self.sketch(binding.node, depth + 1)
                    if found != UNKNOWN:
                        return found
        return UNKNOWN

    def place(self, sketch: str) -> str | None:
        """'home' or 'system' when a path sketch starts in the home folder or a system folder."""
        if sketch.startswith(HOME) or sketch == "~" or sketch.startswith("~/") or sketch.startswith("~\\"):
            return "home"
        lowered = sketch.lower().replace("\\", "/")
        if any(lowered == p.rstrip("/") or lowered.startswith(p) for p in self.cfg.system_prefixes):
            return "system"
        return None

    def credential(self, sketch: str) -> str | None:
        lowered = sketch.lower().replace("\\", "/")
        return next((m for m in self.cfg.credential_markers if m in lowered), None)

    # -- rules -------------------------------------------------------------------------------------------------
    def _tick(self, i: int) -> None:
        if i % 256 == 255 and time.monotonic() > self.deadline:
            raise ParseTimeout("behaviour")

    def run(self) -> None:
        for i, call in enumerate(self.calls):
            self._tick(i)
            callee = self.callee(call)
            op = self.fs_op(callee)
            if op is not None:
                self._fs_call(call, callee or "", op)
            elif callee in _TIMERS:
                self._timer(call, callee or "")
            if self.is_network(callee):
                self._geoip(call, callee or "")
        if any(token in self.an.data for token in _TARGETING_TOKENS):
            self._targeting()

    def _fs_call(self, call: Node, callee: str, op: str) -> None:
        args = self.an.arguments(call)
        if not args:
            return
        index = 1 if callee.rpartition(".")[2] in self.cfg.fs_destination_second and len(args) > 1 else 0
        sketch = self.sketch(args[index])
        if op == "read":
            marker = self.credential(sketch)
            if marker is None:
                return
            exfil = self.file_has_network()
            self.an.finding(
                CREDENTIAL_READ,
                call,
                f"`{callee}` reads `{sketch}`, a credential file ({marker}): registry tokens, SSH keys, cloud keys or "
                "wallets"
                + (", and this file also makes network calls: that is how stealers exfiltrate them" if exfil else "")
                + ". An extension has no reason to read another tool's secrets; ask the user for what you need.",
                level=Level.ERROR if exfil else Level.WARNING,
                kind="credential-read",
                path=sketch,
                marker=marker,
            )
            return
        place = self.place(sketch)
        if place is None:
            return
        top_level = self.an.scope_of(call) == 0
        persistence = self.credential(sketch) or next(
            (m for m in self.cfg.persistence_markers if m in sketch.lower()), None
        )
        destructive = op == "delete" or place == "system" or persistence is not None or top_level
        where = "the home folder" if place == "home" else "a system folder"
        why = []
        if op == "delete":
            why.append("it deletes")
        if place == "system":
            why.append("it is a system path")
        if persistence:
            why.append(f"it targets {persistence}")
        if top_level:
            why.append("it runs as soon as the module is loaded")
        verb = "deletes" if op == "delete" else "writes"
        self.an.finding(
            HOME_WRITE,
            call,
            f"`{callee}` {verb} `{sketch}` under {where}, outside the extension's own files"
            + (f" ({'; '.join(why)})" if destructive else "")
            + ". Protestware drops or wipes files this way. Write only to a folder the host gives you (or a temp "
            "dir), and never on import.",
            level=Level.ERROR if destructive else Level.WARNING,
            kind=f"{place}-{op}",
            path=sketch,
        )

    def _timer(self, call: Node, callee: str) -> None:
        an = self.an
        args = an.arguments(call)
        if len(args) < 2:
            return
        body = an.unwrap(args[0])
        if body.type == "identifier":
            bound = [b.node for b in an._lookup(body) if b.node is not None and b.prop is None]
            body = bound[0] if bound else body
        if body.type not in ("arrow_function", "function_expression", "function"):
            return
        delay, random = self._delay(args[1])
        if not random and (delay is None or delay < self.cfg.delay_min_ms):
            return
        sinks: dict[str, str] = {}
        for inner in self.calls_in(body.start_byte, body.end_byte):
            kind = self.sink(self.callee(inner))
            if kind in ("exec", "delete", "write", "network"):
                sinks.setdefault(kind, self.callee(inner) or "")
        if not sinks:
            return
        when = "a random delay" if random else f"{(delay or 0) / 1000:,.0f} s"
        what = ", ".join(f"{kind} (`{name}`)" for kind, name in sorted(sinks.items()))
        severe = bool({"exec", "delete"} & sinks.keys())
        an.finding(
            DELAYED,
            call,
            f"`{callee}` runs {what} after {when}: delayed payloads wait until tests and reviewers have moved on. "
            "Run the work when it is asked for, or document why it must wait.",
            level=Level.ERROR if severe else Level.WARNING,
            kind="delayed-" + "-".join(sorted(sinks)),
            delay_ms=delay if delay is not None else -1,
        )

    def _delay(self, node: Node) -> tuple[float | None, bool]:
        """(milliseconds of a constant arithmetic delay, whether the delay involves Math.random)."""
        random = False
        stack = [node]
        seen = 0
        while stack and seen < _MAX_WALK:
            seen += 1
            current = stack.pop()
            fn = current.child_by_field_name("function") if current.type == "call_expression" else None
            if fn is not None and self.an.text(fn) in _RANDOM:
                random = True
            stack.extend(current.named_children)
        return self._number(node, 0), random

    def _number(self, node: Node, depth: int) -> float | None:
        an = self.an
        node = an.unwrap(node)
        if depth > _MAX_DEPTH:
            return None
        if node.type == "number":
            try:
                return float(int(an.text(node).replace("_", ""), 0)) if an.text(node)[:2].lower() in (
                    "0x", "0o", "0b") else float(an.text(node).replace("_", ""))  # fmt: skip
            except ValueError:
                return None
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            left = self._number(node.child_by_field_name("left"), depth + 1)  # type: ignore[arg-type]
            right = self._number(node.child_by_field_name("right"), depth + 1)  # type: ignore[arg-type]
            if op is None or left is None or right is None:
                return None
            symbol = an.text(op)
            if symbol == "*":
                return left * right
            if symbol == "+":
                return left + right
            if symbol == "-":
                return left - right
            return None
        if node.type == "identifier":
            for binding in an._lookup(node):
                if binding.node is not None and binding.prop is None:
                    return self._number(binding.node, depth + 1)
        return None

    def _geoip(self, call: Node, callee: str) -> None:
        args = self.an.arguments(call)
        if not args:
            return
        url = self.sketch(args[0]).lower()
        host = next((h for h in self.cfg.geoip_hosts if h in url), None)
        if host is None:
            return
        self._geoip_calls.append(call)
        self.an.finding(
            TARGETING,
            call,
            f"`{callee}` asks {host} where the user is (IP geolocation). Protestware uses the answer to pick its "
            "victims by country; an extension rarely needs the user's location.",
            level=Level.WARNING,
            kind="geoip-lookup",
            host=host,
        )

    # -- targeting ---------------------------------------------------------------------------------------------
    def _targeting(self) -> None:
        an = self.an
        caps = an.collected.conditions
        count = 0
        for name in CONDITION_KINDS:
            for node in sorted(caps.get(name, ()), key=lambda n: n.start_byte):
                count += 1
                self._tick(count)
                if count > _MAX_CONDITIONS:
                    return
                self._condition(name, node)

    def _condition(self, name: str, node: Node) -> None:
        an = self.an
        field = {"if": "condition", "ternary": "condition", "switch": "value", "and": "left"}[name]
        condition = node.child_by_field_name(field)
        if condition is None:
            return
        what = self._targeting_read(condition, 0)
        if what is None:
            return
        guarded: list[tuple[int, int]] = []
        for part in ("consequence", "alternative", "body", "right"):
            child = node.child_by_field_name(part)
            if child is not None:
                guarded.append((child.start_byte, child.end_byte))
        consequence = node.child_by_field_name("consequence")
        if name == "if" and consequence is not None and self._exits(consequence):
            scope = an.scope_of(node)
            guarded.append((node.end_byte, an.scopes.ends[scope] if scope < len(an.scopes.ends) else len(an.data)))
        sinks: dict[str, str] = {}
        for start, end in guarded:
            for inner in self.calls_in(start, end):
                kind = self.sink(self.callee(inner))
                if kind is not None:
                    sinks.setdefault(kind, self.callee(inner) or "")
        if not sinks:
            return
        severe = bool({"exec", "delete", "write", "network"} & sinks.keys())
        listed = ", ".join(f"{kind} (`{callee}`)" for kind, callee in sorted(sinks.items()))
        an.finding(
            TARGETING,
            condition,
            f"code that runs only for users in a certain {what} ({an.short(condition, 80)}) guards {listed}. "
            "Choosing victims by time zone, language or country is how protestware hides its payload from everyone "
            "else; an extension should behave the same everywhere.",
            level=Level.ERROR if severe else Level.WARNING,
            kind=f"{what}-targeting",
        )

    def _exits(self, node: Node) -> bool:
        if node.type in ("return_statement", "throw_statement"):
            return True
        if node.type == "statement_block":
            kids = [c for c in node.named_children if c.type != "comment"]
            return len(kids) == 1 and kids[0].type in ("return_statement", "throw_statement")
        return False

    def _targeting_read(self, node: Node, depth: int) -> str | None:
        """'time zone', 'locale' or 'country' when the expression reads one (directly or through a binding).
        Bounded: results are memoized per node, bindings are followed only to small value expressions, and one
        file's walks share a node budget (lodash has 1,300 conditions over thousands of bindings)."""
        if node.id in self._read_memo:
            return self._read_memo[node.id]
        self._read_memo[node.id] = None  # a cycle through bindings reads nothing
        found = self._walk_read(node, depth)
        self._read_memo[node.id] = found
        return found

    def _walk_read(self, node: Node, depth: int) -> str | None:
        an = self.an
        stack = [node]
        seen = 0
        while stack and seen < _MAX_WALK and self._budget > 0:
            seen += 1
            self._budget -= 1
            current = stack.pop()
            kind = current.type
            if kind in ("member_expression", "subscript_expression"):
                prop = an._prop_of(current)
                if prop == "timeZone":
                    return "time zone"
                if prop in ("country", "country_code", "countryCode", "country_name") and self._geoip_calls:
                    return "country"
                resolved = an.resolve(current)
                if resolved in ("navigator.language", "navigator.languages", "navigator.userLanguage"):
                    return "locale"
                if resolved is not None and resolved.startswith("process.env."):
                    var = resolved.split(".", 2)[2]
                    if var in self.cfg.locale_env:
                        return "time zone" if var == "TZ" else "locale"
                if prop == "locale" and b"resolvedOptions" in an.data[current.start_byte : current.end_byte]:
                    return "locale"
            elif kind == "call_expression":
                fn = current.child_by_field_name("function")
                if fn is not None and fn.type == "member_expression" and an._prop_of(fn) == "getTimezoneOffset":
                    return "time zone"
            elif kind == "identifier" and depth < _MAX_DEPTH:
                for binding in an._lookup(current)[:4]:
                    value = binding.node
                    if value is not None and value.end_byte - value.start_byte <= _MAX_BOUND_VALUE:
                        found = self._targeting_read(value, depth + 1)
                        if found is not None:
                            return found
            elif kind in _FUNCTION_NODES:
                continue  # a function literal in a condition is not evaluated by it
            stack.extend(current.named_children)
        return None


def scan(an: Analyzer, deadline: float = float("inf")) -> None:
    """Append behaviour findings for one analysed tree; ParseTimeout past `deadline` (the file's parse budget)."""
    Behaviour(an, deadline).run()

"""Doc coverage of exported declarations (the `symbols-docs` factor), with real parsers.

JS/TS (tree-sitter): `export` function / class / const / let / var / interface / type / enum / namespace, `export
default`, `export { local }` (resolved to the local declaration), TS `export =`, and CommonJS `module.exports = {...}`
members, `module.exports = x`, `exports.x =` / `module.exports.x =`. Re-exports from other modules (`export ... from`,
`require(...)`) are not counted here: they are counted in the file that declares them. A declaration is documented
when a `/** ... */` JSDoc comment immediately precedes it (only whitespace or `//` line comments between); module
docs (`@module`, `@license`, `@packageDocumentation`, `@fileoverview`) and empty `/** */` do not count.

Python (CPython `ast`): public top-level `def` and `class` (names in a literal `__all__` when there is one, else
names not starting with `_`), documented when they have a docstring.

The declarations are read by `extgate.declarations` from a parsed tree. For files the code gate parsed, that is the
code gate's own tree (`CodeFile.symbols`): no second parse. Files it did not parse (no prefilter hit, over its size
limit, a parse error) are parsed here by `file_symbols`, a pure function of (bytes, language): cacheable by content
hash and safe in worker processes. A Python file deeper than `max_python_nesting` syntax levels but within the code
gate's own limit (`[code] python_max_depth`) is counted from the code gate's tree; only a file parsed here is
refused at that depth (the code gate's pre-check, with this limit, then runs here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from operator import sub

from extgate import pyparse
from extgate.declarations import js_declarations, python_declarations
from extgate.facts import Symbol
from extgate.gates.interface import FileMapper
from extgate.lang import GRAMMAR_FOR_SUFFIX, parser_for
from extgate.model import Entry, Package

MAX_SAMPLE = 20  # undocumented names kept per file / per package for the hint
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


def coverage(
    package: Package,
    limits: Limits | None = None,
    *,
    mapper: FileMapper | None = None,
    parsed: Mapping[str, tuple[str, tuple[Symbol, ...]]] | None = None,
) -> Coverage:
    """`mapper` runs `file_symbols` through the engine's result cache (same results). `parsed`: path -> (language,
    symbols) the code gate already read from its own parse of the file (CodeFile.symbols); those files are not
    parsed again. The rest (files the code gate skipped) are parsed here."""
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
    known = {index: result for index, entry in picked if (result := _known(entry, parsed, limits)) is not None}
    calls = [(entry.path, entry.data or b"") for index, entry in picked if index not in known]
    if mapper is None:
        computed = [file_symbols(path, data, limits.max_python_nesting) for path, data in calls]
    else:
        computed = mapper.map(file_symbols, calls, limits.max_python_nesting)
    rest = iter(computed)
    results = [known[index] if index in known else next(rest) for index, _ in picked]
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


def _known(
    entry: Entry, parsed: Mapping[str, tuple[str, tuple[Symbol, ...]]] | None, limits: Limits
) -> FileSymbols | None:
    """The code gate's symbols for `entry` when they are what `file_symbols` would compute: same grammar (so the
    same tree) and, for Python, within the bracket nesting limit (checked on the bytes, as `python_symbols` does)."""
    if not parsed or entry.path not in parsed:
        return None
    language, symbols = parsed[entry.path]
    if language != grammar_for(entry.path):
        return None
    if language == "python" and _nesting(entry.data or b"") > limits.max_python_nesting:
        return None  # file_symbols reports it as not parsed
    return FileSymbols(entry.path, symbols)


def grammar_for(path: str) -> str:
    """The parser `file_symbols` uses for `path`: a tree-sitter grammar, 'python', or '' (no symbols)."""
    lower = path.lower()
    if lower.endswith(".py"):
        return "python"
    if lower.endswith(_DECLARATION_SUFFIXES):
        return "typescript"
    return GRAMMAR_FOR_SUFFIX.get(lower[lower.rfind(".") :], "")


def select_sources(package: Package) -> tuple[str, list[Entry]]:
    """The public surface to judge: TypeScript sources if any, else declaration files, else JavaScript; plus Python
    modules. Tests, examples, fixtures, node_modules and minified bundles are not API."""
    ts: list[Entry] = []
    dts: list[Entry] = []
    js: list[Entry] = []
    py: list[Entry] = []
    for entry in package.iter_files():
        parts = entry.path.split("/")
        name = parts[-1]  # entry.name
        lower = name.lower()
        if not _SKIP_DIRS.isdisjoint(parts[:-1]) or name.startswith(".") or _TEST_NAME.search(lower):
            continue
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
    grammar = grammar_for(path)
    if grammar == "python":
        return python_symbols(path, data, max_python_nesting)
    if not grammar:
        return FileSymbols(path, error="not a JavaScript/TypeScript/Python file")
    return FileSymbols(path, tuple(js_symbols(data, grammar)))


# -- JavaScript / TypeScript ------------------------------------------------------------------------------------


def js_symbols(source: bytes, grammar: str) -> list[Symbol]:
    """Exported declarations of one module, in source order, one per exported name (documented if any
    declaration of that name is)."""
    return list(js_declarations(parser_for(grammar).parse(source).root_node, source))


# -- Python -------------------------------------------------------------------------------------------------------


def python_symbols(path: str, data: bytes, max_nesting: int = 100) -> FileSymbols:
    if _nesting(data) > max_nesting:
        return FileSymbols(path, error=f"brackets nested deeper than {max_nesting}; not parsed")
    try:  # the code gate's pre-check: the same bounds, so both refuse the same files
        tree = pyparse.check(data, max_nesting, _PYTHON_BUDGET_MS)
    except pyparse.Unparseable as exc:
        return FileSymbols(path, error=f"not parsable as Python ({exc.reason}: {exc.detail})")
    return FileSymbols(path, python_declarations(tree, data))


def _nesting(data: bytes) -> int:
    """Deepest bracket nesting (strings not excluded: an over-estimate is the safe side); a closer with nothing open
    leaves the depth at 0.

    Without a Python step per bracket: with S_i the running sum of +1 (opener) / -1 (closer), the clamped depth after
    bracket i is S_i - min(0, S_1..S_i), so the deepest is the largest such difference (itertools in C)."""
    brackets = data.translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    sums = list(accumulate(map(_STEP.__getitem__, brackets)))
    lows = accumulate(sums, min, initial=0)
    next(lows)  # lows[i] = min(0, S_1..S_i), aligned with sums[i]
    deepest: int = max(map(sub, sums, lows))
    return max(0, deepest)


_STEP = tuple(1 if byte in b"([{" else -1 for byte in range(256))
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"()[]{}")

"""The code gate: parser-based code rules over every code file of the package, and the code facts.

    for each .js/.mjs/.cjs/.jsx/.ts/.mts/.cts/.tsx/.py/.html file (dist/ and bundles included), then for each
    file Node would run as JavaScript whatever its extension (loaded.py: `require("./notes.txt")`):
        analyze_file(path, suffix, bytes, config) -> FileAnalysis      (pure; see analysis.py)
    -> findings (rule metadata attached here) + CodeFacts(imports, api_uses, stats) for later gates

Public entry points: `CodeGate`, `analyze_file`, `build_config`.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from extgate.facts import ApiUse, Behaviour, CodeFacts, CodeFile, ImportRef
from extgate.frozen import FrozenMap
from extgate.gates.code import loaded
from extgate.gates.code.analysis import UNPARSED, analyze_file
from extgate.gates.code.behaviour import BEHAVIOUR_RULES
from extgate.gates.code.config import build_config
from extgate.gates.code.interface import LANGUAGE_FOR_SUFFIX, FileAnalysis
from extgate.gates.interface import GateContext, GateResult
from extgate.model import Entry, Finding

__all__ = ["CodeGate", "analyze_file", "build_config"]

log = logging.getLogger("extgate.code")
_MAX_LOAD_ROUNDS = 32  # require chains through non-code files followed link by link this deep (a map each)


class CodeGate:
    name = "code"

    def run(self, ctx: GateContext) -> GateResult:
        config = build_config(ctx.rules, ctx.setting)
        out = _Collected(ctx)
        calls = [out.call(entry, entry.suffix) for entry in ctx.package.files if entry.suffix in LANGUAGE_FOR_SUFFIX]
        # then what Node would run as JavaScript whatever its extension (`require("./notes.txt")`, a `main` of
        # lib/index.dat): reached from the entry points and the require calls found so far, until none is new
        tree = loaded.Files(ctx.package)
        seen = {entry.path for entry in ctx.package.files if entry.suffix in LANGUAGE_FOR_SUFFIX}
        # inline `node -e` code of the install scripts: only what it requires counts here (loaded from the root)
        inline = [("package.json", ".js", code) for code in loaded.install_inline_code(tree)]
        inline_imports = [ref for result in ctx.map_files(analyze_file, inline, config) for ref in result.imports]
        reached: Iterable[Entry] = [*loaded.entry_points(tree), *loaded.required(tree, inline_imports)]
        for entry in loaded.install_python_files(tree):  # `python setup.dat`: Python whatever the extension
            if entry.suffix != ".py" and entry.path not in seen:
                seen.add(entry.path)
                calls.append(out.call(entry, ".py"))
        for rounds in itertools.count(1):
            found = out.add(calls, ctx.map_files(analyze_file, [c for c in calls if c is not None], config))
            calls = []
            for entry in (*reached, *loaded.required(tree, found)):
                if entry.path not in seen and loaded.runs_as_script(entry):
                    seen.add(entry.path)
                    out.stats["loaded-as-javascript"] += 1
                    calls.append(out.call(entry, ".js"))
            # a chain deeper than this is not followed link by link (one map each): every file that could be run
            # is analysed in the next round instead, so no depth hides one (the loop ends: each file runs once)
            reached = [e for e in ctx.package.files if e.path not in seen] if rounds == _MAX_LOAD_ROUNDS else ()
            if not calls and not reached:
                break
        log.debug("code gate: %s", dict(sorted(out.stats.items())))
        return GateResult(tuple(out.findings), replace(ctx.facts, code=out.facts()))


class _Collected:
    """What the gate's rounds of `analyze_file` add up to: findings, facts and counters."""

    def __init__(self, ctx: GateContext) -> None:
        self.ctx = ctx
        self.findings: list[Finding] = []
        self.imports: list[ImportRef] = []
        self.api_uses: list[ApiUse] = []
        self.files: list[CodeFile] = []
        self.behaviours: list[Behaviour] = []
        self.stats: Counter[str] = Counter()

    def call(self, entry: Entry, suffix: str) -> tuple[str, str, bytes] | None:
        """The analyze_file call for a file, or None when it was not read (reported: never a silent skip)."""
        self.stats["files"] += 1
        if entry.data is None or entry.truncated:
            self.stats["unread"] += 1
            if self.ctx.enabled(UNPARSED):
                self.findings.append(_unread(self.ctx, entry))
        return (entry.path, suffix, entry.data) if entry.data is not None else None

    def add(self, calls: Sequence[tuple[str, str, bytes] | None], results: Sequence[FileAnalysis]) -> list[ImportRef]:
        """Take in one round's results; returns the imports they found (the next round resolves them)."""
        found: list[ImportRef] = []
        for (path, _, _), result in zip([c for c in calls if c is not None], results, strict=True):
            _count(self.stats, result)
            found += result.imports
            self.api_uses += result.api_uses
            if not result.findings:  # most files: no hit, so no flags and no behaviours
                self.files.append(CodeFile(result.path, result.language, False, False, (), result.symbols))
                continue
            enabled = self.ctx.enabled
            self.findings += (self.ctx.hit_finding(path, raw) for raw in result.findings if enabled(raw.rule_id))
            self.files.append(_file_flags(result))
            self.behaviours += _behaviours(path, result)
        self.imports += found
        return found

    def facts(self) -> CodeFacts:
        return CodeFacts(
            imports=tuple(self.imports),
            api_uses=tuple(self.api_uses),
            stats=FrozenMap(dict(sorted(self.stats.items()))),
            files=tuple(self.files),
            behaviours=tuple(self.behaviours),
        )


def _file_flags(result: FileAnalysis) -> CodeFile:
    first: dict[str, int] = {}
    for hit in result.findings:
        first.setdefault(hit.rule_id, hit.line or 0)
    return CodeFile(
        result.path,
        result.language,
        "code/obfuscated" in first,
        "code/minified" in first,
        tuple(sorted(first.items())),
        result.symbols,
    )


def _behaviours(path: str, result: FileAnalysis) -> list[Behaviour]:
    """Behaviour-rule hits as facts (before policy filtering: the drift gate compares what the code does)."""
    found = []
    for hit in result.findings:
        if hit.rule_id in BEHAVIOUR_RULES:
            kind = dict(hit.properties).get("kind", hit.rule_id.split("/", 1)[1])
            found.append(Behaviour(hit.rule_id, str(kind), path, hit.line or 0))
    return found


def _count(stats: Counter[str], result: FileAnalysis) -> None:
    if result.parsed:
        stats["parsed"] += 1
    if result.skip_reason:
        stats[f"skipped:{result.skip_reason}"] += 1
    if result.syntax_errors:
        stats["syntax_errors"] += 1


def _unread(ctx: GateContext, entry: Entry) -> Finding:
    what = "was cut off at an intake limit" if entry.truncated else "was not read (over an intake limit)"
    return ctx.finding(
        UNPARSED,
        f"{entry.path} {what}, so the code rules checked {'only part of it' if entry.data else 'none of it'}. "
        "Review it by hand or shrink it below the archive limits.",
        path=entry.path,
        evidence="unparsed:unread",
        properties={"reason": "truncated" if entry.truncated else "unread"},
    )

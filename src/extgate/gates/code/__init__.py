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
from collections.abc import Iterable
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
        findings: list[Finding] = []
        imports: list[ImportRef] = []
        api_uses: list[ApiUse] = []
        files: list[CodeFile] = []
        behaviours: list[Behaviour] = []
        stats: Counter[str] = Counter()
        calls: list[tuple[str, str, bytes]] = []
        for entry in ctx.package.files:
            if entry.suffix not in LANGUAGE_FOR_SUFFIX:
                continue
            stats["files"] += 1
            if entry.data is None or entry.truncated:
                stats["unread"] += 1
                if ctx.enabled(UNPARSED):
                    findings.append(_unread(ctx, entry))
                if entry.data is None:
                    continue
            calls.append((entry.path, entry.suffix, entry.data))
        # then what Node would run as JavaScript whatever its extension (`require("./notes.txt")`, a `main` of
        # lib/index.dat): reached from the entry points and the require calls found so far, until none is new
        tree = loaded.Files(ctx.package)
        seen = {path for path, _, _ in calls}
        reached: Iterable[Entry] = loaded.entry_points(tree)
        for rounds in itertools.count(1):
            found: list[ImportRef] = []
            for (path, _, _), result in zip(calls, ctx.map_files(analyze_file, calls, config), strict=True):
                _count(stats, result)
                found += result.imports
                api_uses += result.api_uses
                if not result.findings:  # most files: no hit, so no flags and no behaviours
                    files.append(CodeFile(result.path, result.language, False, False, (), result.symbols))
                    continue
                findings += (ctx.hit_finding(path, raw) for raw in result.findings if ctx.enabled(raw.rule_id))
                files.append(_file_flags(result))
                behaviours += _behaviours(path, result)
            imports += found
            calls = []
            for entry in (*reached, *loaded.required(tree, found)):
                if entry.path not in seen and loaded.runs_as_script(entry) and entry.data is not None:
                    seen.add(entry.path)
                    stats["loaded-as-javascript"] += 1
                    if entry.truncated and ctx.enabled(UNPARSED):
                        findings.append(_unread(ctx, entry))
                    calls.append((entry.path, ".js", entry.data))
            # a chain deeper than this is not followed link by link (one map each): every file that could be run
            # is analysed in the next round instead, so no depth hides one (the loop ends: each file runs once)
            reached = [e for e in ctx.package.files if e.path not in seen] if rounds == _MAX_LOAD_ROUNDS else ()
            if not calls and not reached:
                break
        log.debug("code gate: %s", dict(sorted(stats.items())))
        facts = CodeFacts(
            imports=tuple(imports),
            api_uses=tuple(api_uses),
            stats=FrozenMap(dict(sorted(stats.items()))),
            files=tuple(files),
            behaviours=tuple(behaviours),
        )
        return GateResult(tuple(findings), replace(ctx.facts, code=facts))


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

"""`analyze_file`: the per-file work of the code gate, a pure function of (path, suffix, bytes, config).

    prefilter (hyperscan) -> text checks (Trojan Source, obfuscation/minified) -> parse only when a parse-group
    pattern matched and the file is within the byte cap -> rules and facts

The result depends on nothing else (no clock except the parse budget, no policy switches, no globals but immutable
caches), so it can be cached by content hash and computed in worker processes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from tree_sitter import Point

from extgate.facts import ApiUse, ImportRef, Symbol
from extgate.gates.code import html, javascript, jsfacts, literals, obfuscation, py_behaviour, python
from extgate.gates.code.interface import (
    GROUP_OBFUSCATION,
    GROUP_PARSE,
    GROUP_TROJAN,
    LANGUAGE_FOR_SUFFIX,
    CodeConfig,
    FileAnalysis,
    RawFinding,
)
from extgate.gates.code.prefilter import Prefilter, PrefilterHits, compiled
from extgate.gates.code.textscan import InString, position, trojan_findings
from extgate.model import Level

UNPARSED = "safety/unparsed-file"
_REASONS = {
    "too-large": "it is larger than the parse limit",
    "timeout": "parsing exceeded the time budget",
    "syntax": "it is not valid code for its file type",
    "too-deep": "its syntax nests too deeply to parse safely",
    "too-complex": "it is too complex to parse within the time budget",
    "too-many-scripts": "it has more inline scripts than the scan limit",
}


def analyze_file(path: str, suffix: str, data: bytes, config: CodeConfig) -> FileAnalysis:
    lang = LANGUAGE_FOR_SUFFIX.get(suffix.lower())
    if lang is None:
        return FileAnalysis(path, skip_reason="not-code")
    hits = _prefilter(config).scan(data)
    if lang == "html":
        return _html(path, data, config, hits)
    findings: list[RawFinding] = []
    if GROUP_TROJAN in hits.groups:
        findings += _trojan(data, None, config, _string_test(data, lang, config))
    if lang != "python":
        findings += _obfuscation(data, 0, len(data), config, hits, check_minified=True)
    base = FileAnalysis(path, lang, prefilter_hits=tuple(sorted(hits.names)))
    # Python identifiers are NFKC-normalized (`ｅｖａｌ` is eval), so any non-ASCII Python file is parsed too
    needs_parse = GROUP_PARSE in hits.groups or (lang == "python" and not data.isascii())
    if not needs_parse:
        return _done(base, findings, config, skip_reason="no-prefilter-hit")
    if len(data) > config.max_parse_bytes:
        findings.append(_unparsed(path, "too-large", f"{len(data):,} bytes > {config.max_parse_bytes:,}", hits))
        return _done(base, findings, config, skip_reason="too-large")
    deadline = time.monotonic() + config.parse_timeout_ms / 1000
    if lang == "python":
        try:
            checked = python.check(data, config)
            py = python.analyze(path, data, config, deadline, checked)
        except python.Unparseable as exc:
            findings.append(_unparsed(path, exc.reason, exc.detail, hits))
            return _done(base, findings, config, skip_reason=exc.reason)
        behaviours = py_behaviour.tree_findings(
            checked.tree, config.behaviour, config.max_findings_per_rule, checked.nodes
        )
        return _done(
            base,
            findings + py.findings + behaviours,
            config,
            py.imports,
            py.api_uses,
            parsed=True,
            totals=py.totals,
            symbols=py.symbols,
        )
    imports_only = jsfacts.only_import_tokens(hits, config)  # no rule token: the facts may skip the rule walk
    try:
        js = javascript.analyze(path, data, lang, config, deadline, imports_only=imports_only)
    except javascript.ParseTimeout:
        detail = f"parsing and analysis did not finish within {config.parse_timeout_ms} ms"
        findings.append(_unparsed(path, "timeout", detail, hits))
        return _done(base, findings, config, skip_reason="timeout")
    except javascript.TooDeep as exc:
        findings.append(_unparsed(path, "too-deep", str(exc), hits))
        return _done(base, findings, config, skip_reason="too-deep")
    except RecursionError:  # the resolvers bound their own depth (bounded.py); this is the backstop
        findings.append(_unparsed(path, "too-deep", "nesting too deep for the analysis", hits))
        return _done(base, findings, config, skip_reason="too-deep")
    return _done(
        base,
        findings + js.findings,
        config,
        js.imports,
        js.api_uses,
        parsed=True,
        syntax_errors=js.syntax_errors,
        totals=js.totals,
        symbols=js.symbols,
    )


_PREFILTERS: dict[int, tuple[CodeConfig, Prefilter]] = {}


def _prefilter(config: CodeConfig) -> Prefilter:
    """The compiled prefilter of a config, looked up by identity first: `compiled()` hashes the pattern tuple
    (69 dataclasses) on every call, which costs more than scanning a small file."""
    found = _PREFILTERS.get(id(config))
    if found is not None and found[0] is config:
        return found[1]
    prefilter = compiled(config.prefilter, config.prefilter_backend)
    if len(_PREFILTERS) > 64:
        _PREFILTERS.clear()
    _PREFILTERS[id(config)] = (config, prefilter)
    return prefilter


_MAX_HTML_NESTING = 3  # srcdoc inside srcdoc ...: documents analysed this deep, deeper ones reported


def _html(path: str, data: bytes, config: CodeConfig, hits: PrefilterHits, nesting: int = 0) -> FileAnalysis:
    """The document's inline scripts, then the code its attributes hold (event handlers, javascript: and data:
    URLs), decoded as a browser decodes them. The file's own prefilter hits say nothing about decoded attribute
    code (`onerror="&#101;val(x)"`), so attributes are looked for in every document."""
    document = _html_scripts(path, data, config, hits)
    deadline = time.monotonic() + config.parse_timeout_ms / 1000
    try:
        attributes, omitted = html.attribute_code(data, deadline=deadline)
    except (html.ScanTimeout, html.ScanTooComplex) as exc:
        reason = "timeout" if isinstance(exc, html.ScanTimeout) else "too-complex"
        extra = [_unparsed(path, reason, "attribute values not scanned within the budget", hits)]
        return replace(document, findings=(*document.findings, *extra))
    if not attributes and not omitted:
        return document
    findings = list(document.findings)
    imports, apis = list(document.imports), list(document.api_uses)
    if omitted:
        findings.append(_unparsed(path, "too-many-scripts", f"{omitted} attribute scripts not scanned", hits))
    for attribute in attributes:
        where = html.point_at(data, attribute.offset)
        if attribute.language == "html" and nesting >= _MAX_HTML_NESTING:
            detail = f"an `{attribute.name}` document nested more than {_MAX_HTML_NESTING} deep"
            findings.append(_shifted(_unparsed(path, "too-deep", detail, hits), where))
            continue
        code = (
            _html(path, attribute.code, config, _prefilter(config).scan(attribute.code), nesting + 1)
            if attribute.language == "html"
            else analyze_file(path, ".js", attribute.code, config)
        )
        findings += (_shifted(hit, where) for hit in code.findings)
        imports += (replace(ref, line=ref.line + where.row) for ref in code.imports)
        apis += (replace(use, line=use.line + where.row) for use in code.api_uses)
        if attribute.truncated:
            findings.append(_unparsed(path, "too-large", f"an `{attribute.name}` value over 1 MiB", hits))
    return _done(
        document, findings, config, imports, apis, parsed=True, skip_reason="",
        syntax_errors=document.syntax_errors, symbols=document.symbols,
    )  # fmt: skip


def _shifted(hit: RawFinding, where: Point) -> RawFinding:
    """A finding in attribute code, placed in the document (columns shift on the value's first line only)."""
    if hit.line is None:
        return replace(hit, line=where.row + 1, column=where.column + 1)

    def column(line: int | None, col: int | None) -> int | None:
        return col + where.column if line == 1 and col is not None else col

    return replace(
        hit,
        line=hit.line + where.row,
        column=column(hit.line, hit.column),
        end_line=hit.end_line + where.row if hit.end_line is not None else None,
        end_column=column(hit.end_line, hit.end_column),
    )


def _html_scripts(path: str, data: bytes, config: CodeConfig, hits: PrefilterHits) -> FileAnalysis:
    """Every document's script tags are found (remote `<script src>` needs no prefilter token); their code is
    analysed when the prefilter saw something to analyse."""
    base = FileAnalysis(path, "html", prefilter_hits=tuple(sorted(hits.names)))
    deadline = time.monotonic() + config.parse_timeout_ms / 1000  # one budget for the whole document
    findings: list[RawFinding] = []
    try:
        scripts = html.script_ranges(data, deadline=deadline)
    except html.ScanTimeout:
        findings.append(
            _unparsed(path, "timeout", f"inline scripts not found within {config.parse_timeout_ms} ms", hits)
        )
        return _done(base, findings, config, skip_reason="timeout")
    except html.ScanTooComplex:
        budget = html.work_budget(len(data))
        findings.append(
            _unparsed(path, "too-complex", f"inline scripts not found within {budget:,} bytes of tag scanning", hits)
        )
        return _done(base, findings, config, skip_reason="too-complex")
    findings += (_remote_script(data, remote) for remote in scripts.remote)
    if not hits.groups:
        return _done(base, findings, config, skip_reason="no-prefilter-hit")
    if GROUP_TROJAN in hits.groups:
        findings += _trojan(data, scripts.ranges, config)
    for start, end in scripts.ranges:
        findings += _obfuscation(data, start, end, config, hits, check_minified=False)
    if scripts.omitted:
        findings.append(_unparsed(path, "too-many-scripts", f"{scripts.omitted} scripts not scanned", hits))
    if GROUP_PARSE not in hits.groups or not scripts.ranges:
        return _done(base, findings, config, skip_reason="no-prefilter-hit" if scripts.ranges else "")
    if len(data) > config.max_parse_bytes:
        findings.append(_unparsed(path, "too-large", f"{len(data):,} bytes > {config.max_parse_bytes:,}", hits))
        return _done(base, findings, config, skip_reason="too-large")
    imports: list[ImportRef] = []
    apis: list[ApiUse] = []
    totals: Counter[tuple[str, Level | None]] = Counter()
    syntax_errors = False
    for start, end in scripts.ranges:
        try:
            js = javascript.analyze(path, data, "javascript", config, deadline, [html.ts_range(data, start, end)])
        except javascript.ParseTimeout:
            findings.append(_unparsed(path, "timeout", f"not analysed within {config.parse_timeout_ms} ms", hits))
            return _done(base, findings, config, imports, apis, skip_reason="timeout")
        except (javascript.TooDeep, RecursionError) as exc:
            detail = str(exc) if isinstance(exc, javascript.TooDeep) else "nesting too deep for the analysis"
            findings.append(_unparsed(path, "too-deep", detail, hits))
            return _done(base, findings, config, imports, apis, skip_reason="too-deep")
        findings += js.findings
        imports += js.imports
        apis += js.api_uses
        totals.update(js.totals)
        syntax_errors |= js.syntax_errors
    return _done(base, findings, config, imports, apis, parsed=True, syntax_errors=syntax_errors, totals=totals)


def _string_test(data: bytes, lang: str, config: CodeConfig) -> InString | None:
    """A lazy 'is this byte range inside a string literal?' for the file: the parse runs only when a joiner
    (U+200C / U+200D) is actually present."""
    if b"\xe2\x80\x8c" not in data and b"\xe2\x80\x8d" not in data:
        return None
    spans: list[literals.Spans] = []

    def in_string(start: int, end: int) -> bool:
        if not spans:
            too_large = len(data) > config.max_parse_bytes
            if too_large:
                spans.append(literals.Spans([]))
            elif lang == "python":
                spans.append(literals.python(data))
            else:
                spans.append(literals.javascript(data, lang, config.parse_timeout_ms))
        return spans[0].contains(start, end)

    return in_string


def _trojan(
    data: bytes, ranges: Sequence[tuple[int, int]] | None, config: CodeConfig, in_string: InString | None = None
) -> list[RawFinding]:
    found, total = trojan_findings(data, ranges, limit=config.max_findings_per_rule, in_string=in_string)
    if total > len(found) and found:
        last = found[-1]
        found[-1] = _with_more(last, total - len(found))
    return found


def _obfuscation(
    data: bytes, start: int, end: int, config: CodeConfig, hits: PrefilterHits, *, check_minified: bool
) -> list[RawFinding]:
    region = data[start:end] if (start, end) != (0, len(data)) else data
    if GROUP_OBFUSCATION in hits.groups:
        verdict = obfuscation.classify(region, config.obfuscation, check_minified=check_minified)
    else:
        verdict = obfuscation.Verdict(False, check_minified and obfuscation.is_minified(region, config.obfuscation))
    if verdict.obfuscated:
        line, column = position(data, start + verdict.offset)
        signals = "; ".join(verdict.signals)
        return [
            RawFinding(
                rule_id="code/obfuscated",
                message=(
                    f"obfuscated JavaScript ({signals}): nobody can review what it does, which is why malicious "
                    "packages use it. Publish the readable source, or a normally minified build with its source map."
                ),
                line=line,
                column=column,
                evidence=f"obfuscated:{verdict.signals[0]}",
                properties=(("signals", verdict.signals),),
            )
        ]
    if verdict.minified:
        return [
            RawFinding(
                rule_id="code/minified",
                message=(
                    "minified JavaScript: machine-readable but hard to review. Fine for a published bundle; ship "
                    "the source map or the unminified source alongside so users can audit it."
                ),
                line=1,
                column=1,
                evidence="minified",
            )
        ]
    return []


def _remote_script(data: bytes, remote: html.RemoteScript) -> RawFinding:
    where = html.point_at(data, remote.offset)
    url = remote.url if len(remote.url) <= 200 else remote.url[:199] + "…"
    pinned = (
        " Its `integrity` hash pins the content, but that content is still not in the archive."
        if remote.pinned
        else " Nothing pins what it serves: whoever controls that host controls this page."
    )
    return RawFinding(
        rule_id="code/remote-script",
        message=(
            f"<script src={url!r}> runs code fetched from another host when the page loads, code no review or scan "
            f"of the package has seen.{pinned} Ship the script in the package and load it by a relative path."
        ),
        line=where.row + 1,
        column=where.column + 1,
        snippet=f"<script src={url!r}>",
        evidence=f"script-src:{url}",
        level=Level.NOTE if remote.pinned else None,
        properties=(("url", url), ("integrity", remote.pinned)),
    )


def _unparsed(path: str, reason: str, detail: str, hits: PrefilterHits) -> RawFinding:
    tokens = sorted(hits.names - jsfacts.SHAPE_TOKENS)  # `[` and `globalThis` tell a reviewer nothing
    seen = f" The prefilter saw: {', '.join(tokens[:12])}." if tokens else ""
    return RawFinding(
        rule_id=UNPARSED,
        message=(
            f"{path} was not analysed because {_REASONS.get(reason, reason)} ({detail}), so the code rules "
            f"(eval, subprocess, environment access, imports) did not check it.{seen} Review it by hand, split or "
            "shrink it, or raise `[code] max_parse_bytes` / `parse_timeout_ms` in the policy."
        ),
        evidence=f"unparsed:{reason}",
        properties=(("reason", reason), ("prefilter", tuple(tokens))),
    )


def _with_more(finding: RawFinding, more: int) -> RawFinding:
    return replace(
        finding,
        message=f"{finding.message} ({more} more in this file not shown)",
        properties=(*finding.properties, ("more_in_file", more)),
    )


def _cap(
    findings: Iterable[RawFinding], limit: int, counted: Mapping[tuple[str, Level | None], int]
) -> tuple[RawFinding, ...]:
    """At most `limit` findings per rule and level in one file; the last one kept counts the rest (including hits
    the analyzers only counted, `counted`)."""
    ordered = sorted(findings, key=_position)
    if not ordered:
        return ()
    if len(ordered) == 1 and not counted and limit >= 1:  # one finding, nothing counted beyond it: kept as is
        return (ordered[0],)
    built: Counter[tuple[str, Level | None]] = Counter((f.rule_id, f.level) for f in ordered)
    kept: list[RawFinding] = []
    seen: Counter[tuple[str, Level | None]] = Counter()
    for finding in ordered:
        key = (finding.rule_id, finding.level)
        seen[key] += 1
        if seen[key] > limit:
            continue
        last = seen[key] == min(limit, built[key])
        more = max(built[key], counted.get(key, 0)) - seen[key] if last else 0
        kept.append(_with_more(finding, more) if more > 0 else finding)
    return tuple(kept)


def _position(finding: RawFinding) -> tuple[int, int, str, str]:
    return (finding.line or 0, finding.column or 0, finding.rule_id, finding.message)


def _done(
    base: FileAnalysis,
    findings: list[RawFinding],
    config: CodeConfig,
    imports: Sequence[ImportRef] = (),
    api_uses: Sequence[ApiUse] = (),
    *,
    parsed: bool = False,
    skip_reason: str = "",
    syntax_errors: bool = False,
    totals: Mapping[tuple[str, Level | None], int] | None = None,
    symbols: tuple[Symbol, ...] | None = None,
) -> FileAnalysis:
    # the constructor, not dataclasses.replace: this runs once per code file
    return FileAnalysis(
        base.path,
        base.language,
        _cap(findings, config.max_findings_per_rule, totals or {}),
        tuple(sorted(imports, key=lambda ref: ref.line)) if len(imports) > 1 else tuple(imports),  # stable sort
        tuple(sorted(api_uses, key=lambda use: use.line)) if len(api_uses) > 1 else tuple(api_uses),
        base.prefilter_hits,
        parsed,
        skip_reason,
        syntax_errors,
        symbols,
    )

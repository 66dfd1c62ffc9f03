"""The prefilter sends computed member access and global objects to the parse (a fail-open fix).

`const a = "ev", b = "al"; globalThis[a + b](x)` writes no rule token: before the `computed-member` and
`global-root` patterns the file was never parsed and passed with no finding, while the full analysis reports it.
"""

from __future__ import annotations

import dataclasses

import pytest
from code_support import config

from extgate.gates.code import analyze_file
from extgate.gates.code.interface import GROUP_PARSE, CodeConfig, PrefilterPattern
from extgate.gates.code.jsresolve import (
    BUILTIN_CONSTRUCTORS,
    FUNCTION_CONSTRUCTORS,
    GLOBAL_OBJECTS,
    KNOWN_GLOBALS,
    PARAM_MEANINGS,
)
from extgate.gates.code.prefilter import available_backend, compiled

# Each file holds no other prefilter token (checked below): only the new patterns can send it to the parse.
EVASIONS = [
    ('const a="ev", b="al"; globalThis[a + b](x);', "code/dynamic-eval"),
    ('globalThis[("ev") + ("al")](x);', "code/dynamic-eval"),
    ('globalThis["ev" /**/ + "al"](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; window[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; self[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; global[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; frames[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; top[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; parent[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; globalThis?.[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; globalThis /* c */ [a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; globalThis\n// c\n[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; (0, globalThis)[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; const g = globalThis; g[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; const g = parent; g[a+b](x);', "code/dynamic-eval"),
    ('const a="ev", b="al"; (function (root) { root[a+b](x); })(this);', "code/dynamic-eval"),
    ('const a="constr", b="uctor"; (() => {})[a+b](x)();', "code/function-constructor"),
    ('const a="constr", b="uctor"; [][a+b][a+b](x)();', "code/function-constructor"),
    # computed keys (`{[k]: f}` after `{`, `,`) and Reflect.get: a member read by a computed name with no `x[`
    ("const {[k]: r} = module; r(m);", "code/dynamic-import"),
    ("const {a, [k]: r} = module; r(m);", "code/dynamic-import"),
    ('const a="ev", b="al"; const {[a+b]: e} = globalThis; e(x);', "code/dynamic-eval"),
    ("Reflect.get(globalThis, k)(x);", "code/dynamic-eval"),
    ("Reflect.get(module, k)(m);", "code/dynamic-import"),
]
# tokens that were in the pack before the fix: none may occur in an evasion, or the test proves nothing
_SHAPE = {"computed-member", "global-root", "reflect"}


def _match_all(cfg: CodeConfig) -> CodeConfig:
    """The same config with a prefilter that sends every file to the parser (the full analysis)."""
    return dataclasses.replace(cfg, prefilter=(*cfg.prefilter, PrefilterPattern("any", r"[\x00-\xff]", (GROUP_PARSE,))))


def _without_shape(cfg: CodeConfig) -> CodeConfig:
    return dataclasses.replace(cfg, prefilter=tuple(p for p in cfg.prefilter if p.name not in _SHAPE))


@pytest.mark.parametrize(("source", "rule"), EVASIONS)
def test_evasion_gets_the_full_analysis_finding(source: str, rule: str) -> None:
    cfg = config()
    data = source.encode()
    got = analyze_file("a.js", ".js", data, cfg)
    full = analyze_file("a.js", ".js", data, _match_all(cfg))
    assert set(got.prefilter_hits) <= _SHAPE, "another token sends this file to the parse anyway"
    assert rule in {f.rule_id for f in full.findings}
    assert got.parsed and got.findings == full.findings
    assert got.imports == full.imports and got.api_uses == full.api_uses
    # and without the new patterns the file is not parsed at all: the defect this closes
    assert analyze_file("a.js", ".js", data, _without_shape(cfg)).skip_reason == "no-prefilter-hit"


def test_module_computed_require_gets_the_full_facts() -> None:
    source = b'const a="requ", b="ire"; const m = `child_${"process"}`; module[a+b](m);'
    cfg = config()
    got = analyze_file("a.js", ".js", source, cfg)
    full = analyze_file("a.js", ".js", source, _match_all(cfg))
    assert got.parsed
    assert (got.findings, got.imports, got.api_uses) == (full.findings, full.imports, full.api_uses)


def resolver_roots() -> list[str]:
    """Every name the resolver gives a meaning when nothing binds it, or as a wrapper's parameter: each is a base
    from which a computed member (`R[a + b]`) can reach a rule's name."""
    names = GLOBAL_OBJECTS | KNOWN_GLOBALS | BUILTIN_CONSTRUCTORS | FUNCTION_CONSTRUCTORS | set(PARAM_MEANINGS)
    return sorted(names | {"module", "exports", "this"})


BACKENDS = ["re"] + (["hyperscan"] if available_backend() == "hyperscan" else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("root", resolver_roots())
def test_every_resolver_root_with_a_computed_member_is_parsed(root: str, backend: str) -> None:
    assert len(resolver_roots()) > 50
    prefilter = compiled(config().prefilter, backend)
    for form in (
        f"{root}[k]",
        f"{root} [k]",
        f"{root}?.[k]",
        f"{root} /* a * comment */ [k]",
        f"{root} /**/?./**/[k]",
        f"{root}\n// a comment\n[k]",
        f"({root})[k]",
        f"(0, {root})[k]",
        f"const g = {root}; g[k]",
    ):
        assert GROUP_PARSE in prefilter.scan(form.encode()).groups, form


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("root", ["globalThis", "window", "global", "self"])
def test_a_global_object_named_alone_is_parsed(root: str, backend: str) -> None:
    hits = compiled(config().prefilter, backend).scan(f"const g = {root};\nexport default g;\n".encode())
    assert "global-root" in hits.names and GROUP_PARSE in hits.groups


@pytest.mark.parametrize(
    "source",
    [
        '// const a="ev", b="al"; globalThis[a + b](x);\n',
        "/* window[a + b](x) */ const y = 1;\n",
        'const s = "globalThis[a + b](x)";\n',
        "const t = `self[k]`, u = 'global';\n",
        'const a="ev", b="al"; myglobalThis[a + b](x);\n',
        'const a="ev", b="al"; selfie[a + b](x); windowed[a + b](x);\n',
        'const a="ev", b="al"; const o = {}; o[a + b](x);\n',
        "const list = [1, 2]; list[0] + list[1];\n",
    ],
)
def test_the_words_and_brackets_alone_are_no_finding(source: str) -> None:
    got = analyze_file("a.js", ".js", source.encode(), config())
    assert not got.findings


def test_unparsed_message_lists_rule_tokens_not_shapes() -> None:
    got = analyze_file("a.js", ".js", b"globalThis[k](x); eval(y);\n" + b" " * 200, config(max_parse_bytes=100))
    (finding,) = got.findings
    assert finding.rule_id == "safety/unparsed-file" and got.skip_reason == "too-large"
    assert dict(finding.properties)["prefilter"] == ("eval",)
    assert "computed-member" not in finding.message and "global-root" not in finding.message

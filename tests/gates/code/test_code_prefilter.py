"""The prefilter: hyperscan and `re` agree, it is a superset of what the rules find, and it saves parses."""

from __future__ import annotations

import dataclasses

import pytest
from code_support import FIXTURES, config

from extgate.gates.code import analyze_file
from extgate.gates.code.interface import GROUP_PARSE, CodeConfig, PrefilterPattern
from extgate.gates.code.prefilter import available_backend, compiled

needs_hyperscan = pytest.mark.skipif(available_backend() != "hyperscan", reason="hyperscan is not installed here")

# Sources the rules flag, including the evasions a keyword list would miss.
FLAGGED = [
    ("a.js", "eval(x)"),
    ("a.js", 'window["\\x65v\\x61l"](x)'),
    ("a.js", 'self["e" + "val"](x)'),
    ("a.js", "top[String.fromCharCode(101,118,97,108)](x)"),
    ("a.js", 'parent[atob("ZXZhbA==")](x)'),
    ("a.js", '[]["constr" + "uctor"]["constr" + "uctor"](x)()'),
    ("a.js", "(()=>{}).constructor(x)"),
    ("a.js", 'setTimeout("x()", 1)'),
    ("a.js", 'const {exec} = require("child_process"); exec(c)'),
    ("a.js", "JSON.stringify(process.env)"),
    ("a.js", "Bun.$`ls`"),
    ("a.ts", 'new Deno.Command("ls")'),
    ("a.mjs", "await import(u)"),
    ("a.py", "exec(code)"),
    ("a.py", "getattr(__builtins__, 'ev' + 'al')(x)"),
    ("a.py", "import os\nos.system(c)"),
    ("a.html", "<script>eval(x)</script>"),
    ("a.js", "// \u202e"),
]


def _match_all(cfg: CodeConfig) -> CodeConfig:
    """The same config with a prefilter that sends every file to the parser."""
    return dataclasses.replace(cfg, prefilter=(*cfg.prefilter, PrefilterPattern("any", r"[\x00-\xff]", (GROUP_PARSE,))))


def _suffix(path: str) -> str:
    return "." + path.rsplit(".", 1)[-1]


@pytest.mark.parametrize(("path", "source"), FLAGGED)
def test_prefilter_never_hides_a_finding(path: str, source: str) -> None:
    cfg = config()
    data = source.encode()
    with_prefilter = analyze_file(path, _suffix(path), data, cfg)
    without = analyze_file(path, _suffix(path), data, _match_all(cfg))
    assert with_prefilter.findings, "the corpus entry should be flagged"
    assert with_prefilter.findings == without.findings


def test_file_without_hits_is_not_parsed() -> None:
    result = analyze_file("util.js", ".js", b"export const add = (a, b) => a + b;\n", config())
    assert result.skip_reason == "no-prefilter-hit" and not result.parsed
    assert result.prefilter_hits == ()


def test_hits_are_reported_by_name() -> None:
    result = analyze_file("a.js", ".js", b"const x = require('y'); fetch(u);", config())
    assert {"require", "fetch"} <= set(result.prefilter_hits)


@needs_hyperscan
def test_backends_agree_on_every_pattern_and_fixture() -> None:
    cfg = config()
    samples = [source.encode() for _, source in FLAGGED]
    samples += [p.read_bytes() for p in sorted(FIXTURES.rglob("*")) if p.is_file()]
    samples += [b"", b"\xff\xfe\x00binary", "ﾟωﾟﾉ= /｀ｍ´）ﾉ".encode(), b"$=~[];$={___:++$"]
    hs = compiled(cfg.prefilter, "hyperscan")
    rx = compiled(cfg.prefilter, "re")
    for sample in samples:
        assert hs.scan(sample) == rx.scan(sample)


def test_re_backend_gives_the_same_analysis() -> None:
    for name in ("obfuscated/obfuscator-default.js", "minified/sha256.min.js"):
        data = (FIXTURES / name).read_bytes()
        auto = analyze_file(name, ".js", data, config())
        plain = analyze_file(name, ".js", data, config(backend="re"))
        assert auto.findings == plain.findings and auto.imports == plain.imports


def test_compiled_database_is_cached() -> None:
    cfg = config()
    assert compiled(cfg.prefilter) is compiled(cfg.prefilter)

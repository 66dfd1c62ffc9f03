"""The imports-only fast path (jsfacts.py) gives exactly the full analysis' result, and never runs where a rule
could find something.

Each check compares `analyze_file` as shipped with the same call forced through the full analysis (the rule walk,
bindings, resolution, behaviour rules), field by field. The snippets are derived from the rule pack (call-matcher
names, env sinks, API names, rule examples) and from the names the analyzers compare with in code, so a rule
added later is covered without editing this file.
"""

from __future__ import annotations

import ast
import dataclasses
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from code_support import config, registry

from extgate.gates.code import analysis, behaviour, javascript, jsfacts, jsresolve
from extgate.gates.code.interface import FileAnalysis

SRC = Path(jsfacts.__file__).parent
TESTS = Path(__file__).resolve().parents[2]
# findings of the text checks, which run before (and whatever) the parse decides
TEXT_RULES = frozenset({"code/obfuscated", "code/minified", "code/trojan-source"})
IMPORT = 'import "./local.js";\n'  # an import token, so the file is parsed and may take the fast path


class Spy:
    """Counts the files the fast path answered (facts_only returned a result)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.taken = 0
        real = jsfacts.facts_only

        def spy(*args: object, **kwargs: object) -> object:
            result = real(*args, **kwargs)  # type: ignore[arg-type]
            self.taken += result is not None
            return result

        monkeypatch.setattr(jsfacts, "facts_only", spy)


def both(path: str, source: str | bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[FileAnalysis, FileAnalysis, bool]:
    """(as shipped, full analysis, whether the fast path answered)."""
    data = source.encode() if isinstance(source, str) else source
    suffix = "." + path.rsplit(".", 1)[-1]
    cfg = config()
    spy = Spy(monkeypatch)
    fast = analysis.analyze_file(path, suffix, data, cfg)
    taken = spy.taken > 0
    with monkeypatch.context() as forced:
        forced.setattr(jsfacts, "only_import_tokens", lambda hits, config: False)
        full = analysis.analyze_file(path, suffix, data, cfg)
    return fast, full, taken


def assert_same(path: str, source: str | bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[FileAnalysis, bool]:
    fast, full, taken = both(path, source, monkeypatch)
    for name in (f.name for f in dataclasses.fields(FileAnalysis)):
        assert getattr(fast, name) == getattr(full, name), f"{name} differs for {source!r}"
    if any(f.rule_id not in TEXT_RULES for f in full.findings) or full.api_uses:
        assert not taken, f"the fast path answered a file the rules report: {source!r}"
    return full, taken


# -- the names every JS rule and fact is about --------------------------------------------------------------------


def _code_names() -> set[str]:
    """Dotted canonical names written as string constants in the analyzers ('child_process.exec', 'Reflect.apply')."""
    names = set()
    for module in ("javascript.py", "jsresolve.py", "behaviour.py"):
        for node in ast.walk(ast.parse((SRC / module).read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                if "." in value and value.replace(".", "").replace("_", "").replace("*", "").isalnum():
                    names.add(value)
    return names


def rule_names() -> list[str]:
    cfg = config()
    names = set(jsfacts.canonical_names(cfg)) | _code_names()
    return sorted(n for n in names if "<" not in n)


def snippets(name: str) -> Iterator[str]:
    """Ways to call `name` with nothing spelled out but the name itself (wildcards: one concrete member)."""
    concrete = name.replace("*", "x").replace("?", "x")
    root, *rest = concrete.split(".")
    member = ".".join(rest)
    if root.replace("_", "").replace("$", "").isalnum() and not root[0].isdigit():
        yield f"{concrete}(a);"
        yield f"new {concrete}(a);"
        yield f"globalThis.{concrete}(a);"
        yield f"const f = {concrete}; f(a);"
    if member:
        yield f'const m = require("{root}"); m.{member}(a);'
        yield f'import * as m from "{root}"; m.{member}(a);'
        first, *more = rest
        yield f'import {{ {first} as f }} from "{root}"; f{"".join("." + p for p in more)}(a);'
        yield f'const {{ {first}: f }} = require("node:{root}"); f(a);'
    else:
        yield f'const m = require("{root}"); m(a); m.x(a);'
        yield f'import m from "{root}"; m(a);'


def test_import_tokens_are_prefilter_patterns() -> None:
    """A renamed pattern would silently switch the fast path off (or, worse, make a rule token look like one)."""
    names = {p.name: p for p in config().prefilter}
    assert names.keys() >= jsfacts.IMPORT_TOKENS
    assert {names[t].regex for t in jsfacts.IMPORT_TOKENS} == {"import", "require", r"""from\s*['"]"""}


def test_the_names_cover_every_rule_of_the_pack() -> None:
    names = set(rule_names())
    for matcher in config().call_matchers:
        assert set(matcher.javascript) <= names, matcher.rule_id
    assert {"eval", "Function", "require", "child_process.exec", "fs", "vm.Script", "process.env"} <= names
    assert len(names) > 150


@pytest.mark.parametrize("name", rule_names())
def test_a_rule_name_never_takes_the_fast_path_unseen(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way of reaching a rule's name in an otherwise import-only file gets the full analysis' result; where
    that result has a finding or an API fact, the fast path did not answer at all."""
    for snippet in snippets(name):
        assert_same("src/a.js", IMPORT + snippet, monkeypatch)
        assert_same("src/a.ts", IMPORT + snippet, monkeypatch)


def _examples() -> list[tuple[str, str]]:
    """The `example.bad` of every code rule the parser-based analysis reports (rules/code.yaml)."""
    return [
        (rule.id, rule.example_bad)
        for rule in registry()
        if rule.pack == "code" and rule.example_bad and rule.id not in TEXT_RULES | {"safety/unparsed-file"}
    ]


@pytest.mark.parametrize(("rule_id", "bad"), _examples())
def test_rule_examples_are_fully_analysed(rule_id: str, bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, taken = assert_same("src/example.js", IMPORT + bad, monkeypatch)
    assert not taken


def _fixture_sources() -> list[Path]:
    suffixes = {".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx"}
    return sorted(p for p in (TESTS / "fixtures").rglob("*") if p.suffix in suffixes and p.is_file())


@pytest.mark.parametrize("path", _fixture_sources(), ids=lambda p: str(p.relative_to(TESTS / "fixtures")))
def test_fixtures_agree_with_the_full_analysis(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    for source in (data, IMPORT.encode() + data):
        assert_same("src/" + path.name, source, monkeypatch)


# -- what the fast path answers, and what it leaves to the full analysis -------------------------------------------

TAKEN = [
    # CommonJS and ES module facts only
    "var $ = require('../internals/export');\nvar call = require('../internals/function-call');\n$({ target: 1 });",
    'import a, { b as c } from "./a.js";\nimport * as ns from "lodash";\nexport * from "./b.js";'
    "\nexport { d } from './d';\nimport '@scope/side-effect';",
    'const lazy = () => import("./lazy.js");\nconst t = require(`./template-no-substitution`);\nrequire(12);',
    "(function (require, module, exports) { module.exports = require('./inner'); })",
    "if (typeof require === 'function') { module.exports = require('./node'); }",
    # the words in comments, strings, regexes and longer names are not imports, and not reasons to give up
    '// require("http").get(u)\n/* import("fs") */\nrequire("./a");',
    'const help = "you must require a module";\nconst re = /import|export/;\nrequire("./a");',
    "const first = list[0], name = table['name'];\nrequire('./a');",
    "const exportsList = module.exports; const isImported = true; __non_webpack_require__('./x'); require('./a');",
]
TS_TAKEN = [
    'import x = require("./m");\nimport type { T } from "./types";\ntype L = typeof import("./lazy");',
    'export * from "./a";\nexport type { B } from "./b";\nlet c: import("./c").C;',
]


@pytest.mark.parametrize("source", TAKEN)
def test_import_only_files_take_the_fast_path(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    full, taken = assert_same("src/a.js", source, monkeypatch)
    assert taken and full.parsed and full.imports and not full.findings and not full.api_uses


@pytest.mark.parametrize("source", TS_TAKEN)
def test_typescript_import_only_files_take_the_fast_path(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    full, taken = assert_same("src/a.ts", source, monkeypatch)
    assert taken and full.imports


def test_facts_are_the_full_analysis_facts_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    source = 'require("./c"); import a from "./a"; export * from "./b";\nconst d = require("./d"), e = import("./e");'
    full, taken = assert_same("src/a.js", source, monkeypatch)
    assert taken
    assert [(i.specifier, i.line, i.kind) for i in full.imports] == [
        ("./a", 1, "static"),
        ("./b", 1, "static"),
        ("./c", 1, "require"),
        ("./d", 2, "require"),
        ("./e", 2, "dynamic"),
    ]


def test_comment_or_string_with_a_rule_token_is_analysed_in_full_and_finds_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rule token anywhere (here only in a comment and a string) sends the file down the full analysis, which
    then finds nothing: the keyword in a comment or a string is not a finding."""
    for source in ('// eval(x) and process.env\nrequire("./a");', 'const s = "exec(x)";\nrequire("./a");'):
        full, taken = assert_same("src/a.js", source, monkeypatch)
        assert not taken and not full.findings and [i.specifier for i in full.imports] == ["./a"]


# `vm` contains no prefilter token (child_process does: "process"), so only the fast path's own guards stop these
GIVES_UP = [
    # a module the rules or the API facts name
    ('import fs from "fs";\nfs.readFileSync(p);', "api"),
    ('const v = require("vm");\nv.runInThisContext(code);', "finding"),
    ('import { Script } from "node:vm";\nnew Script(code);', "finding"),
    ('const h = require("http");\nh.get(u);', "api"),
    ('const p = require("path"), u = require("util");', ""),
    ('const cp = require("node:child_process");\ncp.spawn(cmd);', "finding"),
    # require that is not a plain call
    ('require("./a");\nconst r = require;\nr("vm").runInThisContext(code);', "finding"),
    ('var require = loader;\nrequire("./not-a-module");', ""),
    ('require("./a");\nmodule.require("vm").runInThisContext(code);', "finding"),
    ('require("./a");\nglobalThis["require"]("vm").runInThisContext(code);', "finding"),
    ('require("./a");\nwindow[`require`]("vm").runInThisContext(code);', "finding"),
    ('require("./a");\nconst { require: load } = module;\nload("vm").runInThisContext(code);', "finding"),
    ('require.call(null, "vm");', ""),  # an import (the resolver does not follow `.call(...)` to a module)
    ('new require("vm");', "api"),
    ("require(name);", "finding"),
    ('require("./locale/" + name);', "finding"),
    ("import(`./locale/${name}.js`);", "finding"),
    ("import(5);", "finding"),
    ("require`vm`;", "api"),
    # an escape that spells a name no prefilter pattern sees
    ('require("./a");\nglobalThis["r\\equire"]("vm").runInThisContext(code);', "finding"),
    ('require("./a");\nglobalThis["\\162equire"]("vm").runInThisContext(code);', "finding"),
    # a computed member or key: the resolver folds names from constants that no prefilter pattern sees
    ('import "./a";\nconst a = "ev", b = "al";\nglobalThis[a + b](x);', "finding"),
    ('import "./a";\nglobalThis[("ev") + ("al")](x);', "finding"),
    ('import "./a";\nglobalThis["ev" /* */ + "al"](x);', "finding"),
    ('import "./a";\nconst p = "constr", q = "uctor", k = p + q;\n[][k][k](src)();', "finding"),
    ('import "./a";\nconst a = "req", b = "uire";\nmodule[a + b]("vm").runInThisContext(c);', "finding"),
    ('import "./a";\nconst a = "ev", b = "al", { [a + b]: run } = globalThis;\nrun(x);', ""),
    ('import "./a";\nconst v = o[k];', ""),
    # a global API the facts record
    ('import "./a";\nnew Worker("w.js");', "api"),
    ('import "./a";\nconst c = document.cookie;', "api"),
    ('import "./a";\nlocalStorage.setItem("k", v);', "api"),
    # a syntax error (sensitive tokens inside it are reported)
    ('import "./a";\nrequire("vm" +;', "finding"),
]


@pytest.mark.parametrize(("source", "expect"), GIVES_UP)
def test_the_fast_path_gives_up_where_it_could_differ(
    source: str, expect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    full, taken = assert_same("src/a.js", source, monkeypatch)
    assert not taken
    if expect == "finding":
        assert full.findings
    elif expect == "api":
        assert full.api_uses


def test_one_guard_per_config() -> None:
    """The guard is derived once per config: looked up by identity, then by equality (a worker process gets an
    equal copy of the config with every chunk of files); a different rule set gets its own."""
    cfg = config()
    guard = jsfacts._guard(cfg)
    assert jsfacts._guard(cfg) is guard
    assert jsfacts._guard(pickle.loads(pickle.dumps(cfg))) is guard
    fewer = dataclasses.replace(cfg, call_matchers=cfg.call_matchers[:1])
    assert jsfacts._guard(fewer) is not guard
    assert guard.interesting("fs") and guard.interesting("child_process") and guard.interesting("node:fs"[5:])
    assert guard.interesting("fs-extra") and guard.interesting("path") and guard.interesting("")
    assert not guard.interesting("./internals/export") and not guard.interesting("lodash")


def test_behaviour_and_resolver_names_are_part_of_the_guard() -> None:
    names = set(jsfacts.canonical_names(config()))
    assert set(behaviour.CANONICAL_NAMES) <= names
    assert names >= jsresolve.KNOWN_GLOBALS | jsresolve.GLOBAL_OBJECTS
    assert registry() is not None and javascript.UNPARSED == "safety/unparsed-file"

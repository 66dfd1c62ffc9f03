"""Loaders other than require(), `with`, Worker eval and function constructors reached through a method (fail-open
fixes: each of these ran child_process or compiled a string with no finding)."""

from __future__ import annotations

import pytest
from code_support import levels, scan

from extgate.model import Level


@pytest.mark.parametrize(
    "source",
    [
        "process.getBuiltinModule('child_process').exec(x);",  # Node 22: a builtin by name, like require
        "process.getBuiltinModule('node:child_process').execSync(x);",
        "const { exec } = process.getBuiltinModule('child_process'); exec(x);",
        "require('module')._load('child_process').exec(x);",  # Module._load
        "module.constructor._load('child_process').exec(x);",  # module.constructor is Module
        "require('module').Module._load('child_process').spawn(x);",
        "require('module').prototype.require.call(module, 'child_process').exec(x);",
        "require.call(null, 'child_process').exec(x);",
        "require.main.require('child_process').exec(x);",
        "with (require('child_process')) { exec(x); }",  # a free name inside `with` is the object's member
        "const cp = require('child_process'); with (cp) { if (y) { spawn(x); } }",
        "import('child_process').then(m => m.exec(x));",  # the callback's parameter is the module
        "import('node:child_process').then(({ exec }) => exec(x));",
        "import('child_process').then(function (cp) { cp.spawn(x); });",
    ],
)
def test_module_loaded_another_way_is_still_child_process(source: str) -> None:
    assert levels(scan("index.js", source, "code/subprocess")) == [Level.WARNING], source


def test_then_callbacks_of_other_promises_are_not_modules() -> None:
    assert scan("index.js", "p.then(m => m.exec(x)); import('./a.js').then(m => m.exec(x));", "code/subprocess") == []


def test_get_builtin_module_by_a_computed_name_is_a_dynamic_import() -> None:
    assert levels(scan("index.js", "process.getBuiltinModule(name);", "code/dynamic-import")) == [Level.WARNING]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("const { Worker } = require('worker_threads'); new Worker(code, { eval: true });", [Level.ERROR]),
        ("new (require('worker_threads').Worker)('console.log(1)', { eval: true });", [Level.WARNING]),
        ("const { Worker } = require('worker_threads'); new Worker('./w.js');", []),
        ("const { Worker } = require('worker_threads'); new Worker(code, { eval: false });", []),
    ],
)
def test_worker_with_eval_true_evaluates_its_source(source: str, expected: list[Level]) -> None:
    assert levels(scan("index.js", source, "code/dynamic-eval")) == expected


@pytest.mark.parametrize(
    "source",
    [
        "[].map.constructor('return process')();",
        "''.big.constructor(code)();",
        "Object.keys.constructor(code)();",
        "JSON.parse.constructor(code)();",
        "Array.prototype.map.constructor(code)();",
    ],
)
def test_a_methods_constructor_is_the_function_constructor(source: str) -> None:
    assert scan("index.js", source, "code/function-constructor"), source


@pytest.mark.parametrize(
    "source",
    [
        "with (Math) { max(a, b); }",  # members of other objects: nothing
        "with (obj) { exec(x); }",  # an unknown object: exec is not child_process.exec
        "exec(x); spawn(y);",  # free names outside any with
        "const ok = [].map.constructor === Function; Array.prototype.constructor(3);",  # no string compiled
    ],
)
def test_lookalikes_are_not_findings(source: str) -> None:
    found = [
        f
        for rule in ("code/subprocess", "code/function-constructor", "code/dynamic-eval")
        for f in scan("index.js", source, rule)
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'import "data:text/javascript,console.log(1)";',
        'await import("data:text/javascript;base64,ZXZhbCgxKQ==");',
        'export * from "data:text/javascript,export const a = 1";',
        'const p = "data:text/javascript;base64,"; await import(p + "ZXZhbCgxKQ==");',  # folded: still a data: URL
    ],
)
def test_importing_code_from_a_data_url_is_a_dynamic_eval_warning(source: str) -> None:
    found = scan("index.mjs", source, "code/dynamic-eval")
    assert levels(found) == [Level.WARNING] and "data: URL" in found[0].message


def test_data_urls_outside_imports_are_not_findings() -> None:
    assert scan("index.mjs", 'const icon = "data:image/png;base64,iVBOR"; img.src = icon;', "code/dynamic-eval") == []


def test_with_lookup_survives_many_sibling_and_nested_blocks() -> None:
    siblings = "const cp = require('child_process'); with (cp) { " + "with (a) {} " * 3000 + " exec(x); }"
    assert levels(scan("index.js", siblings, "code/subprocess")) == [Level.WARNING]
    nested = "with (require('child_process')) {" + "with (o) {" * 200 + "spawn(x);" + "}" * 201
    assert levels(scan("index.js", nested, "code/subprocess")) == [Level.WARNING]


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("import sys\nsys.modules['os'].system(x)\n", "code/subprocess"),  # the loaded module by name
        ("import os\nvars(os)['system'](x)\n", "code/subprocess"),  # a module's namespace
        ("import os\nos.__dict__['system'](x)\n", "code/subprocess"),
        ("globals()['__builtins__']['exec'](x)\n", "code/dynamic-eval"),  # the module namespace
        ("import os\nlocals()['os'].popen(x)\n", "code/subprocess"),
        ("import builtins\nbuiltins.__dict__['eval'](x)\n", "code/dynamic-eval"),
    ],
)
def test_python_namespace_lookups_resolve(source: str, rule: str) -> None:
    assert scan("a.py", source, rule), source


def test_python_namespace_lookups_of_other_names_are_not_findings() -> None:
    source = "import sys\nsys.modules['json'].dumps(x)\nvars(obj)['system'](x)\nglobals()['helper'](x)\n"
    assert [f for rule in ("code/subprocess", "code/dynamic-eval") for f in scan("a.py", source, rule)] == []

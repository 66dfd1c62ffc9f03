"""code/dynamic-eval: a global function called by a computed name (`globalThis[k](x)`), and template literals whose
substitutions fold to constants (`globalThis[`${a}${b}`]`)."""

from __future__ import annotations

import pytest
from code_support import levels, scan, where

from extgate.model import Level

RULE = "code/dynamic-eval"


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ('const a = "ev", b = "al"; globalThis[`${a}${b}`](payload);', 27),
        ('const a = "ev"; window[`${a}al`](payload);', 17),
        ('const a = "e", b = "l"; self[`${a}v\\x61${b}`](payload);', 25),
        ('const a = "ev"; const b = `${a}al`; global[b](payload);', 37),
    ],
)
def test_template_with_constant_substitutions_folds_to_eval(source: str, column: int) -> None:
    found = scan("index.js", source, RULE)
    assert where(found) == [(1, column)]
    assert levels(found) == [Level.ERROR]


def test_folded_eval_of_a_constant_string_is_the_constant_eval_warning() -> None:
    found = scan("index.js", 'const a = "ev", b = "al"; globalThis[`${a}${b}`]("x");', RULE)
    assert levels(found) == [Level.WARNING]
    assert "eval of a constant string" in found[0].message


def test_template_with_constant_substitutions_folds_inside_eval() -> None:
    found = scan("index.js", 'const a = "1"; eval(`${a} + 2`);', RULE)
    assert levels(found) == [Level.WARNING]  # a constant string, not a run-time value


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ('const k = process.argv[2]; globalThis[k]("x");', 28),
        ("window[k](x);", 1),
        ("self[k](x);", 1),
        ("global[k](x);", 1),
        ("top[name](x);", 1),
        ("const g = globalThis; g[k](x);", 23),
        ("globalThis.window[k](x);", 1),
        ("globalThis[`${k}`](x);", 1),
        ('globalThis["ev" + k](x);', 1),
    ],
)
def test_global_called_by_unresolved_name_is_a_warning(source: str, column: int) -> None:
    found = scan("index.js", source, RULE)
    assert where(found) == [(1, column)]
    assert levels(found) == [Level.WARNING]
    assert "computed name" in found[0].message


@pytest.mark.parametrize(
    "source",
    [
        "const f = globalThis[k]; x = window[k];",  # plain reads
        "handlers[k](x); this[k](x); obj.map[k](x);",  # ordinary objects
        'window["setTimeoutX"](x); globalThis["alert"](x); self[0](x);',  # constant harmless keys
        'const a = "set", b = "Foo"; window[`${a}${b}`](x);',
        "function f(self) { self[k](x); } var self = this; self[k](x);",  # not the global object
        "// globalThis[k](x)\nconst s = 'window[k](x)'; const t = `self[k](x)`;",
        "myglobal[k](x); selfish[k](x); windows[k](x);",
    ],
)
def test_not_a_computed_global_call(source: str) -> None:
    assert scan("index.js", source, RULE) == []


# A member called by a computed name on a base whose members a rule names, however the value reaches the call:
# aliases, destructuring with a computed key, `.call` / `.apply` / `.bind`, `Reflect.get` / `Reflect.apply`, `new`.
@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("const f = globalThis[k]; f(x);", "code/dynamic-eval"),
        ("const {[k]: f} = window; f(x);", "code/dynamic-eval"),
        ("globalThis[k].call(null, x);", "code/dynamic-eval"),
        ("globalThis[k].apply(null, [x]);", "code/dynamic-eval"),
        ("globalThis[k].bind(null)(x);", "code/dynamic-eval"),
        ("Reflect.apply(globalThis[k], null, [x]);", "code/dynamic-eval"),
        ("Reflect.get(globalThis, k)(x);", "code/dynamic-eval"),
        ("Reflect.apply(Reflect.get(self, k), null, [x]);", "code/dynamic-eval"),
        ("var g = (function () { return this; })(); g[k](x);", "code/dynamic-eval"),
        ("new globalThis[k](body)();", "code/function-constructor"),
        ("new window[k]('return 1')();", "code/function-constructor"),
        ("module[a + b]('child_process');", "code/dynamic-import"),
        ("const r = module[k]; r(m);", "code/dynamic-import"),
        ("Reflect.get(module, k)(m);", "code/dynamic-import"),
        ("const cp = require('child_process'); cp[k](cmd);", "code/subprocess"),
        ("const {[k]: run} = require('node:child_process'); run(cmd);", "code/subprocess"),
        ("require('vm')[k](src);", "code/vm-execution"),
        ("Deno[k](cmd);", "code/subprocess"),
    ],
)
def test_member_called_by_a_computed_name_is_a_warning(source: str, rule: str) -> None:
    found = scan("index.js", source, rule)
    assert levels(found) == [Level.WARNING], source
    assert "computed name" in found[0].message


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("Reflect.get(globalThis, 'eval')(x);", "code/dynamic-eval"),
        ("Reflect.get(window, 'ev' + 'al')(x);", "code/dynamic-eval"),
        ("var g = (function () { return this; })(); g['ev' + 'al'](x);", "code/dynamic-eval"),
    ],
)
def test_reflect_get_and_the_this_function_resolve_constant_names(source: str, rule: str) -> None:
    assert levels(scan("index.js", source, rule)) == [Level.ERROR]


@pytest.mark.parametrize(
    "source",
    [
        "const e = process.env[k]; e.trim(); JSON[k](x); Math[k](x);",  # bases no call rule names
        "const fs = require('fs'); fs[k](p, cb);",  # fs has no call rule (its behaviour rules read paths)
        "module.exports[k](x); module.exports[k] = f; const v = module[k];",  # members of exports; a plain read
        "const {[k]: v} = obj; v(x); Reflect.get(obj, k)(x);",  # ordinary objects
        "var g = (() => this)(); g[k](x);",  # an arrow function's `this` is the enclosing one
        "cp[k](cmd);",  # an unknown object named cp
    ],
)
def test_computed_member_calls_on_other_bases_are_not_findings(source: str) -> None:
    found = [f for rule in RULES for f in scan("index.js", source, rule)]
    assert found == []


RULES = (
    "code/dynamic-eval", "code/function-constructor", "code/dynamic-import", "code/subprocess", "code/vm-execution"
)  # fmt: skip


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("process.binding('spawn_sync').spawn(options);", True),
        ("process.binding('process_wrap');", True),
        ("process._linkedBinding(name);", True),
        ("const { binding } = process; binding('spawn_' + 'sync');", True),
        ("process.binding('fs'); process.binding('natives');", False),
    ],
)
def test_process_binding_spawn_is_a_subprocess_warning(source: str, found: bool) -> None:
    got = scan("index.js", source, "code/subprocess")
    assert levels(got) == ([Level.WARNING] if found else [])

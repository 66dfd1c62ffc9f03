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

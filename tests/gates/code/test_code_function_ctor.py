"""code/function-constructor (Function and its disguises), code/implied-eval and code/vm-execution."""

from __future__ import annotations

import pytest
from code_support import levels, scan, where

from extgate.model import Level

RULE = "code/function-constructor"


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ("Function(body)();", 1),
        ("const f = new Function('a', body);", 11),
        ("Function.prototype.constructor(body);", 1),
        ("(function () {}).constructor(body);", 1),
        ("(() => 0).constructor(body);", 1),
        ("(async function () {}).constructor(body);", 1),
        ("(async () => {}).constructor('await ' + body);", 1),
        ("Object.getPrototypeOf(async function () {}).constructor(body);", 1),
        ("Object.getPrototypeOf(function* () {}).constructor(body);", 1),
        ("[].constructor.constructor(body)();", 1),
        ('"".constructor.constructor(body)();', 1),
        ('[]["constr" + "uctor"]["constructor"](body)();', 1),
        ("Array.constructor(body);", 1),
        ("x.constructor.constructor(body);", 1),
        ("Reflect.construct(Function, [body]);", 1),
        ("Function.call(null, body);", 1),
        ("window.Function(body);", 1),
        ("const F = Function; new F(body);", 21),
        ("Function`${body}`;", 1),
    ],
)
def test_function_constructor_with_runtime_body_is_an_error(source: str, column: int) -> None:
    found = scan("a.js", source, RULE)
    assert where(found) == [(1, column)]
    assert levels(found) == [Level.ERROR]


def test_kinds_are_named_in_the_message() -> None:
    (finding,) = scan("a.js", "Object.getPrototypeOf(async () => {}).constructor(body)", RULE)
    assert "AsyncFunction" in finding.message


def test_literal_body_is_a_warning() -> None:
    found = scan("a.js", 'new Function("a", "b", "return a + b");\nFunction("return 1")();\n', RULE)
    assert levels(found) == [Level.WARNING, Level.WARNING]


@pytest.mark.parametrize(
    "source",
    [
        'var g = Function("return this")();',  # webpack's global-object runtime
        "var root = freeGlobal || freeSelf || Function('return this')();",  # lodash root detection
        'try { g = g || new Function("return this")(); } catch (e) { if (typeof window === "object") g = window; }',
    ],
)
def test_return_this_idiom_is_a_note(source: str) -> None:
    found = scan("vendor.js", source, RULE)
    assert levels(found) == [Level.NOTE]
    assert found[0].properties["idiom"] == "return-this"


@pytest.mark.parametrize(
    "source",
    [
        "class A { constructor() { this.constructor.name; } }",
        "new this.constructor(x);",
        "obj.constructor(x);",
        "var has = Function.call.bind(hasOwnProperty); has(obj, key);",  # react-dom
        "Function.prototype.toString.call(fn);",
        "if (x instanceof Function) {} typeof Function;",
        "const s = 'new Function(body)'; // Function(body)",
        "myFunction(body); FunctionCall(body);",
    ],
)
def test_not_function_constructor(source: str) -> None:
    assert scan("a.js", source, RULE) == []


# -- implied eval ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ('setTimeout("refresh()", 1000);', 1),
        ("setInterval(`tick(${id})`, 10);", 1),
        ('x = setImmediate("a" + b);', 5),
        ('window.setTimeout("go()", 1);', 1),
        ('globalThis.setInterval("go()" , 1);', 1),
        ('const code = "go()"; setTimeout(code, 5);', 22),
        # calls that return a string: a decoded payload handed to a timer
        ("setInterval(atob(p), 1);", 1),
        ("setTimeout(String.fromCharCode(97, 40, 41));", 1),
        ('setTimeout(parts.join(""), 0);', 1),
        ("setTimeout(Buffer.from(p, 'base64').toString(), 0);", 1),
        ("setTimeout(decodeURIComponent(q) + '', 0);", 1),
    ],
)
def test_string_timer_is_implied_eval(source: str, column: int) -> None:
    found = scan("a.js", source, "code/implied-eval")
    assert where(found) == [(1, column)]
    assert levels(found) == [Level.ERROR]


@pytest.mark.parametrize(
    "source",
    [
        "setTimeout(() => refresh(), 1000);",
        "setTimeout(refresh, 1000); setInterval(function () {}, 5);",
        "clock.setTimeout('x', 1);",
        "// setTimeout('x()', 1)",
        "setTimeout(fn, 10, 'argument string');",
        "setTimeout(makeHandler(id), 10); setTimeout(fns.pop(), 1);",  # calls that return functions
        "const atob = (x) => () => x; setTimeout(atob(p), 1);",  # a local atob is not the decoder
    ],
)
def test_function_timer_is_fine(source: str) -> None:
    assert scan("a.js", source, "code/implied-eval") == []


# -- vm ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ('const vm = require("vm");\nvm.runInNewContext(code, {});', 2),
        ('import vm from "node:vm";\nnew vm.Script(code).runInThisContext();', 2),
        ('import { runInThisContext as r } from "vm";\nr(code);', 2),
        ('import * as vm from "node:vm";\nvm.compileFunction(code, []);', 2),
        ('const { runInContext } = require("node:vm");\nrunInContext(code, ctx);', 2),
        ('require("vm").runInThisContext(code);', 1),
        ('import vm from "vm";\nnew vm.SourceTextModule(code);', 2),
        ("const realm = new ShadowRealm();", 1),
        # Module#_compile runs source text as a module (a loader's decrypt-and-run step)
        ("module._compile(decrypted, __filename);", 1),
        ('const Module = require("module");\nconst m = new Module("x");\nm._compile(src, "x.js");', 3),
        ('const M = require("node:module");\nM.prototype._compile.call(m, src, "x.js");', 2),
        ("require.main._compile(src, f);", 1),
    ],
)
def test_vm_execution(source: str, line: int) -> None:
    found = scan("a.mjs", source, "code/vm-execution")
    assert [f.location.line for f in found if f.location] == [line]
    assert levels(found) == [Level.ERROR]


def test_vm_lookalikes_are_fine() -> None:
    src = "const vm = createViewModel();\nvm.runInContext(x);\nthis.vm.Script(y);\ntemplate._compile(src, opts);\n"
    assert scan("a.js", src, "code/vm-execution") == []

"""A module or API a rule names, handed on as a value where the resolver does not follow it (into a function, a
data structure, an export): reported as the rule's warning, never passed as harmless. The eval case is
code/dynamic-eval's own (`[eval][0](x)`, test_code_eval.py)."""

from __future__ import annotations

import pytest
from code_support import scan

from extgate.model import Level

CP = 'const cp = require("child_process");\n'


@pytest.mark.parametrize(
    ("source", "rule", "line"),
    [
        (CP + 'const f = [cp.exec][0]; f("sh");', "code/subprocess", 2),
        (CP + 'const o = {run: cp.exec}; o.run("sh");', "code/subprocess", 2),
        (CP + 'const o = {cp}; o.cp.exec("sh");', "code/subprocess", 2),
        (CP + 'function run(m) { m.exec("sh"); }\nrun(cp);', "code/subprocess", 3),
        ('Object.values(require("child_process"))[0]("sh");', "code/subprocess", 1),
        ('const g = () => require("child_process");\ng().exec("sh");', "code/subprocess", 1),
        ('function g() { return require("child_process"); }\ng().exec("sh");', "code/subprocess", 1),
        ('(function (m) { m.exec("sh"); })(require("child_process"));', "code/subprocess", 1),
        ('const run = util.promisify(require("child_process").exec);', "code/subprocess", 1),
        ('import { exec } from "child_process";\nconst run = promisify(exec);', "code/subprocess", 2),
        ('module.exports = require("child_process");', "code/subprocess", 1),
        (CP + "exports.spawn = cp.spawn;", "code/subprocess", 2),
        ('class A { cp = require("child_process"); go() { this.cp.exec("sh"); } }', "code/subprocess", 1),
        ('const vm = require("vm");\nrunner(vm.runInThisContext);', "code/vm-execution", 2),
        ('const { dlopen } = require("bun:ffi");\nload(dlopen);', "code/native-library", 2),
    ],
)  # fmt: skip
def test_a_sensitive_module_handed_on_as_a_value_is_a_warning(source: str, rule: str, line: int) -> None:
    found = [f for f in scan("a.js", source) if f.properties.get("via") == "value"]
    assert [(f.rule_id, f.line, f.level) for f in found] == [(rule, line, Level.WARNING)]
    assert "as a value" in found[0].message


@pytest.mark.parametrize(
    "source",
    [
        CP + 'cp.exec("sh");',  # called where it is named: the rule itself, not a value escape
        CP + "const alias = cp; let again; again = alias;",  # aliases are followed
        CP + 'if (!cp || typeof cp.exec !== "function") throw 0;',
        CP + '(0, cp.exec)("sh"); cp.exec.call(null, "sh");',  # tsc's call form; .call is the call
        'const cp = __importStar(require("child_process"));',  # an interop helper is resolved through
        'const p = require("path");\nrun(p, [p.join], {p});',  # a module no rule names
        "Vue.component('x', { props: { onClick: { type: Function } } });",
        "start(process); setTimeout(tick, 5); register({ timer: setInterval });",
        "const cp = makeProcess();\nrun(cp, [cp.exec]);",  # a local that is not child_process
    ],
)
def test_what_is_not_handed_on(source: str) -> None:
    assert [f for f in scan("a.js", source) if f.properties.get("via") == "value"] == []


def test_many_names_bound_to_the_module_are_all_looked_at() -> None:
    """Names are matched in bounded passes of 256: the one handed on sits in the third pass."""
    lines = [CP] + [f"const a{i:03} = cp;\n" for i in range(600)] + ["run(a599);\n"]
    found = [f for f in scan("a.js", "".join(lines)) if f.properties.get("via") == "value"]
    assert [(f.line, f.snippet) for f in found] == [(602, "a599")]


def test_python_values_handed_on() -> None:
    """The same for Python (the fixture also runs through the libcst reference in test_code_python_positions.py):
    partial(os.system), dict / list / tuple elements, attribute and item stores, tuple unpacking, lambda bodies,
    returns, yields and call arguments; not assignment targets, isinstance's classes, a subscript's type
    arguments, getattr (resolved as the member it reads) or a lambda parameter shadowing the module."""
    from code_support import FIXTURES

    source = (FIXTURES / "python" / "values.py.txt").read_text()
    found = [f for f in scan("a.py", source) if f.properties.get("via") == "value"]
    assert {f.rule_id for f in found} == {"code/subprocess"} and {f.level for f in found} == {Level.WARNING}
    assert [(f.line, f.snippet) for f in found] == [
        (8, "os.system"), (9, "subprocess.run"), (10, "os.popen"), (10, "subprocess"),
        (11, "subprocess.check_output"), (12, "subprocess.Popen"), (13, "run_it"), (14, "subprocess.run"),
        (14, "os.system"), (25, "subprocess.call"), (30, "os.execv"), (34, "subprocess.getoutput"),
        (35, "os.spawnl"), (38, "subprocess"), (38, "os.system"), (38, "subprocess.run"),
    ]  # fmt: skip


def test_python_modules_passed_for_what_else_they_hold_are_not_values() -> None:
    source = "import os, asyncio\nwalk(os)\nloop = run(asyncio)\njoin = [os.path.join, os.getcwd]\n"
    assert [f for f in scan("a.py", source) if f.properties.get("via") == "value"] == []

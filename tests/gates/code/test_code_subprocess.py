"""code/subprocess and code/dynamic-import."""

from __future__ import annotations

import pytest
from code_support import levels, scan, where

from extgate.model import Level

RULE = "code/subprocess"


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ('const cp = require("child_process");\ncp.exec(cmd);', 2, 1),
        ('const { execSync } = require("node:child_process");\nexecSync("ls");', 2, 1),
        ('const { spawn: run } = require("child_process");\nrun("ls", []);', 2, 1),
        ('import { fork } from "node:child_process";\nfork("./worker.js");', 2, 1),
        ('import * as cp from "child_process";\ncp.execFileSync("git", ["status"]);', 2, 1),
        ('import cp from "child_process";\ncp.spawnSync("ls");', 2, 1),
        ('require("child_process").execFile("git");', 1, 1),
        ('require("chi" + "ld_process").exec(cmd);', 1, 1),
        ('const cp = await import("node:child_process");\ncp.exec(cmd);', 2, 1),
        ('new Deno.Command("git", { args: ["status"] }).outputSync();', 1, 1),
        ('Deno.run({ cmd: ["ls"] });', 1, 1),
        ('Bun.spawn(["ls"]);', 1, 1),
        ('Bun.spawnSync(["ls"]);', 1, 1),
        ("await Bun.$`ls -la`;", 1, 7),
        ('import { $ } from "bun";\nawait $`rm -rf ${dir}`;', 2, 7),
        ('const { Command } = Deno;\nnew Command("ls");', 2, 1),
    ],
)
def test_javascript_subprocess(source: str, line: int, column: int) -> None:
    found = scan("a.ts", source, RULE)
    assert where(found) == [(line, column)]
    assert levels(found) == [Level.WARNING]


@pytest.mark.parametrize(
    "source",
    [
        "const re = /a(b)/; re.exec(s); pattern.exec(text);",
        "db.exec('CREATE TABLE t (x)'); this.spawn(); worker.fork();",
        "function exec(cmd) { return cmd; }\nexec('ls');",
        "// child_process.exec('ls')\nconst s = 'require(\"child_process\").exec(x)';",
        'const cp = require("./child_process");\ncp.exec(cmd);',
    ],
)
def test_not_subprocess(source: str) -> None:
    assert scan("a.js", source, RULE) == []


@pytest.mark.parametrize(
    ("source", "line"),
    [
        # tsc: `import * as cp` / `import cp` with esModuleInterop
        ('const cp = __importStar(require("child_process"));\ncp.exec(cmd);', 2),
        ('const cp_1 = __importDefault(require("child_process"));\ncp_1.default.spawn("ls");', 2),
        ('const cp = tslib_1.__importStar(require("child_process"));\ncp.fork(w);', 2),
        # esbuild (TypeScript's own lib/tsserver.js ships this shape), its ESM `__require` shim
        ('var import_cp = __toESM(require("child_process"));\nimport_cp.default.execFileSync(p, a);', 2),
        ('var cp = __require("child_process");\ncp.exec(cmd);', 2),
        # babel / swc / rollup
        ('var _cp = _interopRequireDefault(require("child_process"));\n_cp.default.exec(cmd);', 2),
        ('var _cp = _interop_require_wildcard(require("child_process"));\n(0, _cp.execSync)("ls");', 2),
        ('var cp__default = /*#__PURE__*/_interopDefaultLegacy(cp);\nvar cp = require("child_process");\n'
         'cp__default.exec(x);', 3),
    ],
)  # fmt: skip
def test_compiler_interop_helpers_hand_back_the_module(source: str, line: int) -> None:
    """A compiled TypeScript / bundled package reaches child_process through an interop helper; these calls were
    missed (the helper is a local function the resolver could not see through)."""
    found = scan("a.js", source, RULE)
    assert [ln for ln, _ in where(found)] == [line]


def test_an_interop_helper_of_a_harmless_module_is_harmless() -> None:
    source = 'const p = __importStar(require("path"));\np.join(a, b);\nconst cp = __importDefault(x);\ncp.exec(y);'
    assert scan("a.js", source, RULE) == []


def test_scopes_keep_bundled_modules_apart() -> None:
    # Two webpack-style modules: `n` is child_process in the first only.
    src = (
        'var a = function () { var n = require("child_process"); n.exec(cmd); };\n'
        "var b = function (n) { n.exec(text); };\n"
    )
    assert where(scan("bundle.js", src, RULE)) == [(1, 57)]


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("import subprocess\nsubprocess.run(['ls'])\n", 2),
        ("import subprocess as sp\nsp.Popen(cmd, shell=True)\n", 2),
        ("from subprocess import check_output\ncheck_output(['git', 'log'])\n", 2),
        ("from subprocess import *\ncall(['ls'])\n", 2),
        ("import os\nos.system('ls')\n", 2),
        ("import os\nos.popen('ls').read()\n", 2),
        ("import os\nos.execvp('ls', ['ls'])\n", 2),
        ("import os\nos.spawnl(os.P_WAIT, '/bin/ls')\n", 2),
        ("import pty\npty.spawn('/bin/sh')\n", 2),
        ("import asyncio\nasyncio.create_subprocess_shell('ls')\n", 2),
        ("o = __import__('os')\no.system('id')\n", 2),
    ],
)
def test_python_subprocess(source: str, line: int) -> None:
    found = scan("tool.py", source, RULE)
    assert [f.location.line for f in found if f.location] == [line]


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess\nraise subprocess.CalledProcessError(1, 'x')\n",
        "import os\nos.path.join('a', 'b')\nos.getcwd()\n",
        "def system(cmd):\n    return cmd\nsystem('ls')\n",
        "# os.system('ls')\n",
    ],
)
def test_python_not_subprocess(source: str) -> None:
    assert scan("tool.py", source, RULE) == []


# -- dynamic import ----------------------------------------------------------------------------------------------

DYN = "code/dynamic-import"


def test_computed_import_is_an_error_and_require_a_warning() -> None:
    src = "await import(url);\nconst m = require(name);\n"
    found = scan("a.mjs", src, DYN)
    assert where(found) == [(1, 7), (2, 11)]
    assert levels(found) == [Level.ERROR, Level.WARNING]


def test_relative_prefix_is_lower() -> None:
    src = 'await import("./locales/" + lang + ".js");\nawait import(`./x/${name}.js`);\nrequire("./locale/" + n);\n'
    found = scan("a.mjs", src, DYN)
    assert levels(found) == [Level.WARNING, Level.WARNING, Level.NOTE]
    assert found[0].properties["prefix"] == "./locales/"


@pytest.mark.parametrize(
    "source",
    [
        'import("./a.js"); import(`./b.js`); require("fs"); require("chi" + "ld_process");',
        'const name = "lodash"; require(name);',
        "typeof require === 'function' && require.resolve(x);",
        "// import(x)\nconst s = 'require(x)';",
        "obj.require(x); foo.import(y);",
    ],
)
def test_constant_specifiers_are_not_findings(source: str) -> None:
    assert scan("a.js", source, DYN) == []


def test_bundler_module_ids_are_not_dynamic_requires() -> None:
    src = "(function (require, module, exports) { var a = require(1), b = require(7); })"
    assert scan("dist/bundle.js", src, DYN) == []


@pytest.mark.parametrize(
    "source",
    [
        'require("fs").writeFileSync("/tmp/x.js", payload);\nrequire("/tmp/x.js");',
        'await import("file:///var/tmp/stage2.mjs");',
        'require("C:\\\\Users\\\\Public\\\\x.js");',
        'import("//cdn.example/x.js");',
    ],
)
def test_code_loaded_from_an_absolute_path_is_a_warning(source: str) -> None:
    """A dropper's second stage: code from a fixed place on the installing machine, never the reviewed archive."""
    found = scan("a.mjs", source, DYN)
    assert [(f.level, f.properties.get("via")) for f in found] == [(Level.WARNING, "absolute-path")]


def test_package_relative_and_bare_loads_are_not_absolute() -> None:
    source = 'require("./lib/x.js"); require("../y"); require("lodash/fp"); import("node:fs"); require("#internal");'
    assert scan("a.js", source, DYN) == []

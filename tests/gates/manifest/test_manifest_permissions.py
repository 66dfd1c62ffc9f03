"""manifest/permissions: Orchestra's declared permissions against the code gate's API uses."""

from __future__ import annotations

from typing import Any

import pytest
from manifest_support import code_facts, of, pkg, run

from extgate.facts import CodeFacts


def orchestra(permissions: list[Any]) -> dict[str, bytes | str]:
    return pkg({"name": "git-lens", "version": "1.0.0", "compat": "native", "permissions": permissions})


def test_declared_and_used_permissions_pass() -> None:
    code = code_facts(
        api=[
            ("fetch", "dist/index.js", 3),
            ("fs.readFile", "dist/index.js", 9),
            ("fs.promises.writeFile", "dist/save.js", 2),
            ("child_process.execFile", "dist/git.js", 4),
        ]
    )
    result = run(orchestra(["network", "fs:read", "fs:write", "shell"]), code=code)
    assert of(result, "manifest/permissions") == []


@pytest.mark.parametrize(
    ("api", "permission"),
    [
        ("fetch", "network"),
        ("https.request", "network"),
        ("WebSocket", "network"),
        ("Deno.connectTls", "network"),
        ("fs.readFileSync", "fs:read"),
        ("fs.createWriteStream", "fs:write"),
        ("child_process.spawn", "shell"),
        ("Deno.Command", "shell"),
        ("process.env", "env"),
        ("Deno.env.get", "env"),
    ],
)
def test_used_but_undeclared_is_an_error_at_the_call(api: str, permission: str) -> None:
    result = run(orchestra([]), code=code_facts(api=[(api, "dist/index.js", 12)]))
    (finding,) = of(result, "manifest/permissions")
    assert finding.level.value == "error"
    assert finding.location is not None
    assert (finding.location.path, finding.location.line) == ("dist/index.js", 12)
    assert repr(permission) in finding.message
    assert finding.properties["permission"] == permission


def test_api_outside_the_map_needs_nothing() -> None:
    result = run(orchestra([]), code=code_facts(api=[("JSON.parse", "a.js", 1), ("Math.random", "a.js", 2)]))
    assert of(result, "manifest/permissions") == []


def test_declared_but_unused_is_a_warning_on_the_declaration() -> None:
    result = run(orchestra(["network", "env"]), code=code_facts(api=[("fetch", "a.js", 1)]))
    (finding,) = of(result, "manifest/permissions")
    assert finding.level.value == "warning"
    assert finding.properties["pointer"] == "/permissions/1"
    assert "'env'" in finding.message


def test_alias_covers_its_permissions() -> None:
    code = code_facts(api=[("fs.readFile", "a.js", 1), ("fs.writeFile", "a.js", 2)])
    assert of(run(orchestra(["filesystem"]), code=code), "manifest/permissions") == []
    only_read = code_facts(api=[("fs.readFile", "a.js", 1)])
    assert of(run(orchestra(["filesystem"]), code=only_read), "manifest/permissions") == []


def test_unknown_permission_is_a_warning() -> None:
    result = run(orchestra(["network", "teleport"]), code=code_facts(api=[("fetch", "a.js", 1)]))
    (finding,) = of(result, "manifest/permissions")
    assert finding.level.value == "warning"
    assert "'teleport'" in finding.message


def test_repeated_uses_at_one_place_report_once() -> None:
    code = code_facts(api=[("fetch", "a.js", 1), ("fetch", "a.js", 1), ("fetch", "a.js", 5)])
    assert len(of(run(orchestra([]), code=code), "manifest/permissions")) == 2


def test_no_permissions_field_means_no_comparison() -> None:
    result = run(pkg({"name": "x", "version": "1.0.0"}), code=code_facts(api=[("child_process.spawn", "a.js", 1)]))
    assert of(result, "manifest/permissions") == []


def test_without_code_facts_the_check_is_skipped_with_a_note() -> None:
    result = run(orchestra(["network"]), code=None)
    assert of(result, "manifest/permissions") == []
    assert result.facts is not None
    assert any(note.startswith("manifest/permissions: skipped") for note in result.facts.notes)


def test_empty_code_facts_make_every_declaration_unused() -> None:
    findings = of(run(orchestra(["network", "shell"]), code=CodeFacts()), "manifest/permissions")
    assert [f.properties["pointer"] for f in findings] == ["/permissions/0", "/permissions/1"]

"""The seven real Cinatra extensions pass their own CI gate today; extgate must agree on every one of them.

Fixtures: tests/fixtures/manifest/cinatra-real/<name>/ (package.json and README.md verbatim, stubs at the
paths the rules resolve, the real source imports as imports.json; see the README there).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from manifest_support import FIXTURES, NOW, imports_snapshot, load_dir, of, run

from extgate.model import Level
from extgate.options import Options

REAL = FIXTURES / "cinatra-real"
EXTENSIONS = sorted(p.name for p in REAL.iterdir() if p.is_dir())
# The upstream gate warns about these three: their serverEntry resolves to TypeScript source.
SOURCE_SERVER_ENTRY = {"gmail-connector", "mcp-server-connector", "openai-connector"}


def test_all_seven_are_here() -> None:
    assert EXTENSIONS == [
        "assistant-skills",
        "email-artifacts",
        "gmail-connector",
        "json-artifact",
        "list-curator-agent",
        "mcp-server-connector",
        "openai-connector",
    ]
    kinds = {json.loads((REAL / n / "package.json").read_text())["cinatra"]["kind"] for n in EXTENSIONS}
    assert kinds == {"agent", "connector", "artifact", "skill"}


@pytest.mark.parametrize("name", EXTENSIONS)
def test_real_extension_passes_every_cinatra_and_manifest_rule(name: str) -> None:
    folder: Path = REAL / name
    options = Options(now=NOW, publishers=("@cinatra-ai",), host_version="2.2.0")
    result = run(load_dir(folder), options=options, code=imports_snapshot(folder))
    errors = [(f.rule_id, f.message) for f in result.findings if f.level is Level.ERROR]
    assert errors == []
    warnings = sorted(f.rule_id for f in result.findings if f.level is Level.WARNING)
    assert warnings == (["cinatra/server-entry"] if name in SOURCE_SERVER_ENTRY else [])
    if name in SOURCE_SERVER_ENTRY:
        assert "TypeScript source './src/register.ts'" in of(result, "cinatra/server-entry")[0].message
    assert result.facts is not None and result.facts.manifest is not None
    assert result.facts.manifest.data["name"] == f"@cinatra-ai/{name}"


@pytest.mark.parametrize("name", EXTENSIONS)
def test_real_extension_breaks_when_its_contract_is_broken(name: str) -> None:
    """Negative control: the same real package with its kind corrupted and README removed is refused."""
    files = load_dir(REAL / name)
    doc = json.loads(files["package.json"])
    doc["cinatra"]["kind"] = "workflow"
    files["package.json"] = json.dumps(doc, indent=2)
    del files["README.md"]
    result = run(files, code=imports_snapshot(REAL / name))
    assert {"cinatra/kind", "cinatra/readme"} <= {f.rule_id for f in result.findings if f.level is Level.ERROR}


def test_real_imports_include_sdk_and_self_imports() -> None:
    """The snapshots really exercise the first-party rule (SDK subpaths, a self import), not an empty list."""
    gmail = {ref.specifier for ref in imports_snapshot(REAL / "gmail-connector").imports}
    assert "@cinatra-ai/gmail-connector" in gmail
    assert any(s.startswith("@cinatra-ai/sdk-ui/") for s in gmail)

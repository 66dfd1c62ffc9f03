"""Our SARIF, validated by Microsoft's SARIF Multitool with the GitHub and SARIF rule kinds (`Gh;Sarif`):
no error or warning results, and every rule has a helpUri (SARIF2012). scripts/test installs the tool."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from extgate import Options, check
from extgate.formatters.paths import rebase
from extgate.formatters.sarif import to_sarif, to_sarif_log
from extgate.model import Package


def _multitool() -> str:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "extgate-test" / "sarif-multitool"
    default = cache / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
    tool = os.environ.get("EXTGATE_SARIF_MULTITOOL") or str(default)
    if not tool or not os.access(tool, os.X_OK):
        pytest.skip(
            "SARIF Multitool not installed (EXTGATE_SARIF_MULTITOOL unset; ./scripts/test installs it): "
            "SARIF validation with the Gh;Sarif rules SKIPPED"
        )
    return tool


def _validate(tool: str, log: dict, tmp_path: Path) -> Counter[tuple[str, str]]:
    sarif = tmp_path / "in.sarif"
    sarif.write_text(json.dumps(log))
    report = tmp_path / "report.sarif"
    done = subprocess.run(
        [tool, "validate", "--rule-kind", "Gh;Sarif", "--level", "Error;Warning;Note", "--log", "ForceOverwrite",
         "-o", str(report), str(sarif)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
    )  # fmt: skip
    if done.returncode != 0 and "ICU" in done.stderr + done.stdout:
        pytest.skip(f"SARIF Multitool cannot run here (.NET ICU missing): SKIPPED\n{done.stdout[-2000:]}")
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(report.read_text())["runs"][0].get("results", [])
    return Counter((r["ruleId"], r.get("level", "warning")) for r in results)


FILES = {
    "package.json": json.dumps({"name": "@acme/bad", "version": "1.0.0", "license": "MIT", "main": "index.js"}),
    "index.js": "const t = 'ghp_" + "a1B2c3D4" * 5 + "';\neval(process.argv[2]);\nnew Function('x', 'return x')\n",
    "README.md": "# bad\n\n" + "x" * 700 + "\n",
}


def test_sarif_has_no_errors_or_warnings_and_every_rule_has_help_uri(tmp_path: Path) -> None:
    """One Multitool call (a few seconds) over a log holding every URI style we write: package-relative
    (PKGROOT, an acknowledged warning among the results) and repository-relative runs of two packages."""
    tool = _multitool()
    plain = check(Package.from_files(FILES), options=Options(offline=True, acknowledge_all=True))
    assert plain.findings, "the sample must produce results to validate"
    one = rebase(check(Package.from_files(FILES), options=Options(offline=True)), "packages/bad")
    two = rebase(check(Package.from_files({"index.js": "module.exports = 1;\n"})), "packages/ok")
    log = to_sarif_log([plain, one, two])
    assert to_sarif(plain)["runs"] == log["runs"][:1]
    assert [r["automationDetails"]["id"] for r in log["runs"][1:]] == ["extgate/packages/bad/", "extgate/packages/ok/"]
    counts = _validate(tool, log, tmp_path)
    bad = {k: n for k, n in counts.items() if k[1] in ("error", "warning")}
    assert bad == {}, bad
    assert not any(rule == "SARIF2012" for rule, _ in counts), "a rule lacks helpUri"

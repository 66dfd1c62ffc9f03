"""`extgate check` papercuts found by trying it as a new user: usage errors vs findings, the stderr summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from extgate.cli import main


def _pkg(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "package.json").write_text(json.dumps({"name": "demo", "version": "1.0.0", "license": "MIT"}))
    (pkg / "index.js").write_text("module.exports = 1;\n")
    return pkg


def test_missing_osv_db_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(_pkg(tmp_path)), "--osv-db", str(tmp_path / "nope.zip")]) == 2
    captured = capsys.readouterr()
    assert "--osv-db: no such file or directory" in captured.err and captured.out == ""


def test_output_file_still_prints_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "v.json"
    rc = main(["check", str(_pkg(tmp_path)), "--offline", "--yes", "--format", "json", "-o", str(out)])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert json.loads(out.read_text())["status"] == "passed" and rc == 0
    assert captured.err.startswith("PASSED: demo@1.0.0 [npm]")


def test_text_on_stdout_prints_no_second_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(_pkg(tmp_path)), "--offline", "--yes"])
    captured = capsys.readouterr()
    assert "PASSED: demo@1.0.0" in captured.out and captured.err == ""


def test_the_model_never_imports_the_formatters() -> None:
    """model.py is the bottom layer: importing it (and the engine) must not pull in any formatter."""
    code = (
        "import sys, extgate.model, extgate.engine;"
        "bad = sorted(m for m in sys.modules if m.startswith('extgate.formatters'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

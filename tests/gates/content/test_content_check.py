"""The content gate inside the whole pipeline: `extgate.check` on a directory and on a tarball."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import extgate
from extgate.model import Level, Status, Verdict
from support.archives import npm_tgz

TOKEN = "ghp_" + "R8tLw2ZkQ9mVx4NcB7yH1pJ5sD3fG6aK0eUo"
FILES = {
    "package.json": json.dumps({"name": "demo-ext", "version": "1.0.0", "main": "index.js"}),
    "index.js": f'const t = "{TOKEN}";\nfetch("https://bit.ly/abc");\n',
    "README.md": "# demo\n\nTalks to 192.0.2.10 in the examples.\n",
}
OPTIONS = extgate.Options(offline=True, network=False, use_cache=False)


def _check(source: object) -> Verdict:
    try:
        return extgate.check(source, options=OPTIONS)  # type: ignore[arg-type]
    except NotImplementedError as exc:  # pragma: no cover - only while intake is being built
        pytest.skip(f"intake not available: {exc}")


def _content(verdict: Verdict) -> list[tuple[str, str | None, int | None, Level]]:
    return [(f.rule_id, f.path, f.line, f.level) for f in verdict.findings if f.gate == "content"]


def _assert_content_findings(verdict: Verdict) -> None:
    assert verdict.status is Status.BLOCKED
    assert _content(verdict) == [
        ("secrets/github-token", "index.js", 1, Level.ERROR),
        ("content/shady-url", "index.js", 2, Level.WARNING),
    ]
    for finding in verdict.findings:
        assert TOKEN[4:] not in finding.message + (finding.snippet or "") + (finding.evidence or "")
        assert finding.fingerprint


def test_check_a_directory(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    _assert_content_findings(_check(tmp_path))


def test_check_a_tarball() -> None:
    first = _check(npm_tgz(FILES))
    _assert_content_findings(first)
    again = _check(npm_tgz(FILES))
    assert [f.fingerprint for f in again.findings] == [f.fingerprint for f in first.findings]

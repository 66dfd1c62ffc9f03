"""Every crash the fuzzers found is a fixture here (tests/fixtures/fuzz/<target>-<what>): replayed through its
harness, and through the whole engine (inside an archive where the harness's file would be), which must block it
with a proper rule, never `engine/internal-error`."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from extgate import Options, check

ROOT = Path(__file__).resolve().parents[2]
CRASHES = sorted((ROOT / "tests" / "fixtures" / "fuzz").glob("*-*"))
# fixture -> the rule the engine must report for it
EXPECTED = {
    "zip-version-23.zip": "archive/corrupt",  # zipfile's NotImplementedError escaped intake
    # a central directory whose offsets make zipfile place a local header before byte 0: "negative seek value"
    # (ValueError) out of the local-header comparison
    "zip-negative-header-offset.zip": "archive/corrupt",
    "manifest_yaml-bool-tag.yaml": "manifest/invalid",  # `!!bool x`: PyYAML's KeyError escaped parse_yaml
    "manifest_yaml-empty-int-tag.yaml": "manifest/invalid",  # `!!int ""`: IndexError
    "manifest_yaml-empty-float-tag.yaml": "manifest/invalid",  # `!!float`: IndexError
    "directory-swamp-bool-tag": "manifest/invalid",
    # an in-archive policy with an integer over Python's 4300-digit limit: ValueError out of Policy.from_toml was
    # engine/internal-error ("policy loading"); now the policy is ignored with a note and the code rules still run
    "policy-int-over-4300-digits.toml": "code/dynamic-eval",  # the same KeyError crashed directory intake (swamp tree)
    # an alias spelled with a lone-surrogate escape (`\uD800x`) of a child_process binding: encoding the names for
    # the value-escape scan raised UnicodeEncodeError (found by review of the new scan, before a campaign ran it)
    "js-lone-surrogate-alias.js": "code/subprocess",
}


def _source(target: str, data: bytes, tmp: Path) -> bytes | Path:
    """The fixture as the engine would meet it: archives as they are, a file inside an npm tarball, a directory
    harness input as the tree it describes."""
    sys.path.insert(0, str(ROOT / "fuzz"))
    import _targets

    if target == "directory":
        parts = data.split(b"\0")
        files = {"package.json": parts[0], **{parts[i].decode(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}}
        for name, content in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(content)
        return tmp

    wrap: dict[str, Callable[[bytes], dict[str, bytes]]] = {
        "manifest_yaml": lambda d: {"package/manifest.yaml": d},
        "package_json": lambda d: {"package/package.json": d},
        "js": lambda d: {"package/package.json": _targets.MANIFEST, "package/index.js": d},
        "policy": lambda d: {
            "package/package.json": _targets.MANIFEST,
            "package/index.js": b"eval(process.argv[2])\n",
            "package/.extgate.toml": d,
        },
    }
    if target not in wrap:
        return data
    return _targets.tar_bytes(wrap[target](data), "w:gz")


@pytest.mark.parametrize("fixture", CRASHES, ids=[p.name for p in CRASHES])
def test_fuzz_crash_fixture_is_handled(fixture: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "fuzz"))
    target = fixture.name.split("-", 1)[0]
    harness = importlib.import_module(f"fuzz_{target}")
    data = fixture.read_bytes()
    harness.one_input(data)
    if fixture.name in EXPECTED:
        verdict = check(
            _source(target, data, tmp_path / "tree"), options=Options(offline=True, network=False, use_cache=False)
        )
        rules = {f.rule_id for f in verdict.findings}
        assert verdict.blocked and EXPECTED[fixture.name] in rules and "engine/internal-error" not in rules


def test_every_expectation_has_its_fixture() -> None:
    assert set(EXPECTED) <= {p.name for p in CRASHES}

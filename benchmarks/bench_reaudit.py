"""Re-audit vs full re-scan on a catalogue of synthetic published versions.

    .venv/bin/python benchmarks/bench_reaudit.py [--versions 500] [--jobs 2]

Builds `--versions` small npm archives (each pins 1-4 dependencies drawn from the packages the OSV fixture records
name, at affected and unaffected versions), scans and indexes them with no advisories known (publish time), then
new advisories land (the 48 records of tests/fixtures/osv/npm) and two ways of finding the affected versions are
timed: `extgate reaudit` (match the new records against the catalogue's dependency table) and a full re-scan
(`scan-many` of every archive with the new records as --osv-db). Both must find the same affected versions.
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.archives import npm_tgz  # noqa: E402

OSV = ROOT / "tests" / "fixtures" / "osv" / "npm"
POOL = {  # name -> versions (affected and fixed ones) from the fixture records
    "lodash": ["4.17.15", "4.17.19", "4.17.21"],
    "chalk": ["5.6.1", "5.6.2", "4.1.2"],
    "debug": ["4.4.2", "4.4.1", "4.3.4"],
    "strip-ansi": ["7.1.1", "7.1.0", "6.0.1"],
    "minimist": ["1.2.5", "1.2.8"],
    "axios": ["0.21.1", "1.7.4"],
    "left-pad": ["1.3.0"],
    "is-number": ["7.0.0"],
}


def build(folder: Path, count: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        deps = {name: rng.choice(POOL[name]) for name in rng.sample(sorted(POOL), rng.randint(1, 4))}
        doc = {"name": f"ext-{i:04d}", "version": "1.0.0", "description": "x", "license": "MIT", "main": "index.js"}
        files = {"package.json": json.dumps({**doc, "dependencies": deps}), "index.js": "module.exports = 1;\n"}
        path = folder / f"ext-{i:04d}-1.0.0.tgz"
        path.write_bytes(npm_tgz(files))
        paths.append(path)
    return paths


def extgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "extgate.cli", *args], capture_output=True, text=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "archives").mkdir()
        (work / "none").mkdir()
        build(work / "archives", args.versions)
        common = ["--offline", "--no-cache", "-j", str(args.jobs)]
        t0 = time.perf_counter()
        db, none = str(work / "c.sqlite"), str(work / "none")
        extgate("index", str(work / "archives"), "--db", db, "--osv-db", none, *common)
        indexed = time.perf_counter() - t0

        t0 = time.perf_counter()
        done = extgate("reaudit", "--db", str(work / "c.sqlite"), "--advisories", str(OSV), "--format", "json")
        reaudit_s = time.perf_counter() - t0
        affected = {a["name"] for a in json.loads(done.stdout)["affected"]}

        t0 = time.perf_counter()
        extgate("scan-many", str(work / "archives"), "--osv-db", str(OSV), "-o", str(work / "full.jsonl"), *common)
        rescan_s = time.perf_counter() - t0
        rescanned = set()
        for line in (work / "full.jsonl").read_text().splitlines():
            verdict = json.loads(line)["verdict"]
            if any(d["advisories"] for d in verdict["dependencies"]):
                rescanned.add(verdict["package"]["name"])

    print(f"catalogue: {args.versions} versions, indexed in {indexed:.1f} s (-j {args.jobs})")
    print(f"reaudit:   {reaudit_s:.2f} s, {len(affected)} affected versions")
    print(f"re-scan:   {rescan_s:.1f} s, {len(rescanned)} versions with advisories")
    print(f"speed-up:  {rescan_s / reaudit_s:.0f}x; same affected set: {affected == rescanned}")


if __name__ == "__main__":
    main()

"""Dump the verdicts of a corpus of archives as JSON, so an optimisation can be checked for lost findings.

    .venv/bin/python benchmarks/verdicts.py OUT.json TARBALL...       # record
    .venv/bin/python benchmarks/verdicts.py --diff BEFORE.json AFTER.json

Runs offline (empty OSV database, no registry, no network, no cache unless --cache DIR): only local gates count.
Timing (`duration_ms`) is left out; everything else that identifies a finding is kept.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from extgate import Options, check
from extgate.formatters import to_json


def record(paths: list[Path], *, cache_dir: str | None, jobs: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as empty_db:
        extra: dict[str, Any] = {"jobs": jobs} if jobs is not None else {}
        options = Options(
            osv_db=empty_db, offline=True, use_cache=cache_dir is not None, cache_dir=cache_dir, network=False, **extra
        )
        for path in paths:
            verdict = check(path, options=options)
            data = json.loads(to_json(verdict))
            data.pop("duration_ms", None)
            data["findings"] = [
                {k: v for k, v in f.items() if k not in ("fingerprint",)} | {"fp": f.get("fingerprint")}
                for f in data.get("findings", [])
            ]
            out[path.name] = data
            print(f"{path.name}: {verdict.status} {len(verdict.findings)} findings", file=sys.stderr)
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> int:
    changed = 0
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        changed += 1
        print(f"== {name}")
        if a is None or b is None:
            print("   only in", "after" if a is None else "before")
            continue
        for key in sorted(set(a) | set(b)):
            if key != "findings" and a.get(key) != b.get(key):
                print(f"   {key}: {str(a.get(key))[:300]} -> {str(b.get(key))[:300]}")
        fa = {json.dumps(x) for x in a["findings"]}
        fb = {json.dumps(x) for x in b["findings"]}
        for x in sorted(fa - fb)[:20]:
            print("   -", x[:300])
        for x in sorted(fb - fa)[:20]:
            print("   +", x[:300])
    print(f"{changed} of {len(set(before) | set(after))} archives differ")
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--diff", action="store_true")
    parser.add_argument("--cache", metavar="DIR")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("out")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args()
    if args.diff:
        return diff(json.loads(Path(args.out).read_text()), json.loads(Path(args.paths[0]).read_text()))
    result = record(args.paths, cache_dir=args.cache, jobs=args.jobs)
    Path(args.out).write_text(json.dumps(result, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

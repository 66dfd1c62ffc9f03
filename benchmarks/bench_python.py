"""Python analysis throughput (MB/s of .py source per CPU second) on the .py files of archives, e.g. node-gyp's.

    .venv/bin/python benchmarks/bench_python.py ~/.cache/extgate-bench/tarballs/node-gyp-10.2.0.tgz [--repeat N]

Reads the .py members in memory (never executed) and times, with `time.process_time` (CPU, not wall clock), the
Python path of the code gate's per-file analysis, split into its stages:

    pre-check    extgate.pyparse: decoding, ast.parse, shape and cost checks
    analysis     the rules and facts (extgate.gates.code.python) on that tree
    behaviour    home-write / credential-read (extgate.gates.code.py_behaviour) on the same tree
    total        the three together (what analyze_file spends on a Python file after the prefilter)

The best of `--repeat` runs is reported (the box is shared; the minimum is the least disturbed run).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import tarfile
import time
from pathlib import Path

from extgate.gates.code import build_config, py_behaviour, python
from extgate.gates.code.interface import CodeConfig
from extgate.rules.registry import load_registry


def python_files(paths: list[Path]) -> list[tuple[str, bytes]]:
    files: list[tuple[str, bytes]] = []
    for path in paths:
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(".py"):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        files.append((member.name, handle.read()))
    return files


def run(files: list[tuple[str, bytes]], config: CodeConfig) -> dict[str, float]:
    if not hasattr(python, "check"):
        return run_libcst(files, config)
    spent = {"pre-check": 0.0, "analysis": 0.0, "behaviour": 0.0}
    for name, data in files:
        start = time.process_time()
        try:
            checked = python.check(data, config)
        except python.Unparseable:
            spent["pre-check"] += time.process_time() - start
            continue
        parsed = time.process_time()
        with contextlib.suppress(python.Unparseable):
            python.analyze(name, data, config, checked=checked)
        analysed = time.process_time()
        py_behaviour.tree_findings(checked.tree, config.behaviour, config.max_findings_per_rule, checked.nodes)
        done = time.process_time()
        spent["pre-check"] += parsed - start
        spent["analysis"] += analysed - parsed
        spent["behaviour"] += done - analysed
    spent["total"] = sum(spent.values())
    return spent


def run_libcst(files: list[tuple[str, bytes]], config: CodeConfig) -> dict[str, float]:
    """The same stages for extgate before 0.1.0's ast analyzer (to measure "before" from an older checkout):
    `python.analyze` ran the pre-check itself (subtracted here) and `py_behaviour.findings` parsed again."""
    from extgate import pyparse

    spent = {"pre-check": 0.0, "analysis": 0.0, "behaviour": 0.0}
    for name, data in files:
        start = time.process_time()
        try:
            pyparse.check(data, config.python_max_depth, config.parse_timeout_ms)
        except pyparse.Unparseable:
            spent["pre-check"] += time.process_time() - start
            continue
        checked = time.process_time()
        with contextlib.suppress(python.Unparseable):
            python.analyze(name, data, config)
        analysed = time.process_time()
        py_behaviour.findings(data, config.behaviour, config.max_findings_per_rule)
        done = time.process_time()
        spent["pre-check"] += checked - start
        spent["analysis"] += (analysed - checked) - (checked - start)
        spent["behaviour"] += done - analysed
    spent["total"] = sum(spent.values())
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archives", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = build_config(load_registry(), lambda key, default: default)
    files = python_files(args.archives)
    size = sum(len(data) for _, data in files)
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        gc.collect()
        for stage, seconds in run(files, config).items():
            best[stage] = min(best.get(stage, seconds), seconds)
    print(f"{len(files)} .py files, {size:,} bytes")
    for stage, seconds in best.items():
        rate = size / seconds / 1e6 if seconds else float("inf")
        print(f"  {stage:10s} {seconds:7.3f} s CPU  {rate:6.2f} MB/s")


if __name__ == "__main__":
    main()

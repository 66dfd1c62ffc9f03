"""Code gate throughput (files/s, MB/s) on the code files of real npm packages, and what the prefilter saves.

    .venv/bin/python benchmarks/bench_code.py [--corpus FILE] [--cache DIR] [--max-files N]

Tarballs come from `npm pack` into a cache dir (never installed or executed); code files are read from them in
memory. Four passes over the same files:

    prefilter        the real configuration: only files with a prefilter hit are parsed
    parse-all        the prefilter replaced by a match-everything pattern: every file is parsed
    scan-hyperscan   the prefilter scan alone (hyperscan)
    scan-re          the prefilter scan alone (Python `re` fallback)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import DEFAULT_CACHE, DEFAULT_CORPUS, fetch

from extgate.gates.code import analyze_file, build_config
from extgate.gates.code.interface import GROUP_PARSE, LANGUAGE_FOR_SUFFIX, CodeConfig, PrefilterPattern
from extgate.gates.code.prefilter import available_backend, compiled
from extgate.rules.registry import load_registry


def suffix_of(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".d.ts"):
        return ".d.ts"
    dot = lower.rfind(".")
    return lower[dot:] if dot > 0 else ""


def code_files(tarballs: list[Path], limit: int) -> list[tuple[str, str, bytes]]:
    files: list[tuple[str, str, bytes]] = []
    for path in tarballs:
        with tarfile.open(path) as tar:
            for member in tar:
                suffix = suffix_of(member.name)
                if not member.isfile() or suffix not in LANGUAGE_FOR_SUFFIX or member.size > 8_000_000:
                    continue
                handle = tar.extractfile(member)
                if handle is not None:
                    files.append((f"{path.name}:{member.name}", suffix, handle.read()))
                if len(files) >= limit:
                    return files
    return files


def parse_all(config: CodeConfig) -> CodeConfig:
    everything = PrefilterPattern("any", r"[\x00-\xff]", (GROUP_PARSE,))
    return dataclasses.replace(config, prefilter=(*config.prefilter, everything))


def run(label: str, files: list[tuple[str, str, bytes]], config: CodeConfig) -> float:
    total = sum(len(data) for _, _, data in files)
    parsed = 0
    started = time.perf_counter()
    for path, suffix, data in files:
        parsed += analyze_file(path, suffix, data, config).parsed
    elapsed = time.perf_counter() - started
    print(
        f"{label:<16} {len(files):>7} files {total / 1e6:>8.1f} MB {elapsed:>8.2f} s "
        f"{len(files) / elapsed:>9.0f} files/s {total / 1e6 / elapsed:>7.2f} MB/s  parsed {parsed}"
    )
    return elapsed


def scan_only(label: str, files: list[tuple[str, str, bytes]], config: CodeConfig, backend: str) -> None:
    prefilter = compiled(config.prefilter, backend)
    total = sum(len(data) for _, _, data in files)
    started = time.perf_counter()
    hits = sum(1 for _, _, data in files if GROUP_PARSE in prefilter.scan(data).groups)
    elapsed = time.perf_counter() - started
    print(f"{label:<16} {len(files):>7} files {total / 1e6:>8.1f} MB {elapsed:>8.2f} s "
          f"{total / 1e6 / elapsed:>24.1f} MB/s  would parse {hits}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--max-files", type=int, default=20_000)
    args = parser.parse_args()
    specs = [ln.strip() for ln in args.corpus.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    files = code_files(fetch(specs, args.cache), args.max_files)
    if not files:
        print("no code files found (is npm available?)", file=sys.stderr)
        return 1
    config = build_config(load_registry(), lambda key, default: default)
    analyze_file("warmup.js", ".js", b"require('x')", config)  # compile the prefilter outside the timings
    groups = {
        "javascript/ts": [f for f in files if LANGUAGE_FOR_SUFFIX[f[1]] not in ("python", "html")],
        "python": [f for f in files if LANGUAGE_FOR_SUFFIX[f[1]] == "python"],
        "all": files,
    }
    for name, group in groups.items():
        if not group:
            continue
        print(f"-- {name}")
        with_prefilter = run("prefilter", group, config)
        without = run("parse-all", group, parse_all(config))
        print(f"prefilter speedup: {without / with_prefilter:.2f}x")
    if available_backend() == "hyperscan":
        scan_only("scan-hyperscan", files, config, "hyperscan")
    scan_only("scan-re", files, config, "re")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

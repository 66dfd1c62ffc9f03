"""Content gate benchmarks and the entropy measurements behind the thresholds in rules/*.yaml.

    python benchmarks/bench_content.py             # timings: typical bundle, 5 MB single line, dense hostile input
    python benchmarks/bench_content.py --entropy   # entropy tables quoted in the rule docs

Timings are printed, never asserted (tests must not depend on machine speed). They run with tracemalloc on (for the
peak column), which makes Python-heavy paths several times slower than a plain run.
"""

from __future__ import annotations

import argparse
import base64
import functools
import random
import statistics
import string
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from extgate.gates.content import analyze_file, config_from
from extgate.gates.content.entropy import shannon
from extgate.gates.content.interface import ContentConfig
from extgate.gates.content.matcher import hyperscan_available
from extgate.rules.registry import load_registry

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"

NOT_SECRETS = [
    "your-api-key-here",
    "authorization",
    "access_token",
    "application/json",
    "bearer-token-header",
    "mySuperSecretPassword",
    "x-access-token-header",
    "changeme123",
    "session-token-v2",
    "1.0.0-beta.12",
    "2021-01-01T00:00:00Z",
    "abc123abc123",
    "Password123!",
]
NOT_BLOBS = {
    "camelCase identifier": "reallyLongFunctionNameThatGoesOnAndOnAndOnForeverAndEverAndEverWithoutEndingNearSoon",
    "node_modules path": "node_modules/jest-circus/node_modules/pretty-format/node_modules/ansi-styles/node_modules/x",
    "kebab class list": "tw-bg-gradient-to-r-from-indigo-500-via-purple-500-to-pink-500-hover-from-indigo-600-via-x",
    "repeated A": "A" * 120,
}


def _random(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def entropy_tables() -> None:
    rng = random.Random(5737)
    print("Shannon entropy (bits/char) of random strings, 2000 samples each: p5 / median / max")
    for name, alphabet in (("letters+digits", ALNUM), ("hex", HEX), ("base64", B64)):
        for n in (10, 12, 16, 20, 24, 32, 40, 64, 100):
            values = sorted(shannon(_random(rng, alphabet, n)) for _ in range(2000))
            print(f"  {name:15} n={n:3}: {values[100]:.2f} / {statistics.median(values):.2f} / {values[-1]:.2f}")
    print("\nbase64 of real data:")
    text = (" ".join(["the quick brown fox jumps over the lazy dog"] * 40)).encode()
    print(f"  base64(English text): {shannon(base64.b64encode(text)):.2f}")
    lowest = min(shannon(base64.b64encode(rng.randbytes(75))) for _ in range(500))
    print(f"  base64(random 75 bytes), min of 500: {lowest:.2f}")
    print("\nvalues that are not secrets:")
    for value in NOT_SECRETS:
        print(f"  {value!r:28} {shannon(value):.2f}")
    print("\nruns that are not blobs:")
    for name, value in NOT_BLOBS.items():
        print(f"  {name:22} {shannon(value):.2f}")


def _measure(label: str, config: ContentConfig, path: str, data: bytes) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    hits = analyze_file(path, data, config)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  {label:38} {len(data) / 1e6:6.1f} MB  {elapsed * 1000:8.1f} ms  peak {peak / 1e6:6.1f} MB  {len(hits)} hits"
    )


def _engine_setting(engine: str, key: str, default: Any) -> Any:
    return engine if key == "engine" else default


def timings() -> None:
    registry = load_registry()
    rng = random.Random(1)
    line = b"export function f(a, b) { return a + b; } // fetch('https://example.com/api')\n"
    inputs: dict[str, Callable[[], tuple[str, bytes]]] = {
        "typical code, 2 MB": lambda: ("dist/index.js", line * (2_000_000 // len(line))),
        "one 5 MB line of code": lambda: ("dist/app.min.js", (line.strip() + b";") * (5_000_000 // len(line))),
        "one 5 MB base64 line": lambda: ("dist/blob.js", base64.b64encode(rng.randbytes(3_750_000))),
        "5 MB of 99-char base64 runs": lambda: (
            "dist/runs.js",
            b" ".join(base64.b64encode(rng.randbytes(74))[:99] for _ in range(50_000)),
        ),
        "5 MB of IPv4 literals": lambda: ("dist/ips.js", b"10.1.2.3," * 625_000),
        "5 MB of token keywords": lambda: ("dist/tok.js", b'token="aaaa",' * 385_000),
    }
    engines = ["re"] + (["hyperscan"] if hyperscan_available() else [])
    for engine in engines:
        config = config_from(registry, functools.partial(_engine_setting, engine))
        started = time.perf_counter()
        analyze_file("warm.js", b"warm", config)  # compiles the prefilter database once per process
        print(f"engine={engine} (compile: {(time.perf_counter() - started) * 1000:.0f} ms)")
        for label, make in inputs.items():
            path, data = make()
            _measure(label, config, path, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entropy", action="store_true", help="print the entropy tables behind the thresholds")
    args = parser.parse_args()
    if args.entropy:
        entropy_tables()
    else:
        timings()


if __name__ == "__main__":
    main()

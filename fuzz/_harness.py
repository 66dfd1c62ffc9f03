"""Shared runner for the fuzz harnesses in this folder (one file per target; see FUZZING.md).

Each harness defines `one_input(data: bytes) -> None`, which feeds the bytes to one parser and fails (raises) only
when extgate breaks a guarantee: an exception the parser does not document, a crash, a hang (libFuzzer's
`-timeout`) or memory past `-rss_limit_mb`. `SEEDS` are small valid inputs the mutations start from.

    python fuzz/fuzz_<target>.py [libFuzzer flags]     (scripts/fuzz TARGET SECONDS sets the usual ones)

atheris (coverage-guided, libFuzzer) drives it; `mutations(seeds, n)` gives the deterministic byte mutations the
pytest smoke run uses (tests/fuzz), so a CI run needs no fuzzing engine at all.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path


def main(one_input: Callable[[bytes], None], seeds: Sequence[bytes]) -> None:
    import atheris

    corpus = Path(tempfile.mkdtemp(prefix="extgate-fuzz-seeds-"))
    for i, seed in enumerate(seeds):
        (corpus / f"seed-{i}").write_bytes(seed)
    argv = [*sys.argv, str(corpus)]  # libFuzzer writes new inputs to the first folder given, reads them all
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def instrumented(module: str) -> contextlib.AbstractContextManager[object]:
    """Around the harness's imports: when run as a fuzzer, extgate's code is instrumented for coverage (only
    extgate: instrumenting every loaded module takes minutes)."""
    if module != "__main__":
        return contextlib.nullcontext()
    import atheris

    return atheris.instrument_imports(include=["extgate", "_targets"])  # type: ignore[no-any-return]


def mutations(seeds: Sequence[bytes], n: int, seed: int = 0) -> Iterator[bytes]:
    """The seeds, then `n` deterministic mutants (bit flips, byte inserts/deletes, splices, truncation)."""
    rng = random.Random(seed)
    yield from seeds
    interesting = [b"\x00", b"\xff", b"{", b"[", b'"', b"\n", b"\\", b"../", b"\xef\xbb\xbf", b"(" * 64, b"9" * 40]
    for _ in range(n):
        data = bytearray(rng.choice(seeds) if seeds else b"")
        for _ in range(rng.randint(1, 6)):
            op = rng.randrange(5)
            pos = rng.randint(0, len(data))
            if op == 0 and data:
                data[min(pos, len(data) - 1)] ^= 1 << rng.randrange(8)
            elif op == 1:
                data[pos:pos] = rng.choice(interesting)
            elif op == 2 and data:
                del data[pos : pos + rng.randint(1, 16)]
            elif op == 3 and seeds:
                other = rng.choice(seeds)
                cut = rng.randint(0, len(other))
                data[pos:] = other[cut:]
            else:
                data = data[:pos]
        yield bytes(data)


def seed_files(*names: str) -> list[bytes]:
    """Seed inputs from the repository's test fixtures (paths relative to tests/fixtures)."""
    root = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
    return [(root / name).read_bytes() for name in names if (root / name).is_file()]


def temp_root() -> str:
    """A fresh folder under the system temp dir for harnesses that need files on disk."""
    return tempfile.mkdtemp(prefix="extgate-fuzz-", dir=os.environ.get("TMPDIR"))

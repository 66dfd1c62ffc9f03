"""Shared runner for the fuzz harnesses in this folder (one file per target; see FUZZING.md).

Each harness defines `one_input(data: bytes) -> None`, which feeds the bytes to one parser and fails (raises) only
when extgate breaks a guarantee: an exception the parser does not document, a crash, a hang (libFuzzer's
`-timeout`) or memory past `-rss_limit_mb`. `SEEDS` are small valid inputs the mutations start from (the CI smoke
run mutates these); `FIXTURES` are globs under tests/fixtures whose files seed the libFuzzer corpus too, so a
campaign starts from real packages, not from one line.

    python fuzz/fuzz_<target>.py [libFuzzer flags]     (scripts/fuzz TARGET SECONDS sets the usual ones)

Speed: a harness instruments only the modules its parser runs (`instrumented(__name__, "extgate.intake", ...)`),
not all of extgate (~170 modules, most of a minute under load) nor its dependencies; expensive set-up (the rule
pack, the code config, tree-sitter queries) is done once at import, outside `one_input`; and each harness has a
`-max_len` that keeps one execution cheap but large enough for the shapes it targets.

atheris (coverage-guided, libFuzzer) drives it; `mutations(seeds, n)` gives the deterministic byte mutations the
pytest smoke run uses (tests/fuzz), so a CI run needs no fuzzing engine at all.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import random
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

FIXTURES_ROOT = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
# libFuzzer dictionary tokens of JavaScript (the js harness; ts adds its own on top)
JS_DICTIONARY = [
    b"require(",
    b"eval(",
    b"new Function(",
    b"child_process",
    b"process.env",
    b"import(",
    b"exec",
    b"spawn",
    b"fetch(",
    b"Deno.",
    b"Bun.",
    b"globalThis",
    b"constructor",
    b"=>",
    b"`${",
    b"\\u0065",
    b"/*",
    b"*/",
    b"//",
    b"var ",
    b"const ",
    b"let ",
    b"function ",
    b"class ",
    b"export ",
    b"import ",
    b" from ",
]


def main(
    one_input: Callable[[bytes], None],
    seeds: Sequence[bytes],
    *,
    max_len: int,
    fixtures: Iterable[bytes] = (),
    dictionary: Sequence[bytes] = (),
) -> None:
    """Run libFuzzer over `one_input`. The seeds and fixture files go to a read-only seed folder after the corpus
    folder(s) on the command line (libFuzzer writes new inputs to the first one); `-max_len` and a `-dict` of
    `dictionary` tokens are added unless the command line sets them."""
    import atheris

    corpus = Path(tempfile.mkdtemp(prefix="extgate-fuzz-seeds-"))
    for i, seed in enumerate([*seeds, *(f for f in fixtures if len(f) <= max_len)]):
        (corpus / f"seed-{i}").write_bytes(seed)
    argv = libfuzzer_argv(sys.argv, corpus, max_len, dictionary)
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def libfuzzer_argv(argv: Sequence[str], seeds: Path, max_len: int, dictionary: Sequence[bytes]) -> list[str]:
    """The command line for libFuzzer: `-max_len` and `-dict` (written next to the `seeds` folder) unless given,
    the caller's flags and corpus folders, then `seeds` last (read, never written)."""
    flags = [a for a in argv[1:] if a.startswith("-")]
    extra = []
    if not any(a.startswith("-max_len=") for a in flags):
        extra.append(f"-max_len={max_len}")
    if dictionary and not any(a.startswith("-dict=") for a in flags):
        path = seeds.with_name(seeds.name + ".dict")
        path.write_text("".join(f'"{_dict_escape(token)}"\n' for token in dictionary))
        extra.append(f"-dict={path}")
    return [argv[0], *extra, *argv[1:], str(seeds)]


def _dict_escape(token: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in token)


def instrumented(module: str, *packages: str, without: Sequence[str] = ()) -> contextlib.AbstractContextManager[object]:
    """Around the harness's imports: when run as a fuzzer, coverage instrumentation for `packages` only (module or
    package prefixes such as "extgate.intake" or "tarfile"), minus the modules in `without`, everything else
    imported uninstrumented.

    atheris's `include` works on top-level packages only, so the rest of extgate is listed in `exclude` (module
    names from the source tree, found without importing anything)."""
    if module != "__main__":
        return contextlib.nullcontext()
    import atheris

    tops = sorted({p.split(".", 1)[0] for p in packages})
    skip = [*excluded(packages), *without]
    return atheris.instrument_imports(include=tops, exclude=skip)  # type: ignore[no-any-return]


def excluded(packages: Sequence[str]) -> list[str]:
    """Every module of the top-level packages of `packages` that is not `packages` or inside one of them (the
    packages on the way, like `extgate` for `extgate.intake`, are imported but not instrumented)."""
    tops = sorted({p.split(".", 1)[0] for p in packages})
    return [
        name
        for top in tops
        for name in _modules_of(top)
        if not any(name == p or name.startswith(p + ".") for p in packages)
    ]


def _modules_of(top: str) -> list[str]:
    """Every module name of the top-level package or module `top`, from its files (nothing is imported)."""
    spec = importlib.util.find_spec(top)
    if spec is None or spec.origin is None:
        return [top]
    if not spec.submodule_search_locations:
        return [top]
    names = []
    for base in spec.submodule_search_locations:
        root = Path(base)
        for path in root.rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.append(".".join((top, *parts)))
    return names


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
    return [(FIXTURES_ROOT / name).read_bytes() for name in names if (FIXTURES_ROOT / name).is_file()]


def fixture_files(*patterns: str, limit: int = 1 << 20) -> list[bytes]:
    """The contents of every fixture file matching one of the globs (relative to tests/fixtures), sorted by path,
    duplicates dropped; files over `limit` bytes are left out."""
    paths = sorted({p for pattern in patterns for p in FIXTURES_ROOT.glob(pattern) if p.is_file()})
    seen: set[bytes] = set()
    out = []
    for path in paths:
        data = path.read_bytes()
        if len(data) <= limit and data not in seen:
            seen.add(data)
            out.append(data)
    return out


def fixture_trees(*patterns: str) -> list[dict[str, bytes]]:
    """Each fixture folder matching a glob as {relative path: content} (the package trees under tests/fixtures)."""
    trees = []
    for root in sorted({p for pattern in patterns for p in FIXTURES_ROOT.glob(pattern) if p.is_dir()}):
        files = {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file() and not path.is_symlink()
        }
        if files:
            trees.append(files)
    return trees


def temp_root() -> str:
    """A fresh folder under the system temp dir for harnesses that need files on disk."""
    return tempfile.mkdtemp(prefix="extgate-fuzz-", dir=os.environ.get("TMPDIR"))

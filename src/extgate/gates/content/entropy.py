"""Is a string random-looking (a key) or a word, a path, a placeholder? Shannon entropy plus character classes.

Shannon entropy is bounded by log2(len): a 12-character string can never exceed 3.58 bits per character. Thresholds
in rules/secrets.yaml were measured with `python benchmarks/bench_content.py --entropy` on random tokens, real-world
placeholders and identifiers; the numbers are in the rule docs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

_MEASURE_CAP = 4096  # entropy of the first 4 KiB is representative and keeps a 5 MB run cheap


def shannon(value: bytes | str) -> float:
    """Bits per character of `value` (0.0 for empty)."""
    sample = value[:_MEASURE_CAP]
    if not sample:
        return 0.0
    total = len(sample)
    counts = Counter(sample)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def char_classes(value: str) -> int:
    """How many of lower, upper, digit, other appear."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


@lru_cache(maxsize=32)
def _placeholder_re(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def is_placeholder(value: str, patterns: Iterable[str]) -> bool:
    """True for `changeme`, `<your-token>`, `${TOKEN}`, `process.env.X`, `xxxx...` (patterns come from the YAML)."""
    compiled = _placeholder_re(tuple(patterns))
    return compiled is not None and compiled.search(value) is not None


def looks_random(value: str, *, min_length: int, min_entropy: float, min_classes: int) -> bool:
    return len(value) >= min_length and char_classes(value) >= min_classes and shannon(value) >= min_entropy

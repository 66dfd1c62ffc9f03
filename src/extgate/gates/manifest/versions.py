"""Version grammars and "what is the next free version": strict SemVer 2.0.0 and swamp CalVer YYYY.MM.DD.N.

Pure functions: no I/O, the clock is passed in. Used by `manifest/version`, `manifest/version-exists` and the
`extgate next-version` command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import nodesemver

MAX_VERSION_LENGTH = 256  # npm refuses longer version strings

# SemVer 2.0.0, https://semver.org (the regex the spec recommends): no 'v', no leading zeros, no spaces.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z",
    re.ASCII,
)
# Dev compile versions are reserved for Cinatra's compile-to-DB path and never publishable.
DEV_COMPILE = re.compile(r"^0\.0\.0-dev\.")
CALVER = re.compile(r"^(\d{4})\.(\d{2})\.(\d{2})\.([1-9]\d*)\Z", re.ASCII)

# Keys of a packument's `time` map that are not versions.
_TIME_META = frozenset({"created", "modified", "unpublished"})


def semver_problem(version: str) -> str | None:
    """Why `version` is not a publishable npm-style version, or None when it is."""
    if len(version) > MAX_VERSION_LENGTH:
        return f"is longer than {MAX_VERSION_LENGTH} characters"
    if version != version.strip():
        return "has leading or trailing whitespace"
    if version[:1] in ("v", "V", "=") and SEMVER.match(version[1:]):
        return f"has a {version[0]!r} prefix; SemVer versions are bare (write {version[1:]!r})"
    if not SEMVER.match(version):
        return "is not a valid SemVer 2.0.0 version (MAJOR.MINOR.PATCH[-prerelease][+build], no leading zeros)"
    if DEV_COMPILE.match(version):
        return "is a dev compile version (0.0.0-dev.*), reserved for local builds and never publishable"
    return None


@dataclass(frozen=True, slots=True)
class CalVer:
    day: date
    micro: int

    def __str__(self) -> str:
        return f"{self.day.year:04d}.{self.day.month:02d}.{self.day.day:02d}.{self.micro}"


def parse_calver(version: str) -> CalVer | None:
    """A well-formed CalVer with a real calendar date, else None."""
    match = CALVER.match(version)
    if not match:
        return None
    year, month, day, micro = (int(g) for g in match.groups())
    try:
        return CalVer(date(year, month, day), micro)
    except ValueError:
        return None


def calver_problem(version: str, today: date) -> str | None:
    """Why `version` is not a publishable swamp CalVer, or None when it is."""
    if not CALVER.match(version):
        return "is not CalVer YYYY.MM.DD.N (for example 2026.04.07.1; N starts at 1, no leading zeros)"
    parsed = parse_calver(version)
    if parsed is None:
        return "does not name a real calendar date"
    if parsed.day > today:
        return f"is dated in the future (today is {today.isoformat()} UTC)"
    return None


def published_versions(packument: Mapping[str, Any]) -> set[str]:
    """Every version the registry has ever published: current `versions` plus `time` entries (npm keeps the
    publish time of unpublished versions, and a version number can never be reused)."""
    out: set[str] = set()
    versions = packument.get("versions")
    if isinstance(versions, Mapping):
        out.update(str(v) for v in versions)
    times = packument.get("time")
    if isinstance(times, Mapping):
        out.update(str(v) for v in times if v not in _TIME_META)
    return out


def strip_build(version: str) -> str:
    """npm ignores build metadata: 1.0.0+abc publishes as 1.0.0."""
    return version.split("+", 1)[0]


def next_calver(published: Iterable[str], today: date) -> str:
    """Same day as an existing version -> the highest N that day + 1; otherwise today.1."""
    highest = 0
    for version in published:
        parsed = parse_calver(version)
        if parsed is not None and parsed.day == today:
            highest = max(highest, parsed.micro)
    return str(CalVer(today, highest + 1))


def next_semver(current: str | None, published: Iterable[str]) -> str:
    """The manifest's version when it is free and newer than everything published; otherwise the patch after
    the highest version (published or the manifest's), skipping any that exist."""
    taken = {strip_build(v) for v in published if SEMVER.match(v)}
    base = strip_build(current) if current and semver_problem(current) is None else None
    if base is not None and base not in taken and all(_gt(base, v) for v in taken):
        return base
    candidates: list[str] = nodesemver.sort(sorted(taken | ({base} if base else set())), False)
    version = candidates[-1] if candidates else "0.0.0"
    for _ in range(10_000):  # bounded: each step is a strictly higher version
        version = str(nodesemver.inc(version, "patch", False))
        if version not in taken:
            return version
    raise ValueError("no free version found")  # pragma: no cover - unreachable in practice


def _gt(a: str, b: str) -> bool:
    return bool(nodesemver.gt(a, b, False))

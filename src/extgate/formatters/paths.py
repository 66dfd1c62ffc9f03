"""Repository-relative paths: rebase a verdict's locations onto the package's folder in the repository.

A check reports paths relative to the package root (`index.js`), which is what a registry wants. CI wants
repository paths (`packages/x/index.js`) so that annotations and code-scanning alerts land on real files.
`rebase` is pure: fingerprints are kept as computed (on package paths), so alerts stay stable whichever way a
package is checked.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from extgate.model import Dependency, Finding, Location, Verdict


def relative_root(package_dir: Path, repo_root: Path) -> str | None:
    """`package_dir` relative to `repo_root` in POSIX form ('.' for the root itself); None when outside it."""
    try:
        rel = Path(os.path.realpath(package_dir)).relative_to(os.path.realpath(repo_root))
    except ValueError:
        return None
    return rel.as_posix() or "."


def _join(root: str, path: str) -> str:
    return path if root in ("", ".") else f"{root}/{path}"


def _location(root: str, loc: Location | None) -> Location | None:
    return replace(loc, path=_join(root, loc.path)) if loc is not None and loc.path else loc


def rebase(verdict: Verdict, root: str) -> Verdict:
    """The verdict with every location (findings, dependencies, publish set) prefixed by `root`."""
    findings: tuple[Finding, ...] = tuple(replace(f, location=_location(root, f.location)) for f in verdict.findings)
    dependencies: tuple[Dependency, ...] = tuple(
        replace(d, location=_location(root, d.location)) for d in verdict.dependencies
    )
    target = replace(
        verdict.target, root=root or ".", publish_set=tuple(_join(root, p) for p in verdict.target.publish_set)
    )
    return replace(verdict, findings=findings, dependencies=dependencies, target=target)

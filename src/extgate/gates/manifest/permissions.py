"""`manifest/permissions`: an Orchestra manifest's declared `permissions` against the APIs the code uses.

The code gate reports each capability-bearing API use under a canonical name (`fetch`, `fs.readFile`,
`child_process.spawn`, `process.env`, `Deno.Command` ...). rules/permissions.yaml maps each permission to glob
patterns over those names. A use that needs a permission the manifest does not declare is an error (the host
sandbox would deny it at run time, or the marketplace listing under-states what the extension does); a
declared permission nothing uses is a warning ("don't declare permissions you don't use").
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from extgate.gates.manifest.interface import Scope, capped
from extgate.model import Finding, Level, truncate

MAX_PERMISSION_FINDINGS = 100


def permission_map(scope: Scope) -> tuple[Mapping[str, Sequence[str]], Mapping[str, Sequence[str]]]:
    """(permission -> API glob patterns, alias -> permissions), from rules/permissions.yaml `data:`."""
    data: Mapping[str, Any] = scope.ctx.rules.data("permissions")
    patterns = data.get("permissions") or {}
    aliases = data.get("aliases") or {}
    return (
        {str(k): tuple(str(p) for p in v) for k, v in patterns.items()},
        {str(k): tuple(str(p) for p in v) for k, v in aliases.items()},
    )


def needed_by(api: str, patterns: Mapping[str, Sequence[str]]) -> list[str]:
    """Permissions any one of which covers a use of `api`."""
    return [perm for perm, globs in patterns.items() if any(fnmatch.fnmatchcase(api, g) for g in globs)]


def check_permissions(scope: Scope) -> Iterator[Finding]:
    declared_raw = scope.data.get("permissions")
    if not isinstance(declared_raw, list):
        return  # no Orchestra permission list: nothing to compare (the schema reports a wrong type)
    code = scope.ctx.facts.code
    if code is None:
        scope.note("manifest/permissions: skipped (the code gate left no API-use facts)")
        return
    patterns, aliases = permission_map(scope)
    declared: dict[str, int] = {}  # permission -> index in the manifest list
    unknown: list[tuple[int, str]] = []
    for index, item in enumerate(declared_raw):
        if not isinstance(item, str):
            continue
        expanded = aliases.get(item, (item,))
        if not any(p in patterns for p in expanded):
            unknown.append((index, item))
        for perm in expanded:
            declared.setdefault(perm, index)
    for index, item in unknown:
        yield scope.at(
            "manifest/permissions",
            f"permission {truncate(item, 60)!r} is not one extgate knows ({', '.join(sorted(patterns))}); "
            "use a known name so its use can be verified.",
            f"/permissions/{index}",
            level=Level.WARNING,
            snippet=item,
            evidence=f"unknown:{item}",
        )

    used: set[str] = set()

    def undeclared() -> Iterator[Finding]:
        seen: set[tuple[str, str, int]] = set()
        for use in code.api_uses:
            needs = needed_by(use.api, patterns)
            if not needs:
                continue
            used.update(needs)
            if any(perm in declared for perm in needs):
                continue
            key = (use.api, use.path, use.line)
            if key in seen:
                continue
            seen.add(key)
            yield scope.ctx.finding(
                "manifest/permissions",
                f"{use.api} needs the {' or '.join(repr(n) for n in needs)} permission, which the manifest does "
                f"not declare; add it to `permissions` in {scope.manifest.path} or remove the call.",
                path=use.path,
                line=use.line,
                evidence=f"{use.api}:{needs[0]}",
                properties={"api": use.api, "permission": needs[0]},
            )

    def summary(extra: int) -> Finding:
        return scope.at(
            "manifest/permissions",
            f"{extra} more API uses need undeclared permissions than shown; declare the permissions above.",
            "/permissions",
            evidence="more",
        )

    yield from capped(undeclared(), MAX_PERMISSION_FINDINGS, summary)
    # Count uses that a declared permission covers, too (the generator above only saw undeclared ones).
    for use in code.api_uses:
        used.update(needed_by(use.api, patterns))
    reported: set[int] = set()
    for perm, index in declared.items():
        if perm in patterns and perm not in used and index not in reported:
            group = [p for p, i in declared.items() if i == index and p in patterns]
            if any(p in used for p in group):
                continue
            reported.add(index)
            yield scope.at(
                "manifest/permissions",
                f"permission {declared_raw[index]!r} is declared but no code in the package uses an API it "
                "covers; remove it (users are asked to grant every declared permission).",
                f"/permissions/{index}",
                level=Level.WARNING,
                snippet=str(declared_raw[index]),
                evidence=f"unused:{declared_raw[index]}",
            )

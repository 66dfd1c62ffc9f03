"""Install scripts of bundled dependencies: `manifest/install-script` and `manifest/install-script-payload` on the
`node_modules/<dep>/package.json` files an archive ships.

npm runs the lifecycle scripts -- and the implicit `node-gyp rebuild` of a binding.gyp -- of every dependency it
installs from the package's own bundle (`bundleDependencies` / `bundledDependencies`; `true` bundles all
dependencies), nested ones included. That code is in the archive, not on the registry, so no registry signal
covers it. Without a bundle list npm unpacks such files but runs none of their scripts, so they are not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from extgate.facts import Manifest
from extgate.gates.manifest import install_payload
from extgate.gates.manifest.interface import Scope
from extgate.gates.manifest.npm import builds_binding_gyp, install_scripts
from extgate.gates.manifest.parse import MAX_MANIFEST_BYTES, ParseError, escape, parse_json
from extgate.model import Entry, Finding, truncate

RULE = "manifest/install-script"
# node_modules/<dep>/package.json, a scoped <dep> (@s/x) and nested node_modules below it; the first is the bundled
# dependency that decides whether npm treats the tree as part of the bundle
_BUNDLED_MANIFEST = re.compile(
    r"node_modules/(?P<top>@[^/]+/[^/]+|[^/@][^/]*)(?:/node_modules/(?:@[^/]+/[^/]+|[^/@][^/]*))*/package\.json"
)


def bundle(data: Mapping[str, Any]) -> frozenset[str] | None:
    """The names npm installs from the archive's node_modules; None for all of them (`true`, or a shape npm might
    read differently than extgate: fail closed)."""
    names: set[str] = set()
    for key in ("bundleDependencies", "bundledDependencies"):
        value = data.get(key)
        if value is None or value is False:
            continue
        if not isinstance(value, list):
            return None
        names.update(v for v in value if isinstance(v, str))
    return frozenset(names)


def check_bundled_install_scripts(scope: Scope) -> Iterator[Finding]:
    bundled = bundle(scope.data)
    if bundled is not None and not bundled:
        return
    limit = int(scope.ctx.setting("max_manifest_bytes", MAX_MANIFEST_BYTES))
    for entry in scope.ctx.package.files:
        match = _BUNDLED_MANIFEST.fullmatch(entry.path)
        if match is None or (bundled is not None and match["top"] not in bundled):
            continue
        folder = entry.path.removesuffix("/package.json")
        data = _read(scope, entry, limit)
        if isinstance(data, Finding):
            yield data
            continue
        yield from _scripts(Scope(scope.ctx, data), folder)


def _read(scope: Scope, entry: Entry, limit: int) -> Manifest | Finding:
    problem: str | None = None
    if entry.truncated or entry.size > limit or entry.data is None:
        problem = f"it is {entry.size} bytes, over the {limit}-byte manifest limit"
    else:
        try:
            parsed = parse_json(entry.data, what=entry.path, limit=limit)
        except ParseError as exc:
            problem = exc.message
        else:
            if isinstance(parsed.data, dict):
                return Manifest(kind="package.json", path=entry.path, data=parsed.data, lines=dict(parsed.lines))
            problem = "it does not hold an object"
    return scope.ctx.finding(
        RULE,
        f"{entry.path} belongs to a bundled dependency, whose install scripts npm runs, but extgate cannot read "
        f"it ({truncate(problem, 160)}); whatever scripts npm reads there would run unseen. Fix or drop the "
        "bundled copy.",
        path=entry.path,
        evidence=f"{entry.path}:unreadable",
    )


def _scripts(dep: Scope, folder: str) -> Iterator[Finding]:
    name = truncate(dep.name or folder.rsplit("node_modules/", 1)[-1], 80)
    for hook, script in install_scripts(dep):
        yield dep.at(
            RULE,
            f"bundled dependency {name} has scripts.{hook} {truncate(script, 100)!r}, which npm runs on every "
            "machine that installs this package (bundled dependencies' scripts run too); drop the script from the "
            "bundled copy or stop bundling it.",
            f"/scripts/{escape(hook)}",
            snippet=script,
            evidence=f"{folder}/scripts/{hook}:{script}",
        )
    yield from install_payload.check_install_payloads(dep, f"bundled dependency {name}", folder)
    gyp = builds_binding_gyp(dep, folder)
    if gyp is not None:
        yield dep.ctx.finding(
            RULE,
            f"{gyp} makes npm run `node-gyp rebuild` (a native build) for bundled dependency {name} on install; "
            "ship prebuilt binaries or drop binding.gyp from the bundled copy.",
            path=gyp,
            evidence=f"{gyp}:implicit-install",
        )

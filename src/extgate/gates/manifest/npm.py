"""package.json checks: `manifest/entry-point`, `manifest/files`, `manifest/install-script`, `manifest/abi`.

Entry points are checked against the files that would really be published, resolved the way their consumer
resolves them: Node's extension probing for `main`, none for `exports` and `bin`, TypeScript's for `types`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any

import nodesemver

from extgate.gates.manifest.interface import Scope, capped, package_path
from extgate.gates.manifest.parse import escape
from extgate.model import Finding, Level, truncate

# How each field's consumer completes a path that names no file exactly.
_PROBES: Mapping[str, tuple[str, ...]] = {
    "main": ("", ".js", ".json", ".node", "/index.js", "/index.json", "/index.node"),
    "module": ("", ".js", ".mjs", "/index.js", "/index.mjs"),
    "browser": ("", ".js", ".json", "/index.js"),
    "types": ("", ".d.ts", "/index.d.ts"),
    "typings": ("", ".d.ts", "/index.d.ts"),
}
MAX_EXPORT_TARGETS = 2000
MAX_EXPORT_PATTERNS = 200  # wildcard targets are matched against every file: bound that work separately
MAX_FILES_PATTERNS = 200
MAX_RANGE_LENGTH = 256


def exists(scope: Scope, path: str, probes: tuple[str, ...] = ("",)) -> bool:
    return any((path + probe if probe else path) in scope.files for probe in probes)


def _missing(field: str, ref: str) -> str:
    return (
        f"{field} points to {truncate(ref, 120)!r}, which is not in the package; add the file to what is "
        "published (check `files` and the build output) or fix the path."
    )


def _outside(field: str, ref: str) -> str:
    return (
        f"{field} {truncate(ref, 120)!r} is absolute or climbs out of the package; entry points must be "
        "relative paths inside it, like ./dist/index.js."
    )


def check_entry_points(scope: Scope) -> Iterator[Finding]:
    data = scope.data
    for field, probes in _PROBES.items():
        ref = data.get(field)
        if not isinstance(ref, str):
            continue
        yield from _check_ref(scope, field, f"/{field}", ref, probes)
    bin_field = data.get("bin")
    if isinstance(bin_field, str):
        yield from _check_ref(scope, "bin", "/bin", bin_field, ("",))
    elif isinstance(bin_field, Mapping):
        for command, ref in bin_field.items():
            if isinstance(ref, str):
                yield from _check_ref(scope, f"bin.{command}", f"/bin/{escape(command)}", ref, ("",))
    if "exports" in data:
        yield from check_exports(scope, data["exports"])
    cinatra = scope.cinatra
    # cinatra/server-entry checks serverEntry with Cinatra's exact resolver; only without it does this rule.
    if cinatra is not None and not (scope.ctx.enabled("cinatra/server-entry") and scope.cinatra_checks):
        entry = cinatra.get("serverEntry")
        if isinstance(entry, str) and entry and not _is_export_key(data.get("exports"), entry):
            yield from _check_ref(scope, "cinatra.serverEntry", "/cinatra/serverEntry", entry, ("",))


def _is_export_key(exports: Any, key: str) -> bool:
    return isinstance(exports, Mapping) and key in exports


def _check_ref(scope: Scope, field: str, pointer: str, ref: str, probes: tuple[str, ...]) -> Iterator[Finding]:
    path = package_path(ref)
    if path is None:
        yield scope.at("manifest/entry-point", _outside(field, ref), pointer, snippet=ref)
    elif not exists(scope, path, probes):
        yield scope.at("manifest/entry-point", _missing(field, ref), pointer, snippet=ref)


def _walk_exports(value: Any, pointer: str) -> Iterator[tuple[str, Any, bool]]:
    """(pointer, target, is_mixed_level) for every leaf of an exports tree; arrays are fallbacks, objects
    are subpath maps or (nested) condition maps, null excludes a path."""
    stack: list[tuple[str, Any]] = [(pointer, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, list):
            stack.extend((f"{where}/{i}", item) for i, item in reversed(list(enumerate(node))))
        elif isinstance(node, Mapping):
            keys = [str(k) for k in node]
            subpaths = [k.startswith(".") for k in keys]
            if any(subpaths) and not all(subpaths):
                yield where, None, True
            stack.extend((f"{where}/{escape(str(k))}", v) for k, v in reversed(list(node.items())))
        elif node is not None:
            yield where, node, False


def _pattern(target: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in target.split("*")))


def check_exports(scope: Scope, exports: Any) -> Iterator[Finding]:
    patterns = 0

    def findings() -> Iterator[Finding]:
        nonlocal patterns
        for where, target, mixed in _walk_exports(exports, "/exports"):
            if mixed:
                yield scope.at(
                    "manifest/entry-point",
                    "exports mixes subpath keys ('./x') with condition keys ('import', 'default') in one object; "
                    "Node refuses such a map. Nest the conditions under a subpath key.",
                    where,
                    evidence=f"{where}:mixed",
                )
                continue
            if not isinstance(target, str):
                yield scope.at(
                    "manifest/entry-point",
                    f"exports target at {where} is not a string; use './path' strings, condition objects, arrays "
                    "or null.",
                    where,
                )
                continue
            if "*" in target:
                patterns += 1
                if patterns > MAX_EXPORT_PATTERNS:
                    yield scope.at(
                        "manifest/limit",
                        f"exports has more than {MAX_EXPORT_PATTERNS} pattern targets; the rest are not checked.",
                        "/exports",
                        evidence="export-patterns",
                    )
                    return
            yield from _check_export_target(scope, where, target)

    def summary(extra: int) -> Finding:
        return scope.at(
            "manifest/limit",
            f"exports has more than {MAX_EXPORT_TARGETS} targets ({extra} not checked); split the package or "
            "use subpath patterns.",
            "/exports",
        )

    yield from capped(findings(), MAX_EXPORT_TARGETS, summary)


def _check_export_target(scope: Scope, where: str, target: str) -> Iterator[Finding]:
    if not target.startswith("./"):
        yield scope.at(
            "manifest/entry-point",
            f"exports target {truncate(target, 120)!r} must start with './' (Node rejects bare, absolute and "
            "parent-relative targets).",
            where,
            snippet=target,
        )
        return
    if any(seg in ("..", ".", "node_modules") for seg in target[2:].split("/")):
        yield scope.at("manifest/entry-point", _outside("exports target", target), where, snippet=target)
        return
    rest = target[2:]
    if "*" in rest:
        pattern = _pattern(rest)
        if not any(pattern.fullmatch(path) for path in scope.files):
            yield scope.at(
                "manifest/entry-point",
                f"exports pattern {truncate(target, 120)!r} matches no file in the package; fix the pattern or "
                "publish the files it should expose.",
                where,
                snippet=target,
            )
        return
    if rest.endswith("/") or rest == "":
        if rest.rstrip("/") and rest.rstrip("/") not in scope.directories:
            yield scope.at("manifest/entry-point", _missing("exports folder", target), where, snippet=target)
        return
    if rest not in scope.files:
        yield scope.at("manifest/entry-point", _missing("exports target", target), where, snippet=target)


# -- files ----------------------------------------------------------------------------------------------------


def glob_regex(pattern: str) -> re.Pattern[str]:
    """gitignore-style glob (as npm's `files` uses it) -> regex over '/'-separated paths."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end > i + 1:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
                continue
            out.append(re.escape(char))
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))


def files_pattern_matches(scope: Scope, raw: str) -> bool:
    """Does a `files` entry select anything? Lenient on purpose: a directory entry selects its contents, and
    a slash-free glob may match a name at any depth."""
    pattern = raw.strip()
    while pattern.startswith("./"):
        pattern = pattern[2:]
    pattern = pattern.strip("/")
    if not pattern or pattern in (".", "*", "**"):
        return bool(scope.files)
    candidates = scope.files | scope.directories
    if not any(c in pattern for c in "*?["):
        return pattern in candidates
    regex = glob_regex(pattern)
    if any(regex.fullmatch(path) for path in candidates):
        return True
    if "/" not in pattern:
        return any(regex.fullmatch(path.rsplit("/", 1)[-1]) for path in candidates)
    return False


def check_files(scope: Scope) -> Iterator[Finding]:
    files = scope.data.get("files")
    if not isinstance(files, list):
        return

    def findings() -> Iterator[Finding]:
        for index, entry in enumerate(files):
            if not isinstance(entry, str) or entry.startswith("!"):
                continue  # negations only remove; the schema reports non-strings
            if not files_pattern_matches(scope, entry):
                yield scope.at(
                    "manifest/files",
                    f"`files` entry {truncate(entry, 120)!r} matches nothing in the package; remove it or build "
                    "the files it should include before packing.",
                    f"/files/{index}",
                    level=Level.WARNING,
                    snippet=entry,
                    evidence=f"/files:{entry}",
                )

    def summary(extra: int) -> Finding:
        return scope.at(
            "manifest/limit", f"`files` has {extra} more entries than extgate checks; shorten the list.", "/files"
        )

    yield from capped(findings(), MAX_FILES_PATTERNS, summary)


# -- install scripts -------------------------------------------------------------------------------------------


def install_scripts(scope: Scope) -> list[tuple[str, str]]:
    """(hook, script) of the lifecycle scripts npm runs on install (rules/manifest.yaml `install_scripts`)."""
    hooks = scope.ctx.rules.data("manifest").get("install_scripts", ("preinstall", "install", "postinstall"))
    scripts = scope.data.get("scripts")
    declared: Mapping[str, object] = scripts if isinstance(scripts, Mapping) else {}
    return [(hook, script) for hook in hooks if isinstance(script := declared.get(hook), str)]


def builds_binding_gyp(scope: Scope, folder: str = "") -> str | None:
    """The binding.gyp of `folder` npm builds with `node-gyp rebuild` on install (it does so when the manifest has
    no install/preinstall script of its own), or None."""
    gyp = f"{folder}/binding.gyp" if folder else "binding.gyp"
    scripts = scope.data.get("scripts")
    declared: Mapping[str, object] = scripts if isinstance(scripts, Mapping) else {}
    own = any(isinstance(declared.get(h), str) for h in ("install", "preinstall"))
    return gyp if gyp in scope.files and not own else None


def check_install_scripts(scope: Scope) -> Iterator[Finding]:
    for hook, script in install_scripts(scope):
        yield scope.at(
            "manifest/install-script",
            f"scripts.{hook} runs {truncate(script, 100)!r} on every machine that installs this package; "
            "ship built files instead, or move the step to `prepare`/`prepack` (which run only for you).",
            f"/scripts/{escape(hook)}",
            snippet=script,
            evidence=f"/scripts/{hook}:{script}",
        )
    if builds_binding_gyp(scope):
        yield scope.ctx.finding(
            "manifest/install-script",
            "binding.gyp at the package root makes npm run `node-gyp rebuild` (a native build) on install; "
            "ship prebuilt binaries or drop binding.gyp from the published files.",
            path="binding.gyp",
            evidence="binding.gyp:implicit-install",
        )


# -- bin names -------------------------------------------------------------------------------------------------


def bin_commands(scope: Scope) -> list[tuple[str, str]]:
    """(command name as npm links it, JSON pointer) for `bin`, or for the files of `directories.bin` when there is
    no `bin` (npm then makes a bin of every file in that folder)."""
    data = scope.data
    field = data.get("bin")
    if isinstance(field, str):
        name = scope.name or ""
        return [(name.rsplit("/", 1)[-1], "/bin")] if name else []
    if isinstance(field, Mapping):
        return [(str(key), f"/bin/{escape(str(key))}") for key in field]
    directories = data.get("directories")
    folder = directories.get("bin") if isinstance(directories, Mapping) else None
    if field is not None or not isinstance(folder, str):
        return []
    prefix = posixpath.normpath(folder.replace("\\", "/")).strip("/") + "/"
    return [(path.rsplit("/", 1)[-1], "/directories/bin") for path in sorted(scope.files) if path.startswith(prefix)]


def check_bin_shadowing(scope: Scope) -> Iterator[Finding]:
    shadowed = {str(c).lower() for c in scope.ctx.setting("shadowed_commands", _shadowed_default(scope))}
    for command, pointer in bin_commands(scope):
        linked = command.replace("\\", "/").rsplit("/", 1)[-1]
        if linked.lower() not in shadowed:
            continue
        yield scope.at(
            "manifest/bin-shadowing",
            f"the bin `{truncate(linked, 60)}` is named after a command installing projects already use: npm links "
            "it into node_modules/.bin, first on PATH in every npm script of the project, so it takes that command "
            "over. Name the bin after the package instead.",
            pointer,
            snippet=command,
            evidence=f"bin:{linked.lower()}",
        )


def _shadowed_default(scope: Scope) -> list[str]:
    return list(scope.ctx.rules.data("manifest").get("shadowed_commands", ()))


# -- ABI -------------------------------------------------------------------------------------------------------


def valid_range(spec: str) -> str | None:
    """The normalized range, or None when `spec` is not a valid npm range."""
    if len(spec) > MAX_RANGE_LENGTH:
        return None
    try:
        normalized = nodesemver.valid_range(spec, False)
    except Exception:  # the library raises assorted errors on garbage; any of them means "not a range"
        return None
    return str(normalized) if normalized is not None else None


def satisfies(version: str, spec: str) -> bool:
    try:
        return bool(nodesemver.satisfies(version, spec, False))
    except Exception:  # an unparsable pair cannot satisfy
        return False


def host_version(scope: Scope) -> str | None:
    host = scope.ctx.options.host_version
    if host is None:
        return None
    if not nodesemver.valid(host, False):
        scope.note(f"manifest/abi: --host-version {host!r} is not a SemVer version; host checks skipped")
        return None
    return host


def check_abi(scope: Scope) -> Iterator[Finding]:
    host = host_version(scope)
    host_engines = set(scope.ctx.rules.data("manifest").get("host_engines", ("orchestra", "cinatra")))
    engines = scope.data.get("engines")
    if isinstance(engines, Mapping):
        for key, spec in engines.items():
            if isinstance(spec, str):
                checked = str(key) in host_engines
                yield from _check_range(scope, f"engines.{key}", f"/engines/{escape(str(key))}", spec, host, checked)
    minimum = scope.data.get("min_orchestra_version")
    if isinstance(minimum, str):
        spec = f">={minimum}" if nodesemver.valid(minimum, False) and minimum[:1].isdigit() else minimum
        yield from _check_range(scope, "min_orchestra_version", "/min_orchestra_version", spec, host, True)


def _check_range(
    scope: Scope, field: str, pointer: str, spec: str, host: str | None, host_applies: bool
) -> Iterator[Finding]:
    if valid_range(spec) is None:
        yield scope.at(
            "manifest/abi",
            f"{field} {truncate(spec, 80)!r} is not a valid version range; use npm range syntax such as "
            "'>=1.2.0' or '^2.0.0'.",
            pointer,
            snippet=spec,
            evidence=f"{pointer}:invalid",
        )
    elif host is not None and host_applies and not satisfies(host, spec):
        yield scope.at(
            "manifest/abi",
            f"{field} {truncate(spec, 80)!r} is not satisfied by host version {host}; the host would refuse "
            "to load this build. Widen the range or build against that host.",
            pointer,
            snippet=spec,
            evidence=f"{pointer}:host",
        )

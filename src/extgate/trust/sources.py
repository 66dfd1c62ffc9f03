"""Which dependencies a package declares: package.json, lockfiles, `npm:`/`jsr:` imports, deno import maps.

Read-only and bounded: files come from the in-memory Package; nothing is executed or installed. What counts:
  package.json      dependencies, optionalDependencies, peerDependencies (installed by npm 7+), and
                    bundleDependencies (a bundled copy in node_modules/ pins the version that ships)
                    -- never devDependencies, which consumers do not install
  lockfiles         package-lock.json (v1-v3), npm-shrinkwrap.json, deno.lock (v2-v5): exact versions,
                    transitive included; dev-only and linked entries are skipped. npm honours a shipped
                    npm-shrinkwrap.json, so it also pins the direct dependencies it lists
  imports           `npm:name@range/sub` specifiers the code gate saw; `jsr:` ones are listed, not audited
  import maps       deno.json / deno.jsonc `imports` and `scopes`, and the file its `importMap` names
Names in `exclude` (host-provided, e.g. zod for swamp) are listed as excluded and never looked up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from extgate.facts import CodeFacts, Manifest
from extgate.model import Package
from extgate.registry.client import valid_package_name
from extgate.trust.interface import AUDITED, EXCLUDED, NOT_AUDITED_JSR, UNRESOLVED, Declared
from extgate.trust.resolve import parse_spec
from extgate.trust.tree import LockEntry, is_version

MAX_JSON_BYTES = 32 * 1024 * 1024  # lockfiles of big projects reach a few MB
MAX_ENTRIES = 20_000  # declarations per file; more is hostile and becomes a finding
MAX_DEPTH = 64  # nesting of package-lock v1 `dependencies`
DEP_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")
LOCKFILES = ("npm-shrinkwrap.json", "package-lock.json", "deno.lock")
DENO_CONFIGS = ("deno.json", "deno.jsonc")
_KEY_LINE = re.compile(rb'^\s*"((?:[^"\\]|\\.){1,600})"\s*:', re.MULTILINE)


@dataclass(slots=True)
class Collected:
    """declared: in a stable order; notes: things worth saying; problems: (path, message) of inputs extgate
    could not fully read (a limit hit), which the gate reports as trust/audit-unavailable."""

    declared: list[Declared] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    lock: list[LockEntry] = field(default_factory=list)  # the npm lockfile's tree (npm-shrinkwrap wins)
    lock_declared: dict[str, Declared] = field(default_factory=dict)  # lock path -> its Declared


def pointer_escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def key_lines(data: bytes) -> dict[str, int]:
    """First line of every `"key":` in a JSON text (approximate but cheap; used only to locate findings)."""
    lines: dict[str, int] = {}
    line, last = 1, 0
    for found in _KEY_LINE.finditer(data):
        line += data.count(b"\n", last, found.start())
        last = found.start()
        key = found.group(1).decode("utf-8", "replace")
        lines.setdefault(key, line + found.group(0)[: found.start(1) - found.start()].count(b"\n"))
    return lines


def _load_json(package: Package, path: str, out: Collected, *, jsonc: bool = False) -> tuple[Any, bytes] | None:
    data = package.read(path)
    if data is None:
        return None
    if len(data) > MAX_JSON_BYTES:
        out.problems.append((path, f"{path} is larger than {MAX_JSON_BYTES} bytes; its dependencies were not read"))
        return None
    try:
        text = data.decode("utf-8-sig")
        return json.loads(strip_jsonc(text) if jsonc else text), data
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        out.problems.append((path, f"{path} is not valid JSON ({type(exc).__name__}); its dependencies were not read"))
        return None


# One token of JSONC that is not plain JSON text: a string (kept whole, so `//` or `/*` inside it is text; an
# unterminated one runs to the end), a line comment (up to the newline, which stays) or a block comment (to `*/`,
# or to the end when unterminated).
_JSONC_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)|//[^\n]*|/\*(?:.*?\*/|.*\Z)', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _keep_strings(match: re.Match[str]) -> str:
    token = match.group()
    return token if token.startswith('"') else ""


def strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas (deno.jsonc) -> JSON. Strings are respected.

    One regex pass, not a loop per character: an 8 MB file (intake's per-file cap) takes milliseconds, where the
    loop took seconds (found by fuzz/fuzz_deno_json.py's exec rate)."""
    return _TRAILING_COMMA.sub(r"\1", _JSONC_TOKEN.sub(_keep_strings, text))


def classify(name: str, raw: Any, **where: Any) -> Declared:
    """A Declared with its status: audited registry spec, jsr, or unresolved (bad name, non-registry spec)."""
    if not isinstance(raw, str):
        return Declared(name, str(raw)[:100], status=UNRESOLVED, reason="its spec is not a string", **where)
    spec = parse_spec(name, raw)
    if spec.kind == "jsr":
        return Declared(name, raw, status=NOT_AUDITED_JSR, reason="jsr enforces its own rules", **where)
    if not valid_package_name(spec.name):
        return Declared(name, raw, status=UNRESOLVED, reason="not a valid npm package name", **where)
    if spec.kind in ("git", "url", "file"):
        reason = f"it is a {spec.kind} dependency, not a registry version"
        return Declared(spec.name, raw, status=UNRESOLVED, reason=reason, **where)
    if spec.kind == "invalid":
        reason = "its spec is not a valid version, range or dist-tag"
        return Declared(spec.name, raw, status=UNRESOLVED, reason=reason, **where)
    return Declared(spec.name, raw, status=AUDITED, **where)


# -- package.json --------------------------------------------------------------------------------------------
def from_package_json(package: Package, manifest: Manifest | None, out: Collected) -> set[str]:
    """Declared dependencies of package.json; returns the declared names (to tell direct lockfile entries)."""
    if manifest is not None and manifest.kind == "package.json":
        doc: Any = manifest.data
        path = manifest.path

        def line_of(pointer: str) -> int | None:
            return manifest.line_of(pointer)

    else:
        loaded = _load_json(package, "package.json", out)
        if loaded is None or not isinstance(loaded[0], Mapping):
            return set()
        doc, raw = loaded
        path = "package.json"
        lines = key_lines(raw)

        def line_of(pointer: str) -> int | None:
            key = pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
            return lines.get(key) or lines.get(pointer.split("/")[1] if "/" in pointer[1:] else "")

    names: set[str] = set()
    bundled = _bundled(doc, package)
    for dep_field in DEP_FIELDS:
        table = doc.get(dep_field)
        if not isinstance(table, Mapping):
            continue
        for count, (name, raw) in enumerate(table.items()):
            if count >= MAX_ENTRIES:
                out.problems.append((path, f"{path} `{dep_field}` has more than {MAX_ENTRIES} entries"))
                break
            line = line_of(f"/{dep_field}/{pointer_escape(str(name))}")
            declared = classify(str(name), raw, source="package.json", path=path, line=line, field=dep_field)
            if str(name) in bundled and declared.status == AUDITED:
                declared = replace(declared, pinned=bundled[str(name)])
            out.declared.append(declared)
            names.add(declared.name)
    return names


def _bundled(doc: Mapping[str, Any], package: Package) -> dict[str, str]:
    """name -> version of bundled dependencies that ship a copy under node_modules/."""
    value = doc.get("bundleDependencies", doc.get("bundledDependencies"))
    if value is True:
        deps = doc.get("dependencies")
        value = list(deps) if isinstance(deps, Mapping) else []
    if not isinstance(value, list):
        return {}
    out: dict[str, str] = {}
    for name in value[:MAX_ENTRIES]:
        if not isinstance(name, str) or not valid_package_name(name):
            continue
        raw = package.read(f"node_modules/{name}/package.json")
        if raw is None or len(raw) > 1_000_000:
            continue
        try:
            copy = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        if isinstance(copy, Mapping) and isinstance(copy.get("version"), str):
            out[name] = copy["version"]
    return out


# -- lockfiles -----------------------------------------------------------------------------------------------
def from_lockfiles(package: Package, direct: set[str], out: Collected) -> dict[str, str]:
    """Lockfile entries as pinned Declared, and the npm lockfile's tree in `out.lock` (npm uses
    npm-shrinkwrap.json and ignores package-lock.json when both exist); returns npm-shrinkwrap's top-level
    pins (npm honours them). An entry whose version is not a version (a git/url/file dependency, or a range
    where a pin belongs) is unresolved: it is reported, never looked up as if it were a version."""
    shrinkwrap: dict[str, str] = {}
    tree_from: str | None = None
    for path in LOCKFILES:
        if path == "package-lock.json" and tree_from == "npm-shrinkwrap.json":
            continue
        loaded = _load_json(package, path, out)
        if loaded is None:
            continue
        doc, raw = loaded
        if not isinstance(doc, Mapping):
            out.problems.append((path, f"{path} is not a JSON object; its dependencies were not read"))
            continue
        lines = key_lines(raw)
        entries = _deno_lock(doc) if path == "deno.lock" else _npm_lock(doc)
        if path != "deno.lock":
            tree_from = path
        for count, (name, version, key, top, lock_path, manifest) in enumerate(entries):
            if count >= MAX_ENTRIES:
                out.problems.append((path, f"{path} has more than {MAX_ENTRIES} entries; the rest were not read"))
                break
            where: dict[str, Any] = {"source": "lockfile", "path": path, "line": lines.get(key), "field": path}
            if not valid_package_name(name):
                out.declared.append(
                    Declared(name[:214], version, status=UNRESOLVED, reason="not a valid npm package name", **where)
                )
                continue
            is_direct = top and name in direct
            if not is_version(version):
                kind = parse_spec(name, version).kind
                what = f"a {kind} dependency" if kind in ("git", "url", "file") else "not an exact version"
                reason = f"{path} pins {version[:200]!r}, {what}: no registry version to audit"
                declared = Declared(name, version, direct=is_direct, status=UNRESOLVED, reason=reason, **where)
            else:
                declared = Declared(name, version, direct=is_direct, pinned=version, **where)
            out.declared.append(declared)
            if lock_path is not None:
                out.lock.append(LockEntry(lock_path, name, version, manifest))
                out.lock_declared.setdefault(lock_path, declared)
            if path == "npm-shrinkwrap.json" and is_direct and declared.status == AUDITED:
                shrinkwrap.setdefault(name, version)
    return shrinkwrap


_LOCK_TABLES = ("dependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta")
_LOCK_FACTS = ("deprecated", "hasInstallScript", "license", "os", "cpu", "engines")


LockRow = tuple[str, str, str, bool, str | None, Mapping[str, Any] | None]


def _npm_lock(doc: Mapping[str, Any]) -> Iterable[LockRow]:
    """(name, version, key, top-level, tree path, manifest) from package-lock v2/v3 `packages` (the entry's own
    dependency tables are its manifest) or v1 `dependencies` (manifest unknown: `requires` is only a hint)."""
    packages = doc.get("packages")
    if isinstance(packages, Mapping):
        for key, entry in packages.items():
            if not isinstance(key, str) or "node_modules/" not in key or not isinstance(entry, Mapping):
                continue
            if entry.get("dev") is True or entry.get("link") is True:
                continue
            tail = key.rsplit("node_modules/", 1)[1]
            name = entry.get("name") if isinstance(entry.get("name"), str) else tail
            version = entry.get("version")
            if isinstance(version, str):
                manifest = {k: entry[k] for k in (*_LOCK_TABLES, *_LOCK_FACTS) if k in entry}
                yield str(name), version, key, key.count("node_modules/") == 1, key, manifest
            elif isinstance(entry.get("resolved"), str):  # git/url entries may carry only `resolved`
                yield str(name), str(entry["resolved"]), key, key.count("node_modules/") == 1, key, {}
        return
    yield from _npm_lock_v1(doc.get("dependencies"), 0, "")


def _npm_lock_v1(table: Any, depth: int, prefix: str) -> Iterable[LockRow]:
    if not isinstance(table, Mapping) or depth > MAX_DEPTH:
        return
    for name, entry in table.items():
        if not isinstance(entry, Mapping) or entry.get("dev") is True:
            continue
        version = entry.get("version")
        lock_path = f"{prefix}node_modules/{name}"
        if isinstance(version, str):
            real = str(name)
            if version.startswith("npm:"):  # alias: "npm:real@1.2.3"
                at = version.rfind("@")
                real, version = version[4:at], version[at + 1 :]
            yield real, version, str(name), depth == 0, lock_path, None
        yield from _npm_lock_v1(entry.get("dependencies"), depth + 1, f"{lock_path}/")


def _deno_lock(doc: Mapping[str, Any]) -> Iterable[LockRow]:
    """npm entries of deno.lock: v2 `npm.packages`, v3 `packages.npm`, v4/v5 top-level `npm`.
    Keys are `name@version` with an optional `_peer@x` suffix."""
    table: Any = None
    version = str(doc.get("version", ""))
    if version == "2" and isinstance(doc.get("npm"), Mapping):
        table = doc["npm"].get("packages")
    elif isinstance(doc.get("packages"), Mapping) and isinstance(doc["packages"].get("npm"), Mapping):
        table = doc["packages"]["npm"]
    elif isinstance(doc.get("npm"), Mapping):
        table = doc["npm"]
    if not isinstance(table, Mapping):
        return
    for key in table:
        if not isinstance(key, str):
            continue
        at = key.find("@", 1)
        if at < 0:
            continue
        yield key[:at], key[at + 1 :].split("_", 1)[0], key, True, None, None


# -- imports and import maps --------------------------------------------------------------------------------
def npm_specifier(specifier: str) -> tuple[str, str] | None:
    """`npm:@scope/name@^1/sub/path` -> ('@scope/name', '^1'); None when it is not an npm: specifier."""
    if not specifier.startswith("npm:"):
        return None
    rest = specifier[4:].lstrip("/")
    if rest.startswith("@"):
        slash = rest.find("/")
        if slash < 0:
            return rest, ""
        end = _name_end(rest, slash + 1)
    else:
        end = _name_end(rest, 0)
    name, tail = rest[:end], rest[end:]
    if tail.startswith("@"):
        spec = tail[1:].split("/", 1)[0]
        return name, spec
    return name, ""


def _name_end(text: str, start: int) -> int:
    for i in range(start, len(text)):
        if text[i] in "@/":
            return i
    return len(text)


def _from_target(target: Any, **where: Any) -> Declared | None:
    if not isinstance(target, str):
        return None
    if target[:8].lower().startswith(("http://", "https://")):  # Deno and Bun fetch these when the code runs
        reason = "it is a remote URL: the code is fetched when it runs, never shipped in the package or audited"
        return Declared(target[:200], target, status=UNRESOLVED, reason=reason, **where)
    if target.startswith("jsr:"):
        jsr = npm_specifier("npm:" + target[4:])
        name = jsr[0] if jsr else target[4:]
        return Declared(name, target, status=NOT_AUDITED_JSR, reason="jsr enforces its own rules", **where)
    parsed = npm_specifier(target)
    if parsed is None:
        return None
    name, spec = parsed
    return classify(name, spec, **where)


def from_imports(code: CodeFacts | None, out: Collected) -> set[str]:
    names: set[str] = set()
    if code is None:
        return names
    for count, ref in enumerate(code.imports):
        if count >= 10 * MAX_ENTRIES:
            out.problems.append((ref.path, f"more than {10 * MAX_ENTRIES} imports; the rest were not read"))
            break
        declared = _from_target(ref.specifier, source="import", path=ref.path, line=ref.line, field=ref.kind)
        if declared is not None:
            out.declared.append(declared)
            names.add(declared.name)
    return names


def from_import_maps(package: Package, out: Collected) -> set[str]:
    names: set[str] = set()
    files = [p for p in DENO_CONFIGS if package.get(p) is not None]
    for path in list(files):
        loaded = _load_json(package, path, out, jsonc=True)
        if loaded is None or not isinstance(loaded[0], Mapping):
            continue
        doc, raw = loaded
        names |= _map_entries(doc, raw, path, out)
        extra = doc.get("importMap")
        if isinstance(extra, str):
            target = extra.removeprefix("./")
            if package.get(target) is not None and target not in files:
                files.append(target)
                more = _load_json(package, target, out, jsonc=True)
                if more is not None and isinstance(more[0], Mapping):
                    names |= _map_entries(more[0], more[1], target, out)
    return names


def _map_entries(doc: Mapping[str, Any], raw: bytes, path: str, out: Collected) -> set[str]:
    lines = key_lines(raw)
    tables: list[Any] = [doc.get("imports")]
    scopes = doc.get("scopes")
    if isinstance(scopes, Mapping):
        tables += list(scopes.values())[:MAX_ENTRIES]
    names: set[str] = set()
    count = 0
    for table in tables:
        if not isinstance(table, Mapping):
            continue
        for key, target in table.items():
            count += 1
            if count > MAX_ENTRIES:
                out.problems.append((path, f"{path} maps more than {MAX_ENTRIES} imports; the rest were not read"))
                return names
            declared = _from_target(target, source="import-map", path=path, line=lines.get(str(key)), field="imports")
            if declared is not None:
                out.declared.append(declared)
                names.add(declared.name)
    return names


# -- all together ----------------------------------------------------------------------------------------------
def collect(
    package: Package,
    manifest: Manifest | None,
    code: CodeFacts | None,
    exclude: Iterable[str] = (),
) -> Collected:
    out = Collected()
    direct = from_package_json(package, manifest, out)
    direct |= from_import_maps(package, out)
    direct |= from_imports(code, out)
    pins = from_lockfiles(package, direct, out)
    excluded = set(exclude)
    final: list[Declared] = []
    for item in out.declared:
        if item.source == "package.json" and item.name in pins and item.status == AUDITED and not item.pinned:
            item = replace(item, pinned=pins[item.name])
        if item.name in excluded and item.status != NOT_AUDITED_JSR:
            item = replace(item, status=EXCLUDED, reason="host-provided (policy `[trust] exclude`)")
        final.append(item)
    out.declared = final
    return out

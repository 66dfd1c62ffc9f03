"""Reduce a scanned release (package + the facts the gates learned) to a drift `Snapshot`. Pure and bounded."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import Any

from extgate.facts import Facts
from extgate.frozen import FrozenMap
from extgate.gates.code.interface import LANGUAGE_FOR_SUFFIX
from extgate.gates.drift.interface import DriftConfig, FileInfo, Snapshot, Where
from extgate.model import Package

_URL = re.compile(rb"""https?://([A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24})(?=[/:"'`\s?#)]|$)""")
_EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"\0asm")
_EXECUTABLE_SUFFIXES = (".node", ".exe", ".dll", ".so", ".dylib", ".wasm")
_MEDIA_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".eot",
                   ".pdf", ".mp3", ".mp4", ".webm", ".avif", ".bmp")  # fmt: skip
_DEPENDENCY_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")
_ENTRY_FIELDS = ("main", "module", "browser", "types")
_BLANKS = re.compile(rb"[ \t]{100,}\S")
_MAX_EXPORT_LEAVES = 500
_MAX_HOSTS_PER_FILE = 200
_NETWORK_CATEGORY = "network"


def snapshot(package: Package, facts: Facts, config: DriftConfig) -> Snapshot:
    manifest = facts.manifest
    data: Mapping[str, Any] = manifest.data if manifest else {}

    def line(pointer: str) -> int | None:
        return manifest.line_of(pointer) if manifest else None

    scripts_raw = data.get("scripts")
    scripts = {
        hook: (script, line(f"/scripts/{hook}"))
        for hook, script in (scripts_raw.items() if isinstance(scripts_raw, Mapping) else ())
        if hook in config.lifecycle_hooks and isinstance(script, str)
    }
    dependencies: dict[str, tuple[str, int | None]] = {}
    for kind in _DEPENDENCY_FIELDS:
        deps = data.get(kind)
        for name, spec in deps.items() if isinstance(deps, Mapping) else ():
            if isinstance(name, str) and name not in dependencies:
                dependencies[name] = (str(spec), line(f"/{kind}/{_escape(name)}"))
    swamp_deps = data.get("dependencies")
    if manifest is not None and manifest.kind == "manifest.yaml" and isinstance(swamp_deps, list):
        for i, name in enumerate(swamp_deps):
            if isinstance(name, str):
                dependencies.setdefault(name, ("*", line(f"/dependencies/{i}")))
    files = _files(package, facts, config)
    capabilities = _capabilities(facts, config)
    network_files = {w.path for w in _network_locations(facts, config)}
    return Snapshot(
        name=str(data.get("name", "")) if isinstance(data.get("name"), str) else "",
        version=str(data.get("version", "")) if isinstance(data.get("version"), str) else "",
        manifest_path=manifest.path if manifest else "",
        scripts=FrozenMap(scripts),
        dependencies=FrozenMap(dependencies),
        entry_points=FrozenMap(dict(_entry_points(data, line))),
        capabilities=FrozenMap(capabilities),
        hosts=FrozenMap(_hosts(package, network_files)),
        files=FrozenMap(files),
    )


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _entry_points(data: Mapping[str, Any], line: Any) -> Iterator[tuple[str, tuple[str, int | None]]]:
    for key in _ENTRY_FIELDS:
        value = data.get(key)
        if isinstance(value, str):
            yield key, (value, line(f"/{key}"))
    bin_field = data.get("bin")
    if isinstance(bin_field, str):
        yield "bin", (bin_field, line("/bin"))
    elif isinstance(bin_field, Mapping):
        for command, target in bin_field.items():
            if isinstance(target, str):
                yield f"bin.{command}", (target, line(f"/bin/{_escape(str(command))}"))
    cinatra = data.get("cinatra")
    if isinstance(cinatra, Mapping) and isinstance(cinatra.get("serverEntry"), str):
        yield "cinatra.serverEntry", (str(cinatra["serverEntry"]), line("/cinatra/serverEntry"))
    stack: list[tuple[str, Any]] = [("/exports", data.get("exports"))]
    leaves = 0
    while stack and leaves < _MAX_EXPORT_LEAVES:
        pointer, node = stack.pop()
        if isinstance(node, str):
            leaves += 1
            yield "exports" + pointer[len("/exports") :], (node, line(pointer))
        elif isinstance(node, Mapping):
            stack += [(f"{pointer}/{_escape(str(k))}", v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(f"{pointer}/{i}", v) for i, v in enumerate(node)]


def _binary(path: str, data: bytes) -> str:
    lower = path.lower()
    magic = data.startswith(_EXECUTABLE_MAGIC) and not lower.endswith(_MEDIA_SUFFIXES)
    if magic or lower.endswith(_EXECUTABLE_SUFFIXES):
        # "MZ" alone is a weak signal: require the PE header offset to point at "PE\0\0"
        if data.startswith(b"MZ") and not lower.endswith(_EXECUTABLE_SUFFIXES):
            offset = int.from_bytes(data[0x3C:0x40], "little") if len(data) >= 0x40 else -1
            if not (0 < offset < len(data) - 4 and data[offset : offset + 4] == b"PE\0\0"):
                return "binary" if b"\0" in data[:8192] else ""
        return "executable"
    if lower.endswith(_MEDIA_SUFFIXES):
        return ""
    return "binary" if b"\0" in data[:8192] else ""


def _files(package: Package, facts: Facts, config: DriftConfig) -> dict[str, FileInfo]:
    flags = {f.path: f for f in facts.code.files} if facts.code else {}
    found: dict[str, FileInfo] = {}
    for entry in package.files:
        data = entry.data or b""
        code = entry.suffix in LANGUAGE_FOR_SUFFIX
        max_line, long_line, padded = 0, 0, False
        if code and data:
            start = 0
            number = 0
            while start <= len(data):
                end = data.find(b"\n", start)
                end = len(data) if end < 0 else end
                number += 1
                length = end - start
                if length > max_line:
                    max_line = length
                if not long_line and length >= config.long_line:
                    long_line = number
                    padded = _BLANKS.search(data, start, end) is not None
                start = end + 1
        flag = flags.get(entry.path)
        found[entry.path] = FileInfo(
            path=entry.path,
            size=entry.size,
            sha256=entry.sha256 or "",
            code=code,
            max_line=max_line,
            long_line=long_line,
            padded=padded,
            binary=_binary(entry.path, data) if data else "",
            obfuscated=bool(flag and flag.obfuscated),
            minified=bool(flag and flag.minified),
        )
    return found


def _category(name: str, config: DriftConfig) -> str | None:
    for category, patterns in config.categories.items():
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return category
    return None


def _capabilities(facts: Facts, config: DriftConfig) -> dict[str, tuple[Where, tuple[str, ...]]]:
    """category -> (first location, names), from API uses, rules that fired per file, and behaviours."""
    seen: dict[str, tuple[Where, set[str]]] = {}

    def add(name: str, where: Where) -> None:
        category = _category(name, config)
        if category is None:
            return
        if category not in seen:
            seen[category] = (where, {name})
        else:
            seen[category][1].add(name)

    code = facts.code
    if code is None:
        return {}
    for use in code.api_uses:
        add(use.api, Where(use.path, use.line))
    for file in code.files:
        for rule_id, line in file.rules:
            add(rule_id, Where(file.path, line or None))
    for behaviour in code.behaviours:
        add(f"{behaviour.rule_id}:{behaviour.kind}", Where(behaviour.path, behaviour.line or None))
    return {k: (where, tuple(sorted(names))) for k, (where, names) in seen.items()}


def _network_locations(facts: Facts, config: DriftConfig) -> Iterator[Where]:
    if facts.code is None:
        return
    for use in facts.code.api_uses:
        if _category(use.api, config) == _NETWORK_CATEGORY:
            yield Where(use.path, use.line)


def _hosts(package: Package, network_files: set[str]) -> dict[str, Where]:
    """Hosts of URL literals in code files that use the network (a URL in a comment of a file that sends
    nothing is documentation)."""
    hosts: dict[str, Where] = {}
    for entry in package.files:
        if entry.path not in network_files or entry.data is None:
            continue
        for count, match in enumerate(_URL.finditer(entry.data)):
            if count >= _MAX_HOSTS_PER_FILE:
                break
            host = match.group(1).decode("ascii").lower()
            if host not in hosts:
                hosts[host] = Where(entry.path, entry.data.count(b"\n", 0, match.start()) + 1)
    return hosts

"""safety gate: which files may be published at all -- hidden paths, file types off the profile's allowlist, and
executable content (ELF, PE, Mach-O, Java class, WebAssembly) whatever the file is called.

Allowlists are data: the profile (rules/profiles.yaml) and the pack (rules/safety.yaml), extended by a policy's
`[safety]` section (extra_extensions, extra_names, allowed_hidden).
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import yaml

from extgate import safeyaml
from extgate.gates.interface import GateContext, GateResult
from extgate.intake.sniff import executable_kind
from extgate.jsondoc import MAX_MANIFEST_BYTES, json_object
from extgate.model import Entry, EntryKind, Finding, Level, Package
from extgate.policy import POLICY_FILE_NAMES

_LEGAL_TAIL = re.compile(r"^[-_.][A-Za-z0-9.+_-]*$")


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value]
    return []


def _ext(value: str) -> str:
    value = value.strip().lower()
    return value if value.startswith(".") else "." + value


class SafetyGate:
    name = "safety"

    def run(self, ctx: GateContext) -> GateResult:
        data = ctx.rules.data("safety")
        limit = int(data.get("max_findings_per_rule", 200))
        policy = _Allowed.build(ctx)
        findings = [*_hidden(ctx, policy), *_types(ctx, policy), *_binaries(ctx, policy)]
        return GateResult.of(f for f in _capped(ctx, findings, limit) if ctx.enabled(f.rule_id))


class _Allowed:
    """Everything the allowlists say for this package."""

    def __init__(self, ctx: GateContext) -> None:
        profile = ctx.profile
        data = ctx.rules.data("safety")
        self.extensions = set(profile.allowed_extensions) | {
            _ext(x) for x in _list(ctx.setting("extra_extensions", []))
        }
        self.names = {n.lower() for n in _list(ctx.setting("allowed_names", []))}
        self.names |= {n.lower() for n in _list(ctx.setting("extra_names", []))}
        by_dir = ctx.setting("allowed_extensions_by_dir", {})
        self.by_dir = (
            {str(k): {_ext(x) for x in _list(v)} for k, v in by_dir.items()} if isinstance(by_dir, Mapping) else {}
        )
        self.legal = {name.upper() for name in profile.legal_files}
        self.legal_denied = {_ext(x) for x in _list(data.get("legal_suffix_denylist", []))}
        self.container = set(_list(data.get("container_files", [])))
        self.hidden = [h.rstrip("/") for h in _list(ctx.setting("allowed_hidden", []))]
        self.declared_bins, self.npm_bins = _declared(ctx.package)
        self.own = set(POLICY_FILE_NAMES)  # extgate's own policy file at the root: it can only tighten the check

    @classmethod
    def build(cls, ctx: GateContext) -> _Allowed:
        return cls(ctx)

    def legal_name(self, name: str) -> bool:
        upper = name.upper()
        for legal in self.legal:
            if upper == legal:
                return True
            if upper.startswith(legal) and _LEGAL_TAIL.match(name[len(legal) :]):
                last = posixpath.splitext(name)[1].lower()
                return last not in self.legal_denied
        return False

    def hidden_allowed(self, path: str) -> bool:
        return any(path == h or path.startswith(h + "/") for h in self.hidden)


def _declared(package: Package) -> tuple[set[str], set[str]]:
    """Paths a swamp manifest declares under `binaries` (as published) and files package.json declares as `bin`."""
    swamp: set[str] = set()
    raw = package.read("manifest.yaml")
    if raw is not None and len(raw) <= MAX_MANIFEST_BYTES:
        try:
            doc = safeyaml.load(raw, "manifest.yaml")
        except (yaml.YAMLError, RecursionError, UnicodeError, ValueError):
            doc = None
        if isinstance(doc, Mapping):
            for item in _list(doc.get("binaries")):
                clean = posixpath.normpath(item.replace("\\", "/"))
                swamp.add(f"files/{clean}")  # swamp archives both `binaries` and `additionalFiles` under files/
    npm: set[str] = set()
    pkg = json_object(package.read("package.json"))
    if pkg is not None:
        bins = pkg.get("bin")
        values = [bins] if isinstance(bins, str) else list(bins.values()) if isinstance(bins, Mapping) else []
        npm = {posixpath.normpath("/" + v.replace("\\", "/"))[1:] for v in values if isinstance(v, str)}
    return swamp, npm


def _published(entry: Entry) -> str:
    return entry.publish_path or entry.path


def _raw(entry: Entry, **extra: Any) -> dict[str, Any]:
    """Finding properties, with the name as stored when it differs from the reported path."""
    if entry.raw_name and entry.raw_name != entry.path:
        extra["raw_name"] = entry.raw_name
    return extra


def _hidden_prefix(path: str, allowed: _Allowed) -> str | None:
    """The path up to its first hidden segment (not allowed by policy), or None."""
    if path in allowed.own:
        return None
    parts = path.split("/")
    for index, part in enumerate(parts):
        if part.startswith(".") and part not in (".", ".."):
            prefix = "/".join(parts[: index + 1])
            return None if allowed.hidden_allowed(prefix) else prefix
    return None


def _hidden(ctx: GateContext, allowed: _Allowed) -> Iterator[Finding]:
    folders: Counter[str] = Counter()
    first_file: dict[str, str] = {}
    files: list[tuple[Entry, str]] = []
    for entry in ctx.package.entries:
        if entry.kind is EntryKind.DIRECTORY:
            continue
        prefix = _hidden_prefix(_published(entry), allowed)
        if prefix is None:
            continue
        if prefix != _published(entry):
            folders[prefix] += 1
            first_file.setdefault(prefix, entry.path)
        else:
            files.append((entry, prefix))
    for folder, count in sorted(folders.items()):
        yield ctx.finding(
            "safety/hidden-file",
            f"{folder}/ is a hidden folder with {count} published file(s). Hidden paths hold credentials and tool "
            "state; exclude it from the package (.npmignore / `files`, or the swamp manifest), or allow it with "
            f'`[safety] allowed_hidden = ["{folder}/"]` in the policy.',
            path=first_file[folder],
            evidence=folder + "/",
            properties={"files": count},
        )
    for entry, path in files:
        yield ctx.finding(
            "safety/hidden-file",
            f"{path} is a hidden file. Hidden files hold credentials and tool state (.env, .npmrc); exclude it from "
            "the package, or allow it with `[safety] allowed_hidden` in the policy.",
            path=entry.path,
            evidence=path,
            properties=_raw(entry, **({"published_as": path} if path != entry.path else {})),
        )


def _types(ctx: GateContext, allowed: _Allowed) -> Iterator[Finding]:
    package = ctx.package
    container = package.root_prefix == "extension/"
    shown = ", ".join(sorted(allowed.extensions))
    for entry in package.entries:
        if entry.kind is not EntryKind.FILE:
            continue
        path = _published(entry)
        if _hidden_prefix(path, allowed) is not None:
            continue  # already reported as hidden; one finding per problem
        name = path.rsplit("/", 1)[-1]
        suffix = entry.suffix
        last = posixpath.splitext(name)[1].lower()
        top = path.split("/", 1)[0] if "/" in path else ""
        if (
            suffix in allowed.extensions
            or (last and last in allowed.extensions)
            or (last and last in allowed.by_dir.get(top, ()))
            or allowed.legal_name(name)
            or name.lower() in allowed.names
            or path in allowed.npm_bins
            or path in allowed.declared_bins
            or (container and path in allowed.container)
            or path in allowed.own
        ):
            continue
        label = suffix or "(none)"
        yield ctx.finding(
            "safety/disallowed-file-type",
            f"{entry.path} has extension {label}, which the {ctx.profile.name} profile does not allow "
            f"(allowed: {shown}). Remove it from the package, or allow the type with "
            f'`[safety] extra_extensions = ["{suffix or name}"]` in the policy.',
            path=entry.path,
            evidence=f"{label}:{entry.path}",
            properties=_raw(entry, extension=suffix),
        )


def _binaries(ctx: GateContext, allowed: _Allowed) -> Iterator[Finding]:
    for entry in ctx.package.entries:
        if entry.kind is not EntryKind.FILE or not entry.data:
            continue
        kind = executable_kind(entry.data)
        if kind is None:
            continue
        declared = _published(entry) in allowed.declared_bins
        how = (
            "It is declared under `binaries` in manifest.yaml: acknowledge it if it is intended."
            if declared
            else "Remove it and publish source instead, or fetch/build it at install time from a verifiable release."
        )
        yield ctx.finding(
            "safety/binary-content",
            f"{entry.path} contains {kind} executable code (magic bytes {entry.data[:4].hex(' ')}), whatever its "
            f"name says; compiled code cannot be reviewed or analysed. {how}",
            path=entry.path,
            evidence=f"{kind}:{entry.path}",
            level=Level.WARNING if declared else None,
            properties=_raw(entry, format=kind, declared_binary=declared),
        )


def _capped(ctx: GateContext, findings: list[Finding], limit: int) -> Iterator[Finding]:
    """At most `limit` findings per rule; the rest are summarized in one finding that says how many."""
    seen: Counter[str] = Counter()
    for finding in findings:
        seen[finding.rule_id] += 1
        if seen[finding.rule_id] <= limit:
            yield finding
    for rule_id, count in sorted(seen.items()):
        if count > limit:
            yield ctx.finding(
                rule_id,
                f"{count - limit:,} more {rule_id} findings are not listed; fix the ones above and re-run to see them.",
                evidence=f"{rule_id}:overflow",
                properties={"not_listed": count - limit},
            )

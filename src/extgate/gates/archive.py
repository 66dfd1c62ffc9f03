"""archive gate: the container itself -- member names and types, duplicates, limits, bombs, nested archives.

It reports what intake met while reading (Package.issues: corrupt input, hard caps hit) and then applies the
detected profile's own limits (tunable in a policy's `[archive]` section), which are usually lower than intake's
hard caps. Every check is a pass over the entry list, so the gate is linear in the number of members.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from extgate.gates.interface import GateContext, GateResult
from extgate.intake.paths import has_traversal, is_absolute
from extgate.intake.sniff import archive_kind
from extgate.model import Entry, EntryKind, Finding, Issue, Package

_SPECIAL = {
    EntryKind.DEVICE: "device node",
    EntryKind.FIFO: "FIFO (named pipe)",
    EntryKind.SOCKET: "socket",
    EntryKind.OTHER: "member of an unknown type",
}
_INVISIBLE = {
    "\u061c": "ARABIC LETTER MARK",
    "\u200b": "ZERO WIDTH SPACE",
    "\u200c": "ZERO WIDTH NON-JOINER",
    "\u200d": "ZERO WIDTH JOINER",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
    "\ufffd": "REPLACEMENT CHARACTER (the stored name was not valid UTF-8)",
}
MAX_NAME = 4096


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class ArchiveGate:
    name = "archive"

    def run(self, ctx: GateContext) -> GateResult:
        package = ctx.package
        findings: list[Finding] = [_from_issue(ctx, found) for found in package.issues]
        reported = {(f.rule_id, f.path) for f in findings}
        for check in (_names, _kinds, _duplicates, _case_collisions, _nested):
            findings.extend(check(ctx, package))
        findings.extend(_limits(ctx, package, reported))
        return GateResult.of(f for f in findings if ctx.enabled(f.rule_id))


def _props(entry: Entry, **extra: Any) -> dict[str, Any]:
    props = dict(extra)
    if entry.raw_name and entry.raw_name != entry.path:
        props["raw_name"] = entry.raw_name
    return props


def _from_issue(ctx: GateContext, found: Issue) -> Finding:
    evidence = found.rule_id if found.path is None else found.path
    return ctx.finding(
        found.rule_id, found.message, path=found.path, evidence=evidence, properties=dict(found.properties)
    )


def _describe(char: str) -> str:
    name = _INVISIBLE.get(char) or unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code


def _unsafe_chars(text: str) -> list[str]:
    if text.isascii() and text.isprintable():  # no ASCII character is Cf/Cs/Co or invisible; Cc is not printable
        return []
    found: list[str] = []
    for char in text:
        if char in _INVISIBLE or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co"):
            label = _describe(char)
            if label not in found:
                found.append(label)
    return found


def _names(ctx: GateContext, package: Package) -> Iterator[Finding]:
    for entry in package.entries:
        raw = entry.raw_name or entry.path
        props = _props(entry)
        if has_traversal(entry.path) or has_traversal(raw.replace("\\", "/")):
            yield ctx.finding(
                "archive/path-traversal",
                f"{raw!r} contains `..` segments: extracting it writes outside the package folder. "
                "Re-create the archive from the package folder (npm pack, tar -czf) so every path stays inside it.",
                path=entry.path,
                evidence=raw,
                properties=props,
            )
        if is_absolute(entry.path) or is_absolute(raw):
            yield ctx.finding(
                "archive/absolute-path",
                f"{raw!r} is an absolute path: some extractors write it exactly there, outside any install folder. "
                "Re-create the archive with relative paths.",
                path=entry.path,
                evidence=raw,
                properties=props,
            )
        chars = _unsafe_chars(entry.path) or _unsafe_chars(raw)
        empty = not entry.path and entry.kind is not EntryKind.DIRECTORY
        if chars or len(raw) > MAX_NAME or empty:
            what = (
                ", ".join(chars[:5])
                if chars
                else "no file name at all"
                if empty
                else f"{len(raw):,} characters (limit {MAX_NAME:,})"
            )
            yield ctx.finding(
                "archive/unsafe-name",
                f"{raw.encode('unicode_escape').decode('ascii')[:300]} contains {what}: the name displays "
                "differently from what it is. Rename the file using visible characters only.",
                path=entry.path,
                evidence=raw.encode("unicode_escape").decode("ascii")[:500],
                properties=_props(entry, characters=chars),
            )


def _link_message(entry: Entry) -> str:
    what = "a symbolic link" if entry.kind is EntryKind.SYMLINK else "a hard link"
    target = entry.link_target or "?"
    outside = is_absolute(target) or has_traversal(target)
    where = " outside the package" if outside else ""
    return (
        f"{entry.path} is {what} to {target!r}{where}; links are never followed and can make an installer read or "
        "overwrite other files. Replace the link with a copy of the file (or remove it) and re-pack."
    )


def _kinds(ctx: GateContext, package: Package) -> Iterator[Finding]:
    for entry in package.entries:
        if entry.kind in (EntryKind.SYMLINK, EntryKind.HARDLINK):
            yield ctx.finding(
                "archive/link",
                _link_message(entry),
                path=entry.path,
                evidence=f"{entry.kind.value}:{entry.path}",
                properties=_props(entry, kind=entry.kind.value, target=entry.link_target),
            )
        elif entry.kind in _SPECIAL:
            yield ctx.finding(
                "archive/special-file",
                f"{entry.path} is a {_SPECIAL[entry.kind]}: packages may contain only regular files and folders. "
                "Remove it and re-pack.",
                path=entry.path,
                evidence=f"{entry.kind.value}:{entry.path}",
                properties=_props(entry, kind=entry.kind.value),
            )


def _duplicates(ctx: GateContext, package: Package) -> Iterator[Finding]:
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in package.entries:
        groups[entry.path].append(entry)
    for path, group in groups.items():
        if len(group) > 1 and any(e.kind is not EntryKind.DIRECTORY for e in group):
            yield ctx.finding(
                "archive/duplicate-entry",
                f"{path} is stored {len(group)} times; extractors disagree on which copy wins, so the installed "
                "file may not be the one that was checked. Re-pack so each path appears once.",
                path=path,
                evidence=path,
                properties={"count": len(group), "raw_names": [e.raw_name for e in group][:20]},
            )
    folders = {e.path.rsplit("/", 1)[0] for e in package.entries if "/" in e.path}
    prefixes: set[str] = set()
    for folder in folders:
        parts = folder.split("/")
        prefixes.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    for path, group in groups.items():
        if path in prefixes and any(e.kind is not EntryKind.DIRECTORY for e in group):
            yield ctx.finding(
                "archive/duplicate-entry",
                f"{path} is both a file and a folder in the archive; extraction fails or one replaces the other. "
                "Rename one of them and re-pack.",
                path=path,
                evidence=f"file-and-folder:{path}",
            )


def _fold(path: str) -> str:
    """The name a case-insensitive, normalization-insensitive file system sees. Windows also drops trailing dots
    and spaces from every path segment (`index.js.` and `index.js ` open `index.js`)."""
    folded = unicodedata.normalize("NFC", path).casefold()
    return "/".join(segment.rstrip(". ") or segment for segment in folded.split("/"))


def _case_collisions(ctx: GateContext, package: Package) -> Iterator[Finding]:
    first: dict[str, str] = {}
    reported: set[str] = set()
    for entry in package.entries:
        if entry.kind is EntryKind.DIRECTORY:
            continue
        key = _fold(entry.path)
        other = first.setdefault(key, entry.path)
        if other != entry.path and entry.path not in reported:
            reported.add(entry.path)
            yield ctx.finding(
                "archive/case-collision",
                f"{entry.path!r} and {other!r} differ only in letter case, Unicode normalization or trailing dots "
                "and spaces; on macOS and Windows one overwrites the other on install. Rename one of them.",
                path=entry.path,
                evidence=f"{other}|{entry.path}",
                properties=_props(entry, collides_with=other),
            )


def _nested(ctx: GateContext, package: Package) -> Iterator[Finding]:
    suffixes = ctx.profile.nested_archive_suffixes
    any_suffix = tuple(suffixes)
    for entry in package.entries:
        if entry.kind is not EntryKind.FILE:
            continue
        by_magic = archive_kind(entry.data[:512]) if entry.data else None
        lower = entry.name.lower()
        by_name = next((s for s in suffixes if lower.endswith(s)), None) if lower.endswith(any_suffix) else None
        if by_magic is None and by_name is None:
            continue
        how = f"its bytes are {by_magic} data" if by_magic else f"its name ends in {by_name}"
        yield ctx.finding(
            "archive/nested-archive",
            f"{entry.path} is an archive inside the package ({how}); its content is not scanned. Publish the files "
            "unpacked, or acknowledge this warning if the extension needs the archive as data.",
            path=entry.path,
            evidence=entry.path,
            properties=_props(entry, format=by_magic or by_name),
        )


def _limits(ctx: GateContext, package: Package, reported: set[tuple[str, str | None]]) -> Iterable[Finding]:
    profile = ctx.profile
    max_files = _int(ctx.setting("max_files", profile.settings.get("max_files", 5000)), 5000)
    max_file = _int(ctx.setting("max_file_bytes", profile.settings.get("max_file_bytes", 8_000_000)), 8_000_000)
    max_total = _int(ctx.setting("max_total_bytes", profile.settings.get("max_total_bytes", 64_000_000)), 64_000_000)
    max_ratio = _int(ctx.setting("max_compression_ratio", profile.settings.get("max_compression_ratio", 100)), 100)
    min_ratio_bytes = _int(
        ctx.setting("min_ratio_bytes", profile.settings.get("min_ratio_bytes", 1_000_000)), 1_000_000
    )
    rules = {rule for rule, _ in reported}
    files = [e for e in package.entries if e.kind is not EntryKind.DIRECTORY]
    out: list[Finding] = []
    if len(files) > max_files and "archive/too-many-files" not in rules:
        out.append(
            ctx.finding(
                "archive/too-many-files",
                f"the package has {len(files):,} files, more than the {max_files:,} the {profile.name} profile "
                "allows. Publish fewer files (the `files` field or .npmignore for npm; fewer manifest entries for "
                "swamp), or raise `[archive] max_files` in the registry's policy.",
                evidence="archive/too-many-files",
                properties={"files": len(files), "limit": max_files},
            )
        )
    total = _total_bytes(package)
    if total > max_total and "archive/too-large" not in rules:
        out.append(
            ctx.finding(
                "archive/too-large",
                f"the package's files total {total:,} bytes, more than the {max_total:,} the {profile.name} profile "
                "allows. Remove large or generated files (media, datasets, build output), or raise "
                "`[archive] max_total_bytes` in the registry's policy.",
                evidence="archive/too-large",
                properties={"bytes": total, "limit": max_total},
            )
        )
    for entry in files:
        size = max(entry.size, entry.declared_size or 0) if package.format == "dir" else entry.size
        if (size > max_file or entry.truncated) and ("archive/file-too-large", entry.path) not in reported:
            shown = f"{size:,} bytes" if not entry.truncated else f"more than {size:,} bytes"
            out.append(
                ctx.finding(
                    "archive/file-too-large",
                    f"{entry.path} is {shown}, more than the {max_file:,} bytes the {profile.name} profile allows "
                    "per file. Remove or split it, or load the data at run time.",
                    path=entry.path,
                    evidence=entry.path,
                    properties=_props(entry, bytes=size, limit=max_file),
                )
            )
    out.extend(_ratios(ctx, package, max_ratio, min_ratio_bytes))
    return out


def _total_bytes(package: Package) -> int:
    if package.format == "dir":
        return sum(max(e.size, e.declared_size or 0) for e in package.entries if e.is_file)
    return max(package.decompressed_bytes, sum(e.size for e in package.entries))


def _ratios(ctx: GateContext, package: Package, max_ratio: int, min_bytes: int) -> Iterator[Finding]:
    if package.format in ("dir", "tar", "memory") or max_ratio <= 0:
        return
    decompressed = package.decompressed_bytes
    compressed = package.archive_bytes
    for found in package.issues:  # reading stopped early: compare with what the decompressor had consumed then
        read = found.properties.get("compressed_bytes_read")
        if found.rule_id == "archive/too-large" and isinstance(read, int) and read > 0:
            compressed = min(compressed, read) if compressed else read
    if decompressed >= min_bytes and compressed > 0 and decompressed / compressed > max_ratio:
        ratio = decompressed / compressed
        yield ctx.finding(
            "archive/compression-ratio",
            f"the archive expands {ratio:,.0f}x ({decompressed:,} bytes from {compressed:,} compressed), above the "
            f"{max_ratio}x limit: a decompression bomb, not a package. Re-pack the real files with a standard tool.",
            evidence="archive/compression-ratio",
            properties={"ratio": round(ratio, 1), "decompressed": decompressed, "compressed": compressed},
        )
    expanded = {  # over-size members: what the decompressor really produced, not just what was kept
        found.path: found.properties["decompressed_bytes"]
        for found in package.issues
        if found.rule_id == "archive/file-too-large" and isinstance(found.properties.get("decompressed_bytes"), int)
    }
    members = Counter[str]()
    for entry in package.entries:
        size = max(entry.size, expanded.get(entry.path, 0))
        if entry.compressed_size is None or size < min_bytes:
            continue
        ratio = size / max(entry.compressed_size, 1)
        if ratio > max_ratio and members[entry.path] == 0:
            members[entry.path] += 1
            yield ctx.finding(
                "archive/compression-ratio",
                f"{entry.path} expands {ratio:,.0f}x ({size:,} bytes from {entry.compressed_size:,}), above "
                f"the {max_ratio}x limit: a decompression bomb. Remove it or store real content.",
                path=entry.path,
                evidence=entry.path,
                properties=_props(entry, ratio=round(ratio, 1)),
            )

"""`compare(new, old, config) -> [Change]`: what a release adds over its baseline. Pure: no I/O, no clock.

Supply-chain takeovers are a change from the previous release: a new install script, a new dependency with a
name one keystroke from a popular one, network or process code where there was none, a file that became
unreadable, a new binary, a moved entry point, or a patch release that suddenly doubles its code.
"""

from __future__ import annotations

import nodesemver

from extgate.gates.drift.interface import Change, DriftConfig, FileInfo, Snapshot, Where
from extgate.model import Level, truncate

# capability categories whose appearance together in one release is the dropper / stealer shape
_EXEC = frozenset({"process", "eval"})


def damerau_levenshtein(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (adjacent transpositions count 1); returns `limit + 1` when larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def typo_target(name: str, config: DriftConfig) -> str | None:
    """The popular name `name` is typo-near to (and is not itself), or None."""
    if name in config.popular:
        return None
    bare = name.rsplit("/", 1)[-1] if name.startswith("@") else name
    limit = 1 if len(bare) <= config.typo_short_name else config.typo_max_distance
    best: tuple[int, str] | None = None
    for popular in config.popular:
        if popular.startswith("@") != name.startswith("@"):
            continue
        distance = damerau_levenshtein(name, popular, limit)
        if 0 < distance <= limit and (best is None or (distance, popular) < best):
            best = (distance, popular)
    return best[1] if best else None


def _where(path: str, line: int | None) -> Where:
    return Where(path, line)


def compare(new: Snapshot, old: Snapshot, config: DriftConfig) -> list[Change]:
    changes: list[Change] = []
    changes += _scripts(new, old)
    changes += _dependencies(new, old, config)
    changes += _capabilities(new, old, config)
    changes += _hosts(new, old)
    changes += _files(new, old, config)
    changes += _entry_points(new, old)
    changes += _large_patch(new, old, config)
    return changes


def _scripts(new: Snapshot, old: Snapshot) -> list[Change]:
    found = []
    for hook, (script, line) in sorted(new.scripts.items()):
        before = old.scripts.get(hook)
        if before is not None and before[0] == script:
            continue
        was = f" (was {truncate(before[0], 80)!r} at {old.manifest_path}:{before[1]})" if before else ""
        verb = "changed" if before else "added"
        found.append(
            Change(
                "drift/install-script",
                f"scripts.{hook} {verb} since {_label(old)}: {truncate(script, 100)!r}{was}. A lifecycle script "
                "that appears in a new release runs on every installing machine; it is the first thing a hijacked "
                "release adds.",
                _where(new.manifest_path, line),
                _where(old.manifest_path, before[1]) if before else None,
                evidence=f"{hook}:{script}",
                properties={"hook": hook, "change": verb},
            )
        )
    return found


def _dependencies(new: Snapshot, old: Snapshot, config: DriftConfig) -> list[Change]:
    found = []
    for name, (spec, line) in sorted(new.dependencies.items()):
        if name in old.dependencies:
            continue
        target = typo_target(name, config)
        if target is not None:
            message = (
                f"new dependency {name!r} ({truncate(spec, 40)}) is one or two keystrokes from the popular package "
                f"{target!r}: typosquats are how hijacked releases pull in their payload. Check the name."
            )
            level = Level.WARNING
        else:
            message = f"new dependency {name!r} ({truncate(spec, 40)}) since {_label(old)}."
            level = Level.NOTE
        found.append(
            Change(
                "drift/new-dependency",
                message,
                _where(new.manifest_path, line),
                None,
                level=level,
                evidence=f"{name}",
                properties={"name": name, "spec": spec, **({"typo_of": target} if target else {})},
            )
        )
    return found


def _capabilities(new: Snapshot, old: Snapshot, config: DriftConfig) -> list[Change]:
    added = {k: v for k, v in new.capabilities.items() if k not in old.capabilities}
    if not added:
        return []
    exec_added = _EXEC & added.keys()
    combined = bool(exec_added) and ("network" in added or bool(new.scripts.keys() - old.scripts.keys()))
    found = []
    for category, (where, names) in sorted(added.items()):
        severe = combined and (category in _EXEC or category == "network")
        found.append(
            Change(
                "drift/new-capability",
                f"{category} capability is new since {_label(old)} ({', '.join(names[:6])}"
                f"{', …' if len(names) > 6 else ''}): the baseline had none."
                + (
                    " Code execution and network (or an install script) appearing together in one release is "
                    "the dropper pattern."
                    if severe
                    else " Make sure the release notes explain it."
                ),
                where,
                None,
                level=Level.ERROR if severe else None,
                evidence=category,
                properties={"category": category, "names": list(names)},
            )
        )
    return found


def _hosts(new: Snapshot, old: Snapshot) -> list[Change]:
    return [
        Change(
            "drift/new-host",
            f"network code now names {host!r}, a host the baseline ({_label(old)}) never mentioned. New endpoints in "
            "a release are where stolen data goes; check that it belongs to the project.",
            where,
            None,
            evidence=host,
            properties={"host": host},
        )
        for host, where in sorted(new.hosts.items())
        if host not in old.hosts
    ]


def _files(new: Snapshot, old: Snapshot, config: DriftConfig) -> list[Change]:
    found: list[Change] = []
    any_obfuscated_before = any(f.obfuscated for f in old.files.values())
    for path, info in sorted(new.files.items()):
        before = old.files.get(path)
        if info.obfuscated and not (before.obfuscated if before else any_obfuscated_before):
            found.append(
                _file_change(
                    "drift/obfuscated",
                    info,
                    before,
                    f"{path} is obfuscated now"
                    + (" and was readable" if before else "")
                    + f" in {_label(old)}: code nobody can review arrived with this release.",
                )
            )
        elif info.long_line and info.code and (info.padded or not info.minified) and not _had_long(before):
            found.append(
                _file_change(
                    "drift/long-lines",
                    info,
                    before,
                    f"{path}:{info.long_line} has a line of {info.max_line:,} characters"
                    + (" with code hidden behind a run of blanks" if info.padded else "")
                    + (f" (the longest was {before.max_line:,} in {_label(old)})" if before else " in a new file")
                    + ": payloads are appended as one long line past the edge of the reviewer's screen.",
                    line=info.long_line,
                )
            )
        elif info.minified and before is not None and not before.minified and not before.obfuscated:
            found.append(
                _file_change(
                    "drift/minified",
                    info,
                    before,
                    f"{path} was readable in {_label(old)} and is minified now: a hijacked release hides its edit "
                    "this way. Ship the source (or its source map) next to it.",
                )
            )
        if info.binary and (before is None or not before.binary):
            found.append(
                _file_change(
                    "drift/new-binary",
                    info,
                    before,
                    f"{path} is a new {'executable' if info.binary == 'executable' else 'binary'} file since "
                    f"{_label(old)} ({info.size:,} bytes): binaries cannot be reviewed and executables run natively.",
                    level=Level.ERROR if info.binary == "executable" else None,
                )
            )
    return found


def _had_long(before: FileInfo | None) -> bool:
    return before is not None and bool(before.long_line)


def _file_change(
    rule_id: str,
    info: FileInfo,
    before: FileInfo | None,
    message: str,
    *,
    line: int | None = None,
    level: Level | None = None,
) -> Change:
    return Change(
        rule_id,
        message,
        Where(info.path, line),
        Where(before.path) if before else None,
        level=level,
        evidence=f"{info.path}:{info.sha256[:16]}",
        properties={"size": info.size, **({"baseline_size": before.size} if before else {})},
    )


def _entry_points(new: Snapshot, old: Snapshot) -> list[Change]:
    found = []
    for key, (target, line) in sorted(new.entry_points.items()):
        before = old.entry_points.get(key)
        if before is not None and before[0] == target:
            continue
        if before is None and not old.entry_points:
            continue  # a baseline without entry points (or without a manifest): nothing moved
        was = f"was {truncate(before[0], 80)!r}" if before else "new"
        found.append(
            Change(
                "drift/entry-point",
                f"{key} now points to {truncate(target, 80)!r} ({was} in {_label(old)}): what runs when the package "
                "is loaded or its command is run changed. Check the new target.",
                _where(new.manifest_path, line),
                _where(old.manifest_path, before[1]) if before else None,
                evidence=f"{key}:{target}",
                properties={"field": key, "target": target, **({"baseline_target": before[0]} if before else {})},
            )
        )
    return found


def _is_patch(new: str, old: str) -> bool:
    try:
        a = nodesemver.parse(new, False)
        b = nodesemver.parse(old, False)
    except Exception:  # unparsable versions: not a semver patch
        return False
    if a is None or b is None:
        return False
    return bool(a.major == b.major and a.minor == b.minor and a.patch > b.patch)


def _large_patch(new: Snapshot, old: Snapshot, config: DriftConfig) -> list[Change]:
    if not _is_patch(new.version, old.version):
        return []
    added = new.code_bytes - old.code_bytes
    if added < config.large_patch_min_bytes or added < config.large_patch_ratio * max(old.code_bytes, 1):
        return []
    return [
        Change(
            "drift/large-patch",
            f"patch release {new.version} adds {added:,} bytes of code to {old.version}'s {old.code_bytes:,} "
            f"(+{added / max(old.code_bytes, 1):.0%}): a patch should fix, not grow; hijacked patch releases carry "
            "their payload this way.",
            _where(new.manifest_path, None),
            _where(old.manifest_path, None),
            evidence=f"{new.version}:{old.version}",
            properties={"added_bytes": added, "baseline_code_bytes": old.code_bytes},
        )
    ]


def _label(snap: Snapshot) -> str:
    if snap.name and snap.version:
        return f"{snap.name}@{snap.version}"
    return "the baseline"

"""Which version npm would install for a spec, from the packument (npm-pick-manifest's algorithm).

Kinds of spec (npm-package-arg): an exact version, a range (`^`, `~`, `>=`, `1.x`, `*`, hyphen, `||`), a dist-tag,
an alias (`npm:real@range`), and non-registry specs (git, URL, file, link, workspace) that cannot be audited
against the registry. Resolution mirrors npm-pick-manifest minus what extgate cannot know (the consumer's node and
npm versions for `engines`, `--before`, staged/restricted versions):

  - tag: exactly `dist-tags[tag]`;
  - version: exactly that version;
  - range: `dist-tags.latest` when it satisfies the range (any `latest` for `*`/'') and is not deprecated; else
    the highest satisfying version, non-deprecated versions first.
Semantics are node-semver's with npm's `loose: true`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import nodesemver

MAX_SPEC_LENGTH = 1000  # a longer "range" is hostile; node-semver's regexes are not meant for it
MAX_VERSIONS = 50_000  # bound on a packument's version list (the largest real ones have a few thousand)

_GIT_PREFIXES = ("git+", "git:", "github:", "gitlab:", "bitbucket:", "gist:")
_URL_PREFIXES = ("http://", "https://")
_FILE_PREFIXES = ("file:", "link:", "workspace:", "portal:", "patch:", "./", "../", "/", "~/")
_SHORTHAND = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(?:#.*)?$")  # github shorthand: user/repo[#ref]
_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9._~-]*$")  # npm: a tag must survive encodeURIComponent unchanged


@dataclass(frozen=True, slots=True)
class Spec:
    """A parsed dependency spec.

    kind    version, range, tag, alias-target kinds resolved to these, or git, url, file, jsr, invalid
    name    package name to ask the registry for (the alias target for `npm:` aliases)
    value   the version / range / tag text ('*' for an empty spec)
    raw     what was written
    """

    kind: str
    name: str
    value: str
    raw: str

    @property
    def registry(self) -> bool:
        return self.kind in ("version", "range", "tag")


def parse_spec(name: str, raw: str) -> Spec:
    """Classify `raw` as written for dependency `name` (aliases resolve to their target name)."""
    text = raw.strip()
    if len(text) > MAX_SPEC_LENGTH:
        return Spec("invalid", name, text[:100], raw)
    if text.startswith("npm:"):
        target = text[4:]
        at = target.find("@", 1)
        alias_name, alias_spec = (target, "") if at < 0 else (target[:at], target[at + 1 :])
        if not alias_name or alias_spec.startswith("npm:"):
            return Spec("invalid", name, text, raw)
        inner = parse_spec(alias_name, alias_spec)
        return Spec(inner.kind, alias_name, inner.value, raw)
    if text.startswith("jsr:"):
        return Spec("jsr", name, text, raw)
    lowered = text.lower()
    if lowered.startswith(_GIT_PREFIXES) or (_SHORTHAND.match(text) and not text.startswith("@")):
        return Spec("git", name, text, raw)
    if lowered.startswith(_URL_PREFIXES):
        return Spec("url", name, text, raw)
    if lowered.startswith(_FILE_PREFIXES):
        return Spec("file", name, text, raw)
    if text in ("", "*", "latest"):
        return Spec("range" if text != "latest" else "tag", name, text or "*", raw)
    version = _valid_version(text)
    if version is not None:
        return Spec("version", name, version, raw)
    if _valid_range(text):
        return Spec("range", name, text, raw)
    if _TAG.match(text):
        return Spec("tag", name, text, raw)
    return Spec("invalid", name, text, raw)


def _valid_version(text: str) -> str | None:
    cleaned = text.lstrip("=").strip()
    try:
        value = nodesemver.valid(cleaned, True)
    except (ValueError, TypeError):
        return None
    return str(value) if value else None


def _valid_range(text: str) -> bool:
    try:
        return nodesemver.valid_range(text, True) is not None
    except (ValueError, TypeError):
        return False


@functools.lru_cache(maxsize=4096)
def _range(text: str) -> Any:
    return nodesemver.make_range(text, True)


def satisfies(version: str, range_text: str) -> bool:
    try:
        return bool(_range(range_text).test(version))
    except (ValueError, TypeError):
        return False


def compare(a: str, b: str) -> int:
    """node-semver ordering (loose); raises ValueError when either is not a version."""
    return int(nodesemver.compare(a, b, True))


def _deprecated(manifest: Any) -> bool:
    return (
        isinstance(manifest, Mapping) and isinstance(manifest.get("deprecated"), str) and bool(manifest["deprecated"])
    )


def pick_version(packument: Mapping[str, Any], spec: Spec) -> str | None:
    """The version npm would install for `spec`, or None when nothing matches (npm: ETARGET)."""
    versions = packument.get("versions")
    if not isinstance(versions, Mapping) or not spec.registry:
        return None
    tags = packument.get("dist-tags")
    tags = tags if isinstance(tags, Mapping) else {}
    if spec.kind == "tag":
        tagged = tags.get(spec.value)
        return tagged if isinstance(tagged, str) and tagged in versions else None
    if spec.kind == "version":
        return spec.value if spec.value in versions else None

    latest = tags.get("latest")
    if (
        isinstance(latest, str)
        and latest in versions
        and (spec.value == "*" or satisfies(latest, spec.value))
        and not _deprecated(versions[latest])
    ):
        return latest
    best: tuple[bool, str] | None = None  # (not deprecated, version): non-deprecated beats deprecated
    for count, (version, manifest) in enumerate(versions.items()):
        if count >= MAX_VERSIONS:
            break
        if not isinstance(version, str) or not satisfies(version, spec.value):
            continue
        candidate = (not _deprecated(manifest), version)
        if best is None or _better(candidate, best):
            best = candidate
    return best[1] if best else None


def _better(a: tuple[bool, str], b: tuple[bool, str]) -> bool:
    if a[0] != b[0]:
        return a[0]
    try:
        return compare(a[1], b[1]) > 0
    except ValueError:
        return False

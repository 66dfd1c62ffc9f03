"""Manifest and file-set factors: description, changelog, types, compat."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import nodesemver

from extgate.model import FactorResult
from extgate.scoring.interface import BaseFactor, ScoringContext
from extgate.scoring.readme import heading_matches

MAX_RANGE = 256  # longer "ranges" are not ranges; never hand them to the regex-based semver parser
_SKIP_DIRS = frozenset({"node_modules", "test", "tests", "__tests__", "fixtures", "examples", "example"})


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


class Description(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        value = ctx.manifest_value("description")
        if not isinstance(value, str) or not value.strip():
            return self.missed("no `description` in the manifest")
        text = " ".join(value.split())
        name = ctx.manifest_value("name")
        if isinstance(name, str) and name.strip():
            bare = name.rsplit("/", 1)[-1]
            if _letters(text) in (_letters(name), _letters(bare)):
                return self.missed(f"`description` only repeats the name ({text[:60]!r})")
        min_chars = int(self.spec.setting("min_chars", 20))
        if len(text) < min_chars:
            return self.missed(f"`description` is {len(text)} characters ({text!r}); at least {min_chars} expected")
        return self.earned(f"{len(text)} characters")


class Changelog(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        prefixes = self.spec.strings("file_prefixes")
        min_chars = int(self.spec.setting("min_chars", 20))
        stub: str | None = None
        for entry in sorted(ctx.package.files, key=lambda e: e.path):
            folder, _, name = entry.path.rpartition("/")
            # root, docs/, or files/ (where swamp puts a manifest's additionalFiles)
            if folder not in ("", "docs", "doc", "files") or not _is_changelog_name(name, prefixes):
                continue
            if len((entry.data or b"").strip()) >= min_chars:
                return self.earned(entry.path)
            stub = entry.path
        for key in ("changelog", "releaseNotes", "release_notes"):
            notes = ctx.manifest_value(key)
            if isinstance(notes, str) and len(notes.strip()) >= min_chars:
                return self.earned(f"release notes in the manifest's `{key}`")
        readme = ctx.readme
        if readme is not None and not ctx.readme_problem:
            words = self.spec.strings("readme_headings")
            if any(heading_matches(h, words) for h in readme.headings):
                return self.earned(f"release notes section in {readme.path}")
        if stub:
            return self.missed(f"{stub} is empty", hint=f"Write what changed in this version into {stub}.")
        return self.missed("no CHANGELOG/HISTORY/RELEASES file and no release notes")


def _is_changelog_name(name: str, prefixes: tuple[str, ...]) -> bool:
    """CHANGELOG.md, HISTORY, RELEASES.txt, changelog-2024.md -- but not 'newsletter.md' for 'news'."""
    stem = name.lower().split(".", 1)[0]
    return any(stem == p or (stem.startswith(p) and not stem[len(p)].isalpha()) for p in prefixes)


class Types(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        paths = {e.path for e in ctx.package.files}
        declared = [
            (key, value)
            for key in ("types", "typings")
            if isinstance(value := ctx.manifest_value(key), str) and value.strip()
        ]
        declared += [("exports[types]", v) for v in _exports_types(ctx.manifest_value("exports"))]
        missing = [f"{key} -> {value}" for key, value in declared if _rel(value) not in paths]
        if missing:
            return self.missed(
                f"{missing[0]} is not in the package",
                hint="Ship the declaration file the manifest points to, or fix the `types` path.",
            )
        if declared:
            return self.earned(f"{declared[0][0]} -> {declared[0][1]}")
        ts = sorted(
            e.path
            for e in ctx.package.files
            if re.search(r"\.(?:d\.)?[cm]?tsx?$", e.name.lower()) and not set(e.path.split("/")[:-1]) & _SKIP_DIRS
        )
        if ts:
            return self.earned(f"{len(ts)} TypeScript file(s), e.g. {ts[0]}")
        return self.missed("no TypeScript sources and no `types` entry")


def _rel(path: str) -> str:
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def _exports_types(value: object, depth: int = 0) -> Iterator[str]:
    """Every `types` condition target in an `exports` map (bounded depth; wildcard patterns skipped)."""
    if depth > 8 or not isinstance(value, Mapping):
        return
    for key, inner in list(value.items())[:200]:
        if key == "types" and isinstance(inner, str) and "*" not in inner:
            yield inner
        elif isinstance(inner, Mapping):
            yield from _exports_types(inner, depth + 1)


def valid_range(value: object) -> bool:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_RANGE:
        return False
    try:
        return nodesemver.valid_range(value, False) is not None
    except (ValueError, TypeError, AttributeError):
        return False


class Compat(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        manifest = ctx.manifest
        if manifest is None:
            return self.missed("no readable manifest")
        data = manifest.data
        declared: list[str] = []
        cinatra = data.get("cinatra")
        if isinstance(cinatra, Mapping):
            abi = cinatra.get("sdkAbiRange")
            if abi is None:
                return self.missed(
                    "cinatra extension without `cinatra.sdkAbiRange`",
                    hint='Declare the SDK ABI range you support: "cinatra": {"sdkAbiRange": "^1.0.0"}.',
                )
            if not valid_range(abi):
                return self.missed(
                    f"`cinatra.sdkAbiRange` {str(abi)[:60]!r} is not a valid semver range",
                    hint="Use a semver range for cinatra.sdkAbiRange, such as ^1.0.0 or >=1.2 <2.",
                )
            declared.append(f"sdkAbiRange {abi}")
        engines = data.get("engines")
        if engines is not None:
            if not isinstance(engines, Mapping) or not engines:
                return self.missed(
                    "`engines` is not a mapping of host -> range", hint='Write engines as {"node": ">=18"}.'
                )
            for host, spec in engines.items():
                if not valid_range(spec):
                    return self.missed(
                        f"`engines.{host}` {str(spec)[:60]!r} is not a valid semver range",
                        hint=f"Use a semver range for engines.{host}, such as >=18 or ^1.80.0.",
                    )
            declared.append("engines " + ", ".join(f"{k} {v}" for k, v in engines.items()))
        if manifest.kind == "manifest.yaml" and "platforms" in data:
            problem = self._platforms(data.get("platforms"))
            if problem:
                return self.missed(
                    problem, hint="List platforms as os or os-arch, e.g. [linux-x86_64, darwin-aarch64]."
                )
            declared.append(f"platforms {', '.join(map(str, data['platforms']))}")
        if not declared:
            what = "`platforms` or `engines`" if manifest.kind == "manifest.yaml" else "`engines`"
            return self.missed(f"no {what} declared")
        return self.earned("; ".join(declared))

    def _platforms(self, value: object) -> str | None:
        if not isinstance(value, list) or not value:
            return "`platforms` is not a non-empty list"
        pattern = re.compile(str(self.spec.setting("platform_pattern", r"^[A-Za-z0-9][A-Za-z0-9._/+-]{0,63}$")))
        seen: set[str] = set()
        for item in value[:200]:
            if not isinstance(item, str) or not pattern.match(item):
                return f"platform {str(item)[:40]!r} is not a platform name"
            if item in seen:
                return f"platform {item!r} is listed twice"
            seen.add(item)
        return None

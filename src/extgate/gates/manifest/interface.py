"""The manifest gate's inner contract: a check is `check(scope) -> Iterable[Finding]`.

`Scope` bundles what every check needs -- the gate context, the parsed manifest, the package's file set --
and a few per-run helpers (findings located by JSON pointer, a memoized registry lookup, notes). A scope
lives for one gate run only, so its memo and notes are not shared state.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import Any

from extgate.facts import Manifest
from extgate.gates.interface import GateContext
from extgate.model import Finding, Level
from extgate.registry.client import RegistryUnavailable, fetch_packument
from extgate.trust.cache import DEFAULT_TTLS, Cache

# Orchestra manifests are package.json files with these fields (seed 001).
ORCHESTRA_FIELDS = ("permissions", "compat", "categories", "min_orchestra_version")


class Scope:
    """ctx: the gate context; manifest: the parsed manifest; notes: lines for the verdict's notes."""

    def __init__(self, ctx: GateContext, manifest: Manifest, *, cinatra_checks: bool = False) -> None:
        self.ctx = ctx
        self.manifest = manifest
        self.cinatra_checks = cinatra_checks  # the Cinatra pack runs (profile cinatra or a `cinatra` block)
        self.notes: list[str] = []
        self.registry_error: str | None = None  # first failure; the gate reports it once
        self._packuments: dict[str, dict[str, Any] | None] = {}

    # -- the document --------------------------------------------------------------------------------------
    @property
    def data(self) -> Mapping[str, Any]:
        return self.manifest.data

    @property
    def name(self) -> str | None:
        value = self.data.get("name")
        return value if isinstance(value, str) else None

    @property
    def version(self) -> str | None:
        value = self.data.get("version")
        return value if isinstance(value, str) else None

    @property
    def cinatra(self) -> Mapping[str, Any] | None:
        block = self.data.get("cinatra")
        return block if isinstance(block, Mapping) else None

    @property
    def is_orchestra(self) -> bool:
        return self.manifest.kind == "package.json" and any(k in self.data for k in ORCHESTRA_FIELDS)

    # -- the package ---------------------------------------------------------------------------------------
    @cached_property
    def files(self) -> frozenset[str]:
        """Paths of the regular files that would be published."""
        return frozenset(entry.path for entry in self.ctx.package.files)

    @cached_property
    def directories(self) -> frozenset[str]:
        """Every directory implied by a file path (so 'lib' exists when 'lib/a.js' does)."""
        out: set[str] = set()
        for path in self.files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                out.add("/".join(parts[:i]))
        return frozenset(out)

    # -- findings ------------------------------------------------------------------------------------------
    def at(
        self,
        rule_id: str,
        message: str,
        pointer: str,
        *,
        level: Level | None = None,
        snippet: str | None = None,
        evidence: str | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> Finding:
        """A finding on the manifest field at `pointer` (line from the parser's map).

        The fingerprint evidence defaults to the pointer: it names the field, not its (versioned) value.
        """
        return self.ctx.finding(
            rule_id,
            message,
            path=self.manifest.path,
            line=self.manifest.line_of(pointer),
            snippet=snippet,
            evidence=evidence if evidence is not None else pointer or "/",
            level=level,
            properties={"pointer": pointer, **(properties or {})},
        )

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- the registry --------------------------------------------------------------------------------------
    @property
    def registry(self) -> str | None:
        return self.ctx.options.registry

    def registry_ready(self, rule_id: str) -> bool:
        """True when `rule_id` can ask the registry; otherwise notes why it was skipped."""
        if self.registry is None:
            self.note(f"{rule_id}: skipped (no --registry given)")
            return False
        if self.ctx.options.offline:
            self.note(f"{rule_id}: skipped (--offline)")
            return False
        return True

    def packument(self, name: str) -> dict[str, Any] | None:
        """The packument of `name` on `--registry` (None on 404), memoized for this run.

        Raises RegistryDown once the registry failed (the first failure is kept in `registry_error` and the
        gate turns it into one fail-closed finding), ValueError for a name no registry URL can carry.
        """
        if self.registry_error is not None:
            raise RegistryDown(self.registry_error)
        if name not in self._packuments:
            assert self.registry is not None
            hit, cached = self._cached(name)
            if hit:
                self._packuments[name] = cached
                return cached
            try:
                doc = fetch_packument(
                    self.registry, name, timeout=self.ctx.options.timeout, ca_bundle=self.ctx.options.ca_bundle
                )
            except RegistryUnavailable as exc:
                self.registry_error = str(exc)
                raise RegistryDown(self.registry_error) from None
            self._packuments[name] = doc
            self._store(name, doc)
        return self._packuments[name]

    # the trust gate's packument cache (same keys): warm runs ask the registry neither here nor there
    def _cache(self) -> Cache:
        return Cache.at(self.ctx.options.cache_dir, enabled=self.ctx.options.use_cache)

    def _cached(self, name: str) -> tuple[bool, dict[str, Any] | None]:
        """(hit, packument); a cached None is the registry's 404 (a first publish), cached like the rest."""
        cache = self._cache()
        try:
            hit, value = cache.get("packument", f"{self.registry}\0{name}", DEFAULT_TTLS["packument"])
        finally:
            cache.close()
        self.notes += cache.notes
        if not hit or not isinstance(value, dict) or "doc" not in value:
            return False, None
        doc = value["doc"]
        return True, doc if isinstance(doc, dict) else None

    def _store(self, name: str, doc: dict[str, Any] | None) -> None:
        cache = self._cache()
        try:
            cache.put("packument", f"{self.registry}\0{name}", {"doc": doc})
            cache.put("packument-registry", name, self.registry)
        finally:
            cache.close()
        self.notes += cache.notes


class RegistryDown(Exception):
    """The registry gave no usable answer during this run (already recorded on the scope)."""


Check = Callable[[Scope], Iterable[Finding]]


def package_path(ref: str) -> str | None:
    """A manifest path ('./dist/a.js', 'lib/') as a package path ('dist/a.js', 'lib'); None when it is
    absolute, empty or climbs out of the package."""
    if not ref or ref.startswith("/") or "\\" in ref or "\0" in ref or (len(ref) > 1 and ref[1] == ":"):
        return None
    normalized = posixpath.normpath(ref)
    if normalized == "." or normalized.startswith("../") or normalized == "..":
        return None
    return normalized


def is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def capped(findings: Iterable[Finding], limit: int, summary: Callable[[int], Finding]) -> list[Finding]:
    """At most `limit` findings; when more, the first `limit` plus one summary finding saying how many more."""
    out: list[Finding] = []
    extra = 0
    for finding in findings:
        if len(out) < limit:
            out.append(finding)
        else:
            extra += 1
    if extra:
        out.append(summary(extra))
    return out

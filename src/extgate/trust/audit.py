"""The trust pipeline: resolve what will install, look up advisories, read registry signals. Async, bounded.

    declared (sources) -> packuments (registry, cached) -> versions (resolve) -> transitive walk (registry)
      -> advisories (OSV API or offline DB, cached) -> registry signals -> AuditResult

Nothing here decides levels or writes findings: the gate does that from the AuditResult. Failures are data
(registry_failures, audit_failure), never exceptions, so the gate can fail closed with a precise message.
With nothing to resolve, no request is made at all.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from extgate.registry.client import AsyncRegistryClient, RegistryUnavailable
from extgate.registry.http import HEADERS, TransportError, arequest_json, ssl_context, timeouts
from extgate.trust import signals as sig
from extgate.trust.cache import DEFAULT_TTLS, Cache
from extgate.trust.interface import (
    AUDITED,
    AdvisorySource,
    Audited,
    AuditUnavailable,
    Declared,
    Lookup,
    PackageVersion,
    Signal,
)
from extgate.trust.match import CASE_INSENSITIVE, Match, affects, merge
from extgate.trust.osv import OsvApi, OsvDatabase
from extgate.trust.resolve import Spec, parse_spec, pick_version

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """Everything the pipeline needs besides the declarations (from Options and the `[trust]` policy)."""

    registry: str
    osv_url: str
    now: datetime
    osv_db: str | None = None
    offline: bool = False
    timeout: float = 10.0
    downloads_url: str | None = None
    licenses: tuple[str, ...] = sig.DEFAULT_LICENSES
    stale_months: int = 24
    min_downloads: int = 1000
    transitive: bool = True
    max_dependencies: int = 2000
    concurrency: int = 16
    signals: frozenset[str] = frozenset()  # enabled signal rule ids
    ttls: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TTLS))
    ca_bundle: str | None = None  # --ca-bundle (extgate.registry.tls); None = system trust store


@dataclass(frozen=True, slots=True)
class Unresolved:
    declared: Declared
    reason: str
    via: tuple[str, ...] = ()


@dataclass(slots=True)
class AuditResult:
    """audited: one entry per (declaration or transitive version); unresolved: what npm could not install;
    registry_failures: declarations whose packument could not be fetched, with the reason; audit_failure: why
    advisories could not be looked up (None when they were); notes: for the verdict."""

    audited: list[Audited] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    registry_failures: list[tuple[Declared, str]] = field(default_factory=list)
    audit_failure: str | None = None
    too_many: bool = False
    notes: list[str] = field(default_factory=list)


class Packuments:
    """Packuments by name: memoized per run (concurrent asks share one request), cached across runs."""

    def __init__(self, settings: AuditSettings, cache: Cache) -> None:
        self._settings = settings
        self._cache = cache
        self._client: AsyncRegistryClient | None = None
        self._tasks: dict[str, asyncio.Task[dict[str, Any] | None]] = {}
        self._down: RegistryUnavailable | None = None
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))

    async def __aenter__(self) -> Packuments:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    def get(self, name: str) -> Awaitable[dict[str, Any] | None]:
        if name not in self._tasks:
            self._tasks[name] = asyncio.ensure_future(self._fetch(name))
        return self._tasks[name]

    async def _fetch(self, name: str) -> dict[str, Any] | None:
        key = f"{self._settings.registry}\0{name}"
        ttl = None if self._settings.offline else self._settings.ttls.get("packument")
        hit, value = self._cache.get("packument", key, ttl)
        if hit and isinstance(value, dict) and "doc" in value:
            doc = value["doc"]
            return doc if isinstance(doc, dict) else None
        if self._settings.offline:
            raise RegistryUnavailable(key.replace("\0", "/"), "--offline and the packument is not in the cache")
        async with self._slots:
            if self._down is not None:  # fail fast: a hanging registry must not cost retries x timeout per package
                raise RegistryUnavailable(self._down.url, f"not asked: {self._down.reason}", self._down.status)
            if self._client is None:
                self._client = AsyncRegistryClient(
                    self._settings.registry,
                    timeout=self._settings.timeout,
                    concurrency=self._settings.concurrency,
                    ca_bundle=self._settings.ca_bundle,
                )
            try:
                doc = await self._client.fetch_packument(name)
            except RegistryUnavailable as exc:
                if exc.status is None or exc.status == 429 or exc.status >= 500:
                    self._down = exc
                raise
        self._cache.put("packument", key, {"doc": doc})
        return doc


async def _gather_dict(keys: Sequence[str], fn: Callable[[str], Awaitable[T]]) -> dict[str, T | Exception]:
    async def one(key: str) -> T | Exception:
        try:
            return await fn(key)
        except (RegistryUnavailable, ValueError) as exc:
            return exc

    results = await asyncio.gather(*(one(k) for k in keys))
    return dict(zip(keys, results, strict=True))


def _versions(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    versions = doc.get("versions")
    return versions if isinstance(versions, Mapping) else {}


def _manifest(doc: Mapping[str, Any] | None, version: str) -> Mapping[str, Any]:
    entry = _versions(doc or {}).get(version)
    return entry if isinstance(entry, Mapping) else {}


def _children(manifest: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, spec, optional) that installing `manifest` pulls in: dependencies, optionalDependencies, and
    peerDependencies unless marked optional in peerDependenciesMeta (npm 7+ installs required peers)."""
    out: list[tuple[str, str, bool]] = []
    meta = manifest.get("peerDependenciesMeta")
    meta = meta if isinstance(meta, Mapping) else {}
    for dep_field, optional in (("dependencies", False), ("optionalDependencies", True), ("peerDependencies", False)):
        table = manifest.get(dep_field)
        if not isinstance(table, Mapping):
            continue
        for name, spec in table.items():
            if not isinstance(name, str) or not isinstance(spec, str):
                continue
            peer_meta = meta.get(name)
            if dep_field == "peerDependencies" and isinstance(peer_meta, Mapping) and peer_meta.get("optional"):
                continue
            out.append((name, spec, optional))
    return out


class Auditor:
    def __init__(self, settings: AuditSettings, cache: Cache) -> None:
        self.settings = settings
        self.cache = cache
        self.result = AuditResult()

    async def run(self, declared: Sequence[Declared]) -> AuditResult:
        todo = [d for d in declared if d.status == AUDITED]
        if not todo:
            return self.result
        async with Packuments(self.settings, self.cache) as packuments:
            nodes = await self._resolve_direct(todo, packuments)
            if self.settings.transitive:
                nodes += await self._walk(nodes, packuments)
            await self._advisories(nodes, packuments)
            await self._signals(nodes, packuments)
        self.result.audited = [node.audited for node in nodes]
        return self.result

    # -- resolution -------------------------------------------------------------------------------------------
    async def _resolve_direct(self, todo: Sequence[Declared], packuments: Packuments) -> list[_Node]:
        if len(todo) > self.settings.max_dependencies:  # hostile manifests: bound the requests, fail closed
            self.result.too_many = True
            todo = todo[: self.settings.max_dependencies]
        need = sorted({d.name for d in todo if d.direct})  # lockfile-only entries need no registry
        docs = await _gather_dict(need, packuments.get)
        nodes: list[_Node] = []
        for item in todo:
            doc = docs.get(item.name)
            if isinstance(doc, ValueError):
                self.result.unresolved.append(Unresolved(item, str(doc)))
                continue
            if isinstance(doc, Exception):
                self.result.registry_failures.append((item, _reason(doc)))
                continue
            if item.pinned is not None:
                nodes.append(_Node(Audited(item.name, item.pinned, item, spec=item.spec), doc, walk=False))
                continue
            if doc is None:
                self.result.unresolved.append(
                    Unresolved(item, f"the registry {self.settings.registry} has no package {item.name!r}")
                )
                continue
            spec = parse_spec(item.name, item.spec)
            version = pick_version(doc, spec)
            if version is None:
                self.result.unresolved.append(Unresolved(item, _no_match(spec, doc)))
                continue
            nodes.append(_Node(Audited(item.name, version, item, spec=item.spec), doc, walk=True))
        return nodes

    async def _walk(self, roots: Sequence[_Node], packuments: Packuments) -> list[_Node]:
        """Breadth-first over what the registry-resolved direct dependencies pull in, one (name, spec) once."""
        seen_specs: set[tuple[str, str]] = set()
        seen_versions = {(n.audited.name, n.audited.version) for n in roots}
        frontier = [n for n in roots if n.walk]
        found: list[_Node] = []
        while frontier:
            wanted: list[tuple[_Node, str, str, bool]] = []
            for parent in frontier:
                for name, raw, optional in _children(_manifest(parent.doc, parent.audited.version)):
                    if (name, raw) not in seen_specs:
                        seen_specs.add((name, raw))
                        wanted.append((parent, name, raw, optional))
            if len(seen_specs) > 10 * self.settings.max_dependencies:
                self.result.too_many = True
                return found
            specs = {(name, raw): parse_spec(name, raw) for _, name, raw, _ in wanted}
            docs = await _gather_dict(sorted({s.name for s in specs.values() if s.registry}), packuments.get)
            frontier = []
            for parent, name, raw, optional in wanted:
                spec = specs[(name, raw)]
                chain = (*parent.audited.via, parent.audited.name)
                root = parent.audited.declared
                doc = docs.get(spec.name) if spec.registry else None
                if isinstance(doc, ValueError):
                    if not optional:
                        self.result.unresolved.append(Unresolved(root, f"{name}: {doc}", chain))
                    continue
                if isinstance(doc, Exception):
                    if not optional:
                        failure = f"{spec.name} (via {' > '.join(chain)}): {_reason(doc)}"
                        self.result.registry_failures.append((root, failure))
                    continue
                version = pick_version(doc, spec) if doc is not None else None
                if version is None:
                    if not optional:
                        if not spec.registry:
                            reason = f"{raw!r} is a {spec.kind} dependency, not a registry version"
                        elif doc is None:
                            reason = f"the registry has no package {spec.name!r}"
                        else:
                            reason = _no_match(spec, doc)
                        self.result.unresolved.append(Unresolved(root, f"{name}: {reason}", chain))
                    continue
                if (spec.name, version) in seen_versions:
                    continue
                seen_versions.add((spec.name, version))
                if len(seen_versions) > self.settings.max_dependencies:
                    self.result.too_many = True
                    return found
                node = _Node(Audited(spec.name, version, root, via=chain, spec=raw), doc, walk=True)
                found.append(node)
                frontier.append(node)
        return found

    # -- advisories ---------------------------------------------------------------------------------------------
    def _source(self) -> AdvisorySource:
        if self.settings.osv_db:
            return OsvDatabase(self.settings.osv_db)
        return OsvApi(
            self.settings.osv_url,
            timeout=self.settings.timeout,
            concurrency=self.settings.concurrency,
            ca_bundle=self.settings.ca_bundle,
            cache=self.cache,
            offline=self.settings.offline,
            ttl_query=self.settings.ttls.get("osv-query", DEFAULT_TTLS["osv-query"]),
            ttl_vuln=self.settings.ttls.get("osv-vuln", DEFAULT_TTLS["osv-vuln"]),
        )

    async def _advisories(self, nodes: Sequence[_Node], packuments: Packuments) -> None:
        wanted = sorted({PackageVersion(n.audited.name, n.audited.version) for n in nodes})
        if not wanted:
            return
        source = self._source()
        try:
            lookup: Lookup = await source.lookup(wanted)
        except AuditUnavailable as exc:
            self.result.audit_failure = str(exc)
            return
        self.result.notes += lookup.notes
        from_api = isinstance(source, OsvApi)
        for node in nodes:
            key = PackageVersion(node.audited.name, node.audited.version)
            matches: list[Match] = []
            for record in lookup.records.get(key, ()):
                found = affects(record, key.name, key.version, any_name=from_api)
                if found is None and from_api and not record.withdrawn:
                    found = Match(record, "exact", (), (), ())  # OSV says so: fail closed on disagreement
                if found is not None and found.name_match == CASE_INSENSITIVE:
                    found = await self._confirm_case(found, key, packuments)
                if found is not None:
                    matches.append(found)
            node.audited = _with(node.audited, advisories=merge(matches))

    async def _confirm_case(self, found: Match, key: PackageVersion, packuments: Packuments) -> Match | None:
        """A record spelled `Axios` matched `axios`: keep it unless the registry has a package spelled exactly
        like the record (then the record is about that other, legacy mixed-case package)."""
        spelled = sorted({str(e.get("package", {}).get("name", "")) for e in found.affected} - {key.name})
        for name in spelled:
            try:
                other = await packuments.get(name)
            except (RegistryUnavailable, ValueError):
                self.result.notes.append(
                    f"trust: {found.record.id} names {name!r}; matched {key.name!r} case-insensitively (the "
                    "registry could not confirm whether a differently-cased package exists)"
                )
                return found
            if other is not None:
                self.result.notes.append(
                    f"trust: {found.record.id} names {name!r}, a different registry package than {key.name!r}; "
                    "not applied"
                )
                return None
        return found

    # -- signals ---------------------------------------------------------------------------------------------------
    async def _signals(self, nodes: Sequence[_Node], packuments: Packuments) -> None:
        enabled = self.settings.signals
        downloads: dict[str, int | None] = {}
        direct_names = sorted({n.audited.name for n in nodes if not n.audited.via and n.audited.declared.direct})
        if "trust/low-downloads" in enabled and self.settings.downloads_url and direct_names:
            downloads = await self._downloads(direct_names)
        for node in nodes:
            if node.doc is None:
                continue
            audited = node.audited
            manifest = _manifest(node.doc, audited.version)
            found: list[Signal | None] = []
            if "trust/install-script" in enabled:
                found.append(sig.install_script_signal(audited.name, audited.version, manifest))
            if not audited.via and audited.declared.direct:
                found += self._direct_signals(node.doc, audited, manifest, downloads)
            audited = _with(audited, signals=tuple(s for s in found if s is not None))
            node.audited = audited

    def _direct_signals(
        self, doc: Mapping[str, Any], audited: Audited, manifest: Mapping[str, Any], downloads: dict[str, int | None]
    ) -> list[Signal | None]:
        enabled, s = self.settings.signals, self.settings
        name, version = audited.name, audited.version
        out: list[Signal | None] = []
        if "trust/deprecated" in enabled:
            out.append(sig.deprecated(name, version, manifest))
        if "trust/license" in enabled:
            out.append(sig.license_signal(name, version, manifest, s.licenses))
        if "trust/no-maintainers" in enabled:
            out.append(sig.maintainers_signal(name, doc, manifest))
        if "trust/stale" in enabled:
            out.append(sig.stale_signal(name, doc, s.now, s.stale_months))
        if name in downloads:
            weekly = downloads[name]
            if weekly is None:
                self.result.notes.append(f"trust: weekly downloads of {name} unknown (downloads API unreachable)")
            else:
                out.append(sig.downloads_signal(name, weekly, s.min_downloads))
        return out

    async def _downloads(self, names: Sequence[str]) -> dict[str, int | None]:
        base = str(self.settings.downloads_url).rstrip("/")
        ttl = None if self.settings.offline else self.settings.ttls.get("downloads")
        out: dict[str, int | None] = {}
        semaphore = asyncio.Semaphore(self.settings.concurrency)
        async with httpx.AsyncClient(
            timeout=timeouts(self.settings.timeout), headers=HEADERS, verify=ssl_context(self.settings.ca_bundle)
        ) as client:

            async def one(name: str) -> None:
                key = f"{base}\0{name}"
                hit, value = self.cache.get("downloads", key, ttl)
                if hit and isinstance(value, int):
                    out[name] = value
                    return
                if self.settings.offline:
                    out[name] = None
                    return
                url = f"{base}/downloads/point/last-week/{quote(name, safe='@/')}"
                try:
                    async with semaphore:
                        body = await arequest_json(client, "GET", url, max_bytes=1_000_000)
                except TransportError:
                    out[name] = None
                    return
                count = body.get("downloads") if isinstance(body, dict) else None
                if body is None:
                    count = 0  # the API answers 404 for a package it has never counted
                out[name] = count if isinstance(count, int) and not isinstance(count, bool) else None
                if out[name] is not None:
                    self.cache.put("downloads", key, out[name])

            await asyncio.gather(*(one(n) for n in names))
        return out


@dataclass(slots=True)
class _Node:
    audited: Audited
    doc: Mapping[str, Any] | None
    walk: bool


def _with(audited: Audited, **changes: Any) -> Audited:
    return replace(audited, **changes)


def _reason(exc: Exception) -> str:
    if isinstance(exc, TransportError):
        return f"{exc.url}: {exc.reason}"
    return str(exc)


def _no_match(spec: Spec, doc: Mapping[str, Any] | None) -> str:
    if not spec.registry:
        return f"{spec.raw!r} is a {spec.kind} dependency, not a registry version"
    count = len(_versions(doc or {}))
    what = {"tag": "dist-tag", "version": "version", "range": "range"}[spec.kind]
    return f"no published version matches {what} {spec.value!r} ({count} versions on the registry)"


async def audit(declared: Sequence[Declared], settings: AuditSettings, cache: Cache) -> AuditResult:
    return await Auditor(settings, cache).run(declared)


def run_sync(coro: Awaitable[T]) -> T:
    """Run a coroutine from sync code, also when the caller already runs an event loop (then in a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_as_coroutine(coro))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _as_coroutine(coro)).result()


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable

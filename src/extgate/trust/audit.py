"""The trust pipeline: resolve what will install, look up advisories, read registry signals. Async, bounded.

    declared + lockfile tree (sources) -> the tree npm would install (tree.resolve_tree, a pure function;
      packuments fetched here in rounds, cached) -> advisories (OSV API or offline DB, cached) -> signals

Exact versions (pins, lockfile entries) need no packument to be audited: offline, their advisories are still
reported, and only what really needs the registry (ranges, tags, registry signals) fails closed.

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
    SOURCES,
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
from extgate.trust.tree import Doc, LockEntry, Platform, resolve_tree

T = TypeVar("T")
MAX_ROUNDS = 200  # registry round trips while resolving (one per tree level or peer set, typically < 50)
DEFAULT_NODE = "22.12.0"  # the Node.js `engines` are checked against (policy `[trust] node_version`)


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
    node_version: str = DEFAULT_NODE
    registry_given: bool = True  # False: the default registry; offline, any registry's cached packument serves
    ttls: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TTLS))
    ca_bundle: str | None = None  # --ca-bundle (extgate.registry.tls); None = system trust store


@dataclass(frozen=True, slots=True)
class Unresolved:
    declared: Declared
    reason: str
    via: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LockGap:
    """An edge the shipped lockfile does not satisfy: npm resolves it at install time, unpinned.
    resolved: extgate resolved (and audited) it; False: it could not (offline, registry down ...)."""

    declared: Declared
    chain: tuple[str, ...]
    name: str
    spec: str
    resolved: bool


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
    lock_gaps: list[LockGap] = field(default_factory=list)
    lock_file: str | None = None  # the npm lockfile the tree started from


class Packuments:
    """Packuments by name: memoized per run (concurrent asks share one request), cached across runs."""

    def __init__(self, settings: AuditSettings, cache: Cache) -> None:
        self._settings = settings
        self._cache = cache
        self._client: AsyncRegistryClient | None = None
        self._tasks: dict[str, asyncio.Task[dict[str, Any] | None]] = {}
        self._down: RegistryUnavailable | None = None
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))
        self.notes: list[str] = []

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
            other = None if self._settings.registry_given else self._from_any_registry(name)
            if other is not None:
                return other
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
        self._cache.put("packument-registry", name, self._settings.registry)  # for --offline without --registry
        return doc

    def _from_any_registry(self, name: str) -> dict[str, Any] | None:
        """Offline without --registry: the packument the last online run fetched, from whichever registry."""
        hit, registry = self._cache.get("packument-registry", name, None)
        if not hit or not isinstance(registry, str):
            return None
        hit, value = self._cache.get("packument", f"{registry}\0{name}", None)
        if not hit or not isinstance(value, dict) or not isinstance(value.get("doc"), dict):
            return None
        self.notes.append(f"trust: --offline: packuments read from the cache of {registry} (the last registry used)")
        return dict(value["doc"])


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


class Auditor:
    def __init__(
        self,
        settings: AuditSettings,
        cache: Cache,
        lock: Sequence[LockEntry] = (),
        lock_declared: Mapping[str, Declared] | None = None,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.result = AuditResult()
        self.lock = tuple(lock)
        self.lock_declared = dict(lock_declared or {})
        self._lock_file = next((d.path for d in self.lock_declared.values()), None)
        self.result.lock_file = self._lock_file
        self._docs: dict[str, Doc] = {}

    async def run(self, declared: Sequence[Declared]) -> AuditResult:
        todo = [d for d in declared if d.status == AUDITED]
        if not todo and not any(e.version for e in self.lock):
            return self.result
        async with Packuments(self.settings, self.cache) as packuments:
            nodes = await self._resolve(todo, packuments)
            await self._advisories(nodes, packuments)
            await self._signals(nodes, packuments)
        self.result.notes += list(dict.fromkeys(packuments.notes))
        self.result.audited = [node.audited for node in nodes]
        return self.result

    # -- resolution -------------------------------------------------------------------------------------------
    def _root(self, todo: Sequence[Declared]) -> dict[str, Any]:
        """The project's dependency tables as npm reads them: package.json, plus `npm:` imports and import maps
        (Deno installs those like dependencies)."""
        tables: dict[str, dict[str, str]] = {}
        for item in todo:
            if item.source == "lockfile":
                continue
            table = item.field if item.source == "package.json" else "dependencies"
            spec = item.spec
            if item.pinned and not self.lock:  # a bundled copy (or shrinkwrap pin) fixes the version
                spec = item.pinned
            if not any(item.name in t for t in tables.values()):
                tables.setdefault(table, {})[item.name] = spec
        return tables

    async def _resolve(self, todo: Sequence[Declared], packuments: Packuments) -> list[_Node]:
        if len(todo) > self.settings.max_dependencies:  # hostile manifests: bound the requests, fail closed
            self.result.too_many = True
            todo = todo[: self.settings.max_dependencies]
        root = self._root(todo)
        docs: dict[str, Doc] = {}
        memo: dict[tuple[str, str, str], Any] = {}
        platform = Platform(self.settings.node_version)
        for _ in range(MAX_ROUNDS):
            try:
                resolution = resolve_tree(
                    root,
                    docs,
                    lock=self.lock,
                    platform=platform,
                    transitive=self.settings.transitive,
                    limit=self.settings.max_dependencies,
                    memo=memo,
                )
            except RecursionError:  # a hostile tree the bounds did not catch: fail closed, never a traceback
                self.result.audit_failure = "the dependency tree is too deeply nested to resolve"
                return []
            if not resolution.missing:
                break
            fetched = await _gather_dict(sorted(resolution.missing), packuments.get)
            for name, doc in fetched.items():
                docs[name] = (
                    None if isinstance(doc, ValueError) else _reason(doc) if isinstance(doc, Exception) else doc
                )
        else:
            self.result.notes.append(f"trust: resolution stopped after {MAX_ROUNDS} rounds of registry requests")
            self.result.too_many = True
            return []
        self._docs = docs
        self.result.too_many = self.result.too_many or resolution.too_many
        direct = self._direct_declared(todo)
        nodes: list[_Node] = []
        for placed in resolution.nodes:
            if placed.source == "non-registry":
                continue  # the lockfile entry is reported as unresolved by the gate, never audited
            owner = self._owner(placed.chain, placed.name, placed.path, direct)
            packument = docs.get(placed.name)
            audited = Audited(
                placed.name,
                placed.version,
                owner,
                via=placed.chain,
                spec=placed.spec,
            )
            known = packument if isinstance(packument, Mapping) else None
            nodes.append(_Node(audited, known, placed.manifest, placed.optional))
        for problem in resolution.problems:
            owner = self._owner(problem.chain, problem.name, None, direct)
            where = f"{problem.name} (via {' > '.join(problem.chain)})" if problem.chain else problem.name
            if problem.optional:
                self.result.notes.append(
                    f"trust: optional dependency {where} {problem.spec!r} skipped: {problem.reason}"
                )
            elif problem.kind == "unavailable":
                self.result.registry_failures.append((owner, f"{where}: {problem.reason}"))
            elif problem.kind == "conflict":
                self.result.notes.append(f"trust: {where} {problem.spec!r}: {problem.reason}")
            else:
                self.result.unresolved.append(Unresolved(owner, f"{problem.name}: {problem.reason}", problem.chain))
        unresolved = {(p.chain, p.name, p.spec) for p in resolution.problems if not p.optional}
        in_package_json = {d.name for d in todo if d.source == "package.json"}
        for chain, name, spec in resolution.lock_gaps:
            if not chain and name not in in_package_json:
                continue  # `npm:` imports are Deno's to lock, not package-lock's
            owner = self._owner(chain, name, None, direct)
            self.result.lock_gaps.append(LockGap(owner, chain, name, spec, (chain, name, spec) not in unresolved))
        for item in todo:  # deno.lock pins: exact versions, outside npm's tree
            if item.source == "lockfile" and item.field == "deno.lock" and item.pinned:
                packument = docs.get(item.name)
                audited = Audited(item.name, item.pinned, item, spec=item.spec)
                nodes.append(_Node(audited, packument if isinstance(packument, Mapping) else None, None, False))
        await self._direct_docs(nodes, packuments)
        return nodes

    def _direct_declared(self, todo: Sequence[Declared]) -> dict[str, Declared]:
        out: dict[str, Declared] = {}
        for source in SOURCES:
            for item in todo:
                if item.source == source and item.source != "lockfile":
                    out.setdefault(item.name, item)
        return out

    def _owner(self, chain: tuple[str, ...], name: str, path: str | None, direct: Mapping[str, Declared]) -> Declared:
        """The declaration a tree node is reported against: its own lockfile entry, else the direct dependency
        that pulls it in, else (a lockfile-only top-level entry) the first lockfile entry of that name."""
        if path is not None and path in self.lock_declared and (chain or name not in direct):
            return self.lock_declared[path]
        top = chain[0] if chain else name
        if top in direct:
            return direct[top]
        top_path = f"node_modules/{top}"
        if top_path in self.lock_declared:
            return self.lock_declared[top_path]
        return Declared(
            top, "", source="lockfile" if self.lock else "package.json", path=self._lock_file or "package.json"
        )

    async def _direct_docs(self, nodes: Sequence[_Node], packuments: Packuments) -> None:
        """Direct dependencies' registry signals (license, maintainers, staleness ...) need their packument even
        when a lockfile or an exact pin made it unnecessary for resolution: fetch it, or fail closed."""
        want = sorted({n.audited.name for n in nodes if n.direct and n.doc is None})
        if not want:
            return
        fetched = await _gather_dict(want, packuments.get)
        for node in nodes:
            if not node.direct or node.doc is not None:
                continue
            doc = fetched.get(node.audited.name)
            if isinstance(doc, Mapping):
                node.doc = doc
            elif isinstance(doc, Exception) and not isinstance(doc, ValueError):
                reason = f"{node.audited.name}: its registry signals cannot be read: {_reason(doc)}"
                self.result.registry_failures.append((node.audited.declared, reason))

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
        """Install scripts and deprecation for every installed version (from the packument, or from a v2/v3
        lockfile entry, which records both); license, maintainers, staleness and downloads for direct ones."""
        enabled = self.settings.signals
        downloads: dict[str, int | None] = {}
        direct_names = sorted({n.audited.name for n in nodes if n.direct})
        if "trust/low-downloads" in enabled and self.settings.downloads_url and direct_names:
            downloads = await self._downloads(direct_names)
        unknown_maintainers: list[str] = []
        for node in nodes:
            audited = node.audited
            manifest = _manifest(node.doc, audited.version) or node.manifest or {}
            if node.doc is None and not manifest:
                continue
            found: list[Signal | None] = []
            if "trust/install-script" in enabled:
                found.append(sig.install_script_signal(audited.name, audited.version, manifest))
            if "trust/deprecated" in enabled:
                found.append(sig.deprecated(audited.name, audited.version, manifest))
            if node.direct and node.doc is not None:
                if "trust/no-maintainers" in enabled and not sig.maintainers_known(node.doc, manifest):
                    unknown_maintainers.append(audited.name)
                found += self._direct_signals(node.doc, audited, manifest, downloads)
            node.audited = _with(audited, signals=tuple(s for s in found if s is not None))
        if unknown_maintainers:
            names = sorted(set(unknown_maintainers))
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            self.result.notes.append(
                f"trust: the registry's metadata has no `maintainers` for {len(names)} dependenc"
                f"{'y' if len(names) == 1 else 'ies'} ({shown}); trust/no-maintainers is unknown for them (a mirror "
                "that strips it?). Point --registry at the origin registry to check it."
            )

    def _direct_signals(
        self, doc: Mapping[str, Any], audited: Audited, manifest: Mapping[str, Any], downloads: dict[str, int | None]
    ) -> list[Signal | None]:
        enabled, s = self.settings.signals, self.settings
        name, version = audited.name, audited.version
        out: list[Signal | None] = []
        if "trust/license" in enabled:
            out.append(sig.license_signal(name, version, manifest, s.licenses))
        if "trust/no-maintainers" in enabled and sig.maintainers_known(doc, manifest):
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
    """audited; doc: its packument when known; manifest: its version's manifest (packument or lockfile entry)."""

    audited: Audited
    doc: Mapping[str, Any] | None
    manifest: Mapping[str, Any] | None
    optional: bool

    @property
    def direct(self) -> bool:
        return not self.audited.via and self.audited.declared.source != "lockfile"


def _with(audited: Audited, **changes: Any) -> Audited:
    return replace(audited, **changes)


def _reason(exc: Exception) -> str:
    if isinstance(exc, TransportError):
        return f"{exc.url}: {exc.reason}"
    return str(exc)


async def audit(
    declared: Sequence[Declared],
    settings: AuditSettings,
    cache: Cache,
    lock: Sequence[LockEntry] = (),
    lock_declared: Mapping[str, Declared] | None = None,
) -> AuditResult:
    return await Auditor(settings, cache, lock, lock_declared).run(declared)


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

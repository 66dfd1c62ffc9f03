"""Advisory sources: the OSV API (querybatch + vulns/{id}) and an offline OSV database (folder or all.zip).

API flow, as OSV documents it: `POST {osv}/v1/querybatch` with one query per exact version (never a range: OSV
answers ranges with nothing), at most 1000 queries a batch; each result lists ids and may carry a
`next_page_token`, re-sent with the same query until exhausted; then `GET {osv}/v1/vulns/{id}` for each id's
full record. OSV chose the records for the package, so API answers are not re-filtered by name or range (fail
closed); the local matcher is used for what to upgrade to. Offline, every record is matched locally.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from extgate.registry.http import (
    DEFAULT_RETRY,
    HEADERS,
    RetryPolicy,
    TransportError,
    arequest_json,
    ssl_context,
    timeouts,
)
from extgate.trust.cache import Cache
from extgate.trust.interface import AuditUnavailable, Lookup, OsvRecord, PackageVersion
from extgate.trust.match import affects

BATCH_SIZE = 1000  # OSV's documented per-request maximum
MAX_PAGES = 100  # per query; real answers need one or two
MAX_VULN_BYTES = 8 * 1024 * 1024
MAX_DB_RECORDS = 3_000_000
MAX_DB_RECORD_BYTES = 16 * 1024 * 1024


def record_from(raw: Any, origin: str) -> OsvRecord | None:
    """An OsvRecord when `raw` is a record with a string id; None for anything else (malformed)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        return None
    return OsvRecord(raw["id"], raw, origin)


class OsvApi:
    """The OSV API with retries, bounded concurrency, and the cache in front of it."""

    name = "osv-api"

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        concurrency: int = 16,
        retry: RetryPolicy = DEFAULT_RETRY,
        cache: Cache | None = None,
        offline: bool = False,
        ttl_query: float = 6 * 3600.0,
        ttl_vuln: float = 24 * 3600.0,
        batch_size: int = BATCH_SIZE,
        ca_bundle: str | None = None,
    ) -> None:
        self.base = base_url.rstrip("/")
        self._timeout = timeout
        self._concurrency = max(1, concurrency)
        self._retry = retry
        self._cache = cache or Cache.disabled()
        self._offline = offline
        self._ttl_query: float | None = None if offline else ttl_query
        self._ttl_vuln: float | None = None if offline else ttl_vuln
        self._batch = max(1, min(batch_size, BATCH_SIZE))
        self._ca_bundle = ca_bundle

    async def lookup(self, packages: Sequence[PackageVersion]) -> Lookup:
        unique = list(dict.fromkeys(packages))
        if not unique:
            return Lookup()
        notes: list[str] = []
        ids: dict[PackageVersion, list[str]] = {}
        missing: list[PackageVersion] = []
        for package in unique:
            hit, value = self._cache.get("osv-query", self._key(package), self._ttl_query)
            if hit and isinstance(value, list):
                ids[package] = [str(v) for v in value]
            else:
                missing.append(package)
        if missing and self._offline:
            raise AuditUnavailable(
                f"--offline without --osv-db and {len(missing)} version(s) not in the cache "
                f"(e.g. {missing[0].name}@{missing[0].version})"
            )
        if self._offline:
            notes.append("trust: advisories from the cache (offline)")
        limits = httpx.Limits(max_connections=self._concurrency)
        tls = ssl_context(self._ca_bundle)
        async with httpx.AsyncClient(
            timeout=timeouts(self._timeout), headers=HEADERS, limits=limits, verify=tls
        ) as client:
            try:
                for start in range(0, len(missing), self._batch):
                    chunk = missing[start : start + self._batch]
                    found = await self._querybatch(client, chunk)
                    for package in chunk:
                        ids[package] = found[package]
                        self._cache.put("osv-query", self._key(package), found[package])
                records = await self._vulns(client, sorted({i for v in ids.values() for i in v}), notes)
            except TransportError as exc:
                raise AuditUnavailable(f"OSV API {self.base} unavailable: {exc.reason}") from None
        result: dict[PackageVersion, tuple[OsvRecord, ...]] = {}
        for package, listed in ids.items():
            chosen = tuple(records[i] for i in listed if i in records and not records[i].withdrawn)
            if chosen:
                result[package] = chosen
        return Lookup(result, tuple(notes))

    def _key(self, package: PackageVersion) -> str:
        return f"{self.base}\0{package.name}\0{package.version}"

    async def _querybatch(
        self, client: httpx.AsyncClient, chunk: Sequence[PackageVersion]
    ) -> dict[PackageVersion, list[str]]:
        found: dict[PackageVersion, list[str]] = {p: [] for p in chunk}
        pending: list[tuple[PackageVersion, str | None]] = [(p, None) for p in chunk]
        for _page in range(MAX_PAGES):
            if not pending:
                return found
            queries = []
            for package, token in pending:
                query: dict[str, Any] = {
                    "package": {"name": package.name, "ecosystem": "npm"},
                    "version": package.version,
                }
                if token:
                    query["page_token"] = token
                queries.append(query)
            body = await arequest_json(
                client,
                "POST",
                f"{self.base}/v1/querybatch",
                body={"queries": queries},
                retry=self._retry,
                missing_ok=False,
            )
            results = body.get("results") if isinstance(body, dict) else None
            if not isinstance(results, list) or len(results) != len(pending):
                raise TransportError(f"{self.base}/v1/querybatch", "malformed querybatch response")
            next_pending: list[tuple[PackageVersion, str | None]] = []
            for (package, _token), item in zip(pending, results, strict=True):
                item = item if isinstance(item, dict) else {}
                for vuln in item.get("vulns") or []:
                    if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                        found[package].append(vuln["id"])
                token = item.get("next_page_token")
                if isinstance(token, str) and token:
                    next_pending.append((package, token))
            pending = next_pending
        raise TransportError(f"{self.base}/v1/querybatch", f"more than {MAX_PAGES} pages of results")

    async def _vulns(self, client: httpx.AsyncClient, ids: Sequence[str], notes: list[str]) -> dict[str, OsvRecord]:
        semaphore = asyncio.Semaphore(self._concurrency)
        out: dict[str, OsvRecord] = {}

        async def one(vuln_id: str) -> None:
            key = f"{self.base}\0{vuln_id}"
            hit, raw = self._cache.get("osv-vuln", key, self._ttl_vuln)
            if not hit:
                if self._offline:
                    raise TransportError(vuln_id, "record not in the cache (offline)")
                async with semaphore:
                    url = f"{self.base}/v1/vulns/{quote(vuln_id, safe='')}"
                    raw = await arequest_json(client, "GET", url, retry=self._retry, max_bytes=MAX_VULN_BYTES)
                if raw is None:
                    notes.append(f"trust: OSV listed {vuln_id} but has no record for it")
                    return
            record = record_from(raw, f"{self.base}/v1/vulns/{vuln_id}")
            if record is None:
                notes.append(f"trust: skipped a malformed OSV record for {vuln_id}")
                return
            if not hit:
                self._cache.put("osv-vuln", key, raw)
            out[vuln_id] = record

        await asyncio.gather(*(one(vuln_id) for vuln_id in ids))
        return out


class OsvDatabase:
    """An offline OSV database: a folder of records (searched recursively) or an ecosystem `all.zip`."""

    name = "osv-db"

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    async def lookup(self, packages: Sequence[PackageVersion]) -> Lookup:
        return await asyncio.to_thread(self.lookup_sync, packages)

    def lookup_sync(self, packages: Sequence[PackageVersion]) -> Lookup:
        unique = list(dict.fromkeys(packages))
        if not unique:
            return Lookup()
        wanted = {p.name.lower() for p in unique}
        needles = [_needles(n) for n in wanted]
        result: dict[PackageVersion, list[OsvRecord]] = {}
        skipped: list[str] = []
        count = 0
        for origin, data in self._members():
            count += 1
            if count > MAX_DB_RECORDS:
                raise AuditUnavailable(f"offline OSV database {self.path} has more than {MAX_DB_RECORDS} files")
            lowered = data.lower()
            if not any(a in lowered or b in lowered for a, b in needles):
                continue  # cheap prefilter: the record cannot name any wanted package
            try:
                raw = json.loads(data)
            except (ValueError, RecursionError):
                skipped.append(origin)
                continue
            record = record_from(raw, origin)
            if record is None:
                skipped.append(origin)
                continue
            for package in unique:
                if affects(record, package.name, package.version):
                    result.setdefault(package, []).append(record)
        notes = [f"trust: advisories from the offline OSV database {self.path}"]
        if skipped:
            shown = ", ".join(Path(s).name for s in skipped[:5])
            notes.append(f"trust: skipped {len(skipped)} malformed OSV record(s) in {self.path}: {shown}")
        return Lookup({k: tuple(v) for k, v in result.items()}, tuple(notes))

    def records(self) -> Iterator[OsvRecord]:
        """Every well-formed record (catalogue re-audits read a folder or zip of new records whole)."""
        for origin, data in self._members():
            try:
                record = record_from(json.loads(data), origin)
            except (ValueError, RecursionError):
                continue
            if record is not None:
                yield record

    def _members(self) -> Iterator[tuple[str, bytes]]:
        try:
            if self.path.is_dir():
                yield from self._folder()
            elif zipfile.is_zipfile(self.path):
                yield from self._zip()
            else:
                raise AuditUnavailable(f"--osv-db {self.path}: not a folder of OSV records or a zip file")
        except OSError as exc:
            raise AuditUnavailable(f"--osv-db {self.path}: {exc}") from None
        except zipfile.BadZipFile as exc:
            raise AuditUnavailable(f"--osv-db {self.path}: corrupt zip ({exc})") from None

    def _folder(self) -> Iterator[tuple[str, bytes]]:
        for file in sorted(self.path.rglob("*.json")):
            if file.is_file() and not file.is_symlink() and file.stat().st_size <= MAX_DB_RECORD_BYTES:
                yield str(file), file.read_bytes()

    def _zip(self) -> Iterator[tuple[str, bytes]]:
        with zipfile.ZipFile(self.path) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.endswith(".json"):
                    continue
                with archive.open(info) as member:
                    data = member.read(MAX_DB_RECORD_BYTES + 1)  # the header's size is not trusted
                if len(data) <= MAX_DB_RECORD_BYTES:
                    yield f"{self.path}:{info.filename}", data


def _needles(name: str) -> tuple[bytes, bytes]:
    """The quoted name as raw JSON may spell it (a `/` may be written escaped as `\\/`)."""
    escaped = name.replace("/", "\\/")
    return f'"{name}"'.encode(), f'"{escaped}"'.encode()


def load_records(folder: Path) -> Mapping[str, OsvRecord]:
    """Every well-formed record in a folder by id (tests and tools)."""
    out: dict[str, OsvRecord] = {}
    for file in sorted(folder.rglob("*.json")):
        record = record_from(json.loads(file.read_bytes()), str(file))
        if record is not None:
            out[record.id] = record
    return out

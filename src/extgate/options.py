"""Run options: the caller's environment (registries, network, clock), as opposed to the policy (what rules say)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from extgate.publish.interface import PublishClaim

DEFAULT_OSV_URL = "https://api.osv.dev"


@dataclass(frozen=True, slots=True)
class Options:
    """Everything a check needs from its caller besides the archive and the policy. Picklable.

    profile        force a profile (npm, swamp, cinatra); None = detect from the manifest
    manifest_kind  force 'package.json' or 'manifest.yaml'; None = detect
    all_files      directory input: scan the whole tree, not only what would be published
    publishers     scopes/collectives the registry vouches the publisher owns ('@acme')
    registry       npm-style registry URL for version-exists, packuments, lifecycle states
    osv_url        OSV API base URL
    osv_db         offline OSV database: a folder of records or an ecosystem all.zip
    offline        use the cache and the offline DB only, never the network
    use_cache      read/write the SQLite cache
    cache_dir      cache folder; None = platformdirs user cache dir
    downloads_url  npm downloads API base URL; None = signal not checked
    host_version   host version for ABI checks (cinatra sdk ABI, orchestra, engines)
    network        whether scoring may verify URLs over the network
    now            fixed clock (tests, reproducible runs); None = current UTC time
    acknowledge_all  `--yes`: acknowledge every warning (recorded as acknowledged by flag)
    timeout        seconds for each network request
    jobs           worker processes for per-file analysis of large packages; None = the usable cores, 1 = none
    baseline       the previous release to compare with (drift gate): an archive or directory path, or 'auto' for
                   the previous published version on `registry`; None = no drift comparison
    ca_bundle      PEM CA file or folder trusted INSTEAD of the system store (corporate proxies); None = system
                   trust store + SSL_CERT_FILE/SSL_CERT_DIR (extgate.registry.tls)
    publish        the registry's publish document for this archive (`extgate.publish`): its metadata is compared
                   with the tarball's package.json (manifest/publish-metadata-mismatch); None = a plain archive check
    """

    profile: str | None = None
    manifest_kind: str | None = None
    all_files: bool = False
    publishers: tuple[str, ...] = ()
    registry: str | None = None
    osv_url: str = DEFAULT_OSV_URL
    osv_db: str | None = None
    offline: bool = False
    use_cache: bool = True
    cache_dir: str | None = None
    downloads_url: str | None = None
    host_version: str | None = None
    network: bool = True
    now: datetime | None = None
    acknowledge_all: bool = False
    timeout: float = 10.0
    jobs: int | None = None
    baseline: str | None = None
    ca_bundle: str | None = None
    publish: PublishClaim | None = None

    def __post_init__(self) -> None:
        # A lone string is one scope, not a sequence of one-character scopes ('@acme' -> ('@acme',)).
        object.__setattr__(self, "publishers", _scopes(self.publishers))


def _scopes(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray)):
        items = tuple(value)
        if all(isinstance(item, str) for item in items):
            return items
    raise TypeError(f"Options.publishers must be a scope string or an iterable of strings, not {value!r:.80}")

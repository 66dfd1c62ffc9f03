"""npm-style registry access (packuments), shared by the manifest and trust gates.

from extgate.registry.client import fetch_packument, RegistryUnavailable
"""

from __future__ import annotations

from extgate.registry.client import (
    DEFAULT_REGISTRY,
    AsyncRegistryClient,
    RegistryUnavailable,
    fetch_packument,
    packument_url,
    valid_package_name,
)

__all__ = [
    "DEFAULT_REGISTRY",
    "AsyncRegistryClient",
    "RegistryUnavailable",
    "fetch_packument",
    "packument_url",
    "valid_package_name",
]

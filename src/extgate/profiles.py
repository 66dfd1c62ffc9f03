"""Profiles: ecosystem defaults (allowed file types, size limits), data in rules/profiles.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from extgate.frozen import FrozenMap
from extgate.jsondoc import json_object
from extgate.model import Package
from extgate.rules.registry import RuleRegistry

PROFILE_NAMES = ("npm", "swamp", "cinatra")


@dataclass(frozen=True, slots=True)
class Profile:
    """name, manifest file name, allowed extensions, legal file names, and tunable defaults in `settings`
    (max_files, max_file_bytes, max_total_bytes, max_compression_ratio, min_ratio_bytes)."""

    name: str
    manifest: str
    allowed_extensions: frozenset[str]
    legal_files: frozenset[str]
    nested_archive_suffixes: frozenset[str]
    settings: Mapping[str, Any] = field(default_factory=lambda: FrozenMap({}))

    def limit(self, key: str) -> int:
        return int(self.settings[key])


def get_profile(name: str, rules: RuleRegistry) -> Profile:
    data = rules.data("profiles")
    table: Mapping[str, Mapping[str, Any]] = data["profiles"]
    if name not in table:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(sorted(table))}")
    merged: dict[str, Any] = {}
    chain = [name]
    while "inherits" in table[chain[-1]]:
        chain.append(str(table[chain[-1]]["inherits"]))
    for link in reversed(chain):
        merged.update(table[link])
    merged.pop("inherits", None)
    extensions = frozenset(str(x).lower() for x in merged.pop("allowed_extensions"))
    return Profile(
        name=name,
        manifest=str(merged.pop("manifest")),
        allowed_extensions=extensions,
        legal_files=frozenset(str(x) for x in data["legal_files"]),
        nested_archive_suffixes=frozenset(str(x) for x in data["nested_archive_suffixes"]),
        settings=FrozenMap(merged),
    )


def detect_profile(package: Package) -> str:
    """swamp when a root manifest.yaml exists; cinatra when package.json has a `cinatra` block; else npm."""
    if package.get("manifest.yaml") is not None or package.get("manifest.yml") is not None:
        return "swamp"
    doc = json_object(package.read("package.json"))  # unreadable: the manifest gate reports it
    return "cinatra" if doc is not None and isinstance(doc.get("cinatra"), dict) else "npm"

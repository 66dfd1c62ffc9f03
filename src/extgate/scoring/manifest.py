"""The manifest scoring reads: the manifest gate's `facts.manifest`, else a bounded parse of our own.

Scoring must still work when the manifest gate did not run or failed, so it reads `package.json` or
`manifest.yaml` itself (size-capped; unreadable documents give no manifest, which scores as missing fields).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from extgate import safeyaml
from extgate.facts import Facts, Manifest
from extgate.frozen import freeze
from extgate.model import Package
from extgate.options import Options

MAX_MANIFEST_BYTES = 1_000_000
YAML_NAMES = ("manifest.yaml", "manifest.yml")


def resolve_manifest(package: Package, facts: Facts, options: Options) -> Manifest | None:
    if facts.manifest is not None:
        return facts.manifest
    if options.manifest_kind == "package.json":
        order: tuple[str, ...] = ("package.json",)
    elif options.manifest_kind == "manifest.yaml":
        order = YAML_NAMES
    else:
        order = (*YAML_NAMES, "package.json")  # a root manifest.yaml makes it a swamp extension
    for name in order:
        raw = package.read(name)
        if raw is None:
            continue
        data = parse_manifest(raw, yaml_doc=name != "package.json")
        kind = "package.json" if name == "package.json" else "manifest.yaml"
        return Manifest(kind=kind, path=name, data=freeze(data)) if data is not None else None
    return None


def parse_manifest(raw: bytes, *, yaml_doc: bool) -> Mapping[str, Any] | None:
    """A mapping, or None when the document is too large, not UTF-8, malformed or not a mapping."""
    if len(raw) > MAX_MANIFEST_BYTES:
        return None
    try:
        text = raw.decode("utf-8-sig")
        doc: Any = safeyaml.load(text, "manifest") if yaml_doc else json.loads(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError, RecursionError):
        return None
    return doc if isinstance(doc, Mapping) else None

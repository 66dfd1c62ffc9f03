"""`manifest/schema`: validate the manifest against the JSON Schema shipped for its kind.

The schemas are package data (`extgate/schemas/*.schema.json`), so `extgate explain` users and registry
operators can read exactly what is enforced. Each violation names the field by JSON pointer and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from extgate.gates.manifest.interface import Scope, capped
from extgate.gates.manifest.parse import escape
from extgate.model import Finding, truncate

SCHEMA_FILES = {
    "package.json": "package-json.schema.json",
    "manifest.yaml": "swamp-manifest.schema.json",
}
MAX_SCHEMA_FINDINGS = 50


@cache
def load_schema(kind: str) -> Mapping[str, Any]:
    """The bundled schema for a manifest kind (immutable package data, so caching is safe)."""
    text = resources.files("extgate").joinpath("schemas", SCHEMA_FILES[kind]).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(kind))


def violations(kind: str, document: Any) -> list[tuple[str, str]]:
    """(JSON pointer, message) for every schema violation, in document order."""
    errors: list[ValidationError] = sorted(
        _validator(kind).iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]
    )
    out = []
    for error in errors:
        pointer = "".join("/" + escape(str(part)) for part in error.absolute_path)
        out.append((pointer, _message(error)))
    return out


def _message(error: ValidationError) -> str:
    if error.validator == "oneOf":  # jsonschema's oneOf text repeats the whole instance; say it briefly
        return f"has an unexpected type or shape ({truncate(repr(error.instance), 60)})"
    return truncate(error.message, 160)


def check_schema(scope: Scope) -> Iterator[Finding]:
    kind = scope.manifest.kind
    schema_file = SCHEMA_FILES[kind]

    def finding(pointer: str, message: str) -> Finding:
        field = pointer or "(the document)"
        return scope.at(
            "manifest/schema",
            f"{kind} field {field} {message}; see the manifest schema ({schema_file}) for the expected type.",
            pointer,
            evidence=f"{pointer}:{message[:60]}",
        )

    def summary(extra: int) -> Finding:
        return scope.at(
            "manifest/schema",
            f"{kind} has {extra} more schema violations than shown; fix the ones above first.",
            "",
            evidence="more",
        )

    found = sorted(violations(kind, scope.data), key=lambda v: scope.manifest.line_of(v[0]) or 0)
    yield from capped(
        (finding(pointer, message) for pointer, message in found),
        MAX_SCHEMA_FINDINGS,
        summary,
    )

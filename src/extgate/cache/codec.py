"""Exact, non-executable serialization of per-file results, and canonical digests of configs.

Results are stored as JSON with tags for tuples, frozensets, enums and dataclasses, so a value read back is equal
(==, same types) to the value written. Decoding only builds the dataclasses registered in `_TYPES`: a cache row can
never name a class or run code (no pickle), so a tampered cache can at worst produce a decode error.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from typing import Any

from extgate.facts import ApiUse, ImportRef, Symbol
from extgate.gates.code.interface import FileAnalysis
from extgate.gates.interface import FileHit
from extgate.model import Level
from extgate.scoring.symbols import FileSymbols

# Part of every cache key (runner.task_key): bump it when a stored type gains or changes a field, so rows written
# before are never read as the new shape (a missing field would silently decode as its default).
# 2: FileAnalysis.symbols (scoring's declarations from the code gate's tree)
FORMAT = 2

_TYPES: dict[str, type[Any]] = {
    "FileAnalysis": FileAnalysis,
    "FileHit": FileHit,
    "ImportRef": ImportRef,
    "ApiUse": ApiUse,
    "FileSymbols": FileSymbols,
    "Symbol": Symbol,
}
_ENUMS: dict[str, type[enum.Enum]] = {"Level": Level}


class DecodeError(ValueError):
    """The stored text is not a value this codec writes."""


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):  # first: a StrEnum is also a str
        return {"e": [type(value).__name__, value.value]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"t": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, (frozenset, set)):
        items = [_encode(v) for v in value]
        return {"s": sorted(items, key=lambda v: json.dumps(v, sort_keys=True))}
    if isinstance(value, dict):
        return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, bytes):
        return {"b": value.hex()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"c": [type(value).__name__, fields]}
    if hasattr(value, "items") and hasattr(value, "keys"):  # FrozenMap and other read-only mappings
        return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot encode {type(value).__name__}")


def _decode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict) or len(value) != 1:
        raise DecodeError("unexpected value")
    ((tag, body),) = value.items()
    if tag == "t" and isinstance(body, list):
        return tuple(_decode(v) for v in body)
    if tag == "s" and isinstance(body, list):
        return frozenset(_decode(v) for v in body)
    if tag == "d" and isinstance(body, list):
        return {_decode(k): _decode(v) for k, v in body}
    if tag == "b" and isinstance(body, str):
        return bytes.fromhex(body)
    if tag == "e" and isinstance(body, list) and len(body) == 2 and body[0] in _ENUMS:
        return _ENUMS[body[0]](body[1])
    if tag == "c" and isinstance(body, list) and len(body) == 2 and body[0] in _TYPES and isinstance(body[1], dict):
        cls = _TYPES[body[0]]
        names = {f.name for f in dataclasses.fields(cls)}
        if set(body[1]) - names:
            raise DecodeError(f"unknown fields for {body[0]}")
        return cls(**{k: _decode(v) for k, v in body[1].items()})
    raise DecodeError(f"unknown tag {tag!r}")


_EMPTY = '{"t":[]}'


def dumps(value: Any) -> str:
    return json.dumps(_encode(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    if text == _EMPTY:  # most files have no content hits
        return ()
    try:
        return _decode(json.loads(text))
    except DecodeError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise DecodeError(str(exc)) from None


def digest(value: Any) -> str:
    """sha256 of the canonical encoding: equal configs give equal digests in every process (frozensets sorted,
    unlike repr under hash randomization)."""
    return hashlib.sha256(json.dumps(_encode(value), sort_keys=True, separators=(",", ":")).encode()).hexdigest()

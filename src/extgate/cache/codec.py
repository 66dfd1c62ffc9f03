"""Exact, non-executable serialization of per-file results, and canonical digests of configs.

Results are stored as compact JSON (`dumps` / `loads`): a tuple is a JSON array, a registered dataclass is
`{"Name": [field values in declared order]}`, and the rarer lists, frozensets, dicts, bytes and enums are one-key
objects tagged `l`, `s`, `d`, `b`, `e`. A value read back is equal (==, same types) to the value written. Decoding
runs in json's object hook and only builds the dataclasses registered in `_TYPES`, with exactly their field count,
and the enums in `_ENUMS`: a cache row can never name a class or run code (no pickle), so a tampered cache can at
worst produce a decode error. `digest` keeps its own canonical (sorted, tagged) encoding for config digests.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import pickle
import threading
from collections import OrderedDict
from typing import Any

from extgate.facts import ApiUse, ImportRef, Symbol
from extgate.gates.code.interface import FileAnalysis
from extgate.gates.interface import FileHit
from extgate.intake.layout import Layout, LayoutMember
from extgate.model import Level
from extgate.scoring.symbols import FileSymbols

# Part of every cache key (runner.task_key): bump it when a stored type gains or changes a field, so rows written
# before are never read as the new shape (a missing field would silently decode as its default).
# 2: FileAnalysis.symbols (scoring's declarations from the code gate's tree)
# 3: positional rows (tuples as arrays, dataclasses as {"Name": [fields]}) decoded in json's object hook
FORMAT = 3

_TYPES: dict[str, type[Any]] = {
    "FileAnalysis": FileAnalysis,
    "FileHit": FileHit,
    "ImportRef": ImportRef,
    "ApiUse": ApiUse,
    "FileSymbols": FileSymbols,
    "Symbol": Symbol,
    "Layout": Layout,
    "LayoutMember": LayoutMember,
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


# -- rows: positional, decoded bottom-up by json's C scanner calling `_hook` for each object ----------------------
_NAMES: dict[type[Any], str] = {cls: name for name, cls in _TYPES.items()}
_FIELDS: dict[type[Any], tuple[str, ...]] = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _NAMES}
_TAGS = frozenset({"l", "s", "d", "b", "e"})
assert not _TAGS & set(_TYPES)


class _List(list[Any]):
    """A decoded Python list, marked so the array-to-tuple pass leaves it a list."""


def _pack(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is tuple:
        return [_pack(v) for v in value]
    name = _NAMES.get(kind)
    if name is not None:
        return {name: [_pack(getattr(value, f)) for f in _FIELDS[kind]]}
    if isinstance(value, enum.Enum):  # before str/int: a StrEnum is also a str
        return {"e": [type(value).__name__, value.value]}
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return [_pack(v) for v in value]
    if isinstance(value, list):
        return {"l": [_pack(v) for v in value]}
    if isinstance(value, (frozenset, set)):
        items = [_pack(v) for v in value]
        return {"s": sorted(items, key=lambda v: json.dumps(v, sort_keys=True))}
    if isinstance(value, bytes):
        return {"b": [value.hex()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # unregistered: decoding refuses it
        if type(value).__name__ in _TAGS:
            raise TypeError(f"cannot encode {type(value).__name__}")
        return {type(value).__name__: [_pack(getattr(value, f.name)) for f in dataclasses.fields(value)]}
    if isinstance(value, dict) or (hasattr(value, "items") and hasattr(value, "keys")):  # FrozenMap and co.
        return {"d": [[_pack(k), _pack(v)] for k, v in value.items()]}
    raise TypeError(f"cannot encode {type(value).__name__}")


def _tuples(value: Any) -> Any:
    """JSON arrays (Python lists after json) back to tuples, all the way down; marked lists become lists."""
    kind = type(value)
    if kind is list:
        return tuple([_tuples(v) for v in value])
    if kind is _List:
        return list(value)
    return value


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        raise DecodeError("unexpected object")
    ((tag, body),) = obj.items()
    if type(body) is not list:
        raise DecodeError(f"unexpected body for {tag!r}")
    cls = _TYPES.get(tag)
    if cls is not None:
        if len(body) != len(_FIELDS[cls]):
            raise DecodeError(f"wrong field count for {tag}")
        return cls(*[_tuples(v) if type(v) is list or type(v) is _List else v for v in body])
    if tag == "e" and len(body) == 2 and body[0] in _ENUMS:
        return _ENUMS[body[0]](body[1])
    if tag == "l":
        return _List([_tuples(v) for v in body])
    if tag == "s":
        return frozenset([_tuples(v) for v in body])
    if tag == "d" and all(type(pair) is list and len(pair) == 2 for pair in body):
        return {_tuples(k): _tuples(v) for k, v in body}
    if tag == "b" and len(body) == 1 and isinstance(body[0], str):
        return bytes.fromhex(body[0])
    raise DecodeError(f"unknown tag {tag!r}")


_EMPTY = "[]"


def dumps(value: Any) -> str:
    return json.dumps(_pack(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    if text == _EMPTY:  # most files have no content hits
        return ()
    try:
        return _tuples(json.loads(text, object_hook=_hook))
    except DecodeError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise DecodeError(str(exc)) from None


def digest(value: Any) -> str:
    """sha256 of the canonical encoding: equal configs give equal digests in every process (frozensets sorted,
    unlike repr under hash randomization)."""
    return hashlib.sha256(json.dumps(_encode(value), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# -- config digests, memoized: every check builds its gates' configs again (equal, not identical), and the canonical
# encoding costs ~1-2 ms per config. Two memos, neither can go stale:
#   identity: id(config) -> (config, digest), the object held so its id is never reused while the entry lives; only
#             for values that cannot change (frozen dataclasses and builtin immutables that hash, i.e. hold nothing
#             mutable);
#   pickle:   pickle.dumps(config) -> digest. Equal pickle bytes mean the same types and values all the way down (the
#             pool already relies on a config surviving pickle), so the canonical digest is the same; an equal config
#             that pickles differently (a frozenset iterated in another order) only misses. Not `==`: 1 == True == 1.0
#             would let configs that encode differently share a digest.
_MEMO_SIZE = 32
_by_id: OrderedDict[int, tuple[Any, str]] = OrderedDict()
_by_pickle: OrderedDict[bytes, str] = OrderedDict()
_memo_lock = threading.Lock()


def config_digest(config: Any) -> str:
    """`digest(config)`, memoized (see above): what the per-file cache key uses for a gate's config."""
    fixed = _immutable(config)
    if fixed:
        with _memo_lock:
            known = _by_id.get(id(config))
            if known is not None and known[0] is config:
                _by_id.move_to_end(id(config))
                return known[1]
    try:
        pickled: bytes | None = pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # not picklable: no second memo, the digest is computed every time
        pickled = None
    with _memo_lock:
        found = _by_pickle.get(pickled) if pickled is not None else None
    value = found if found is not None else digest(config)
    with _memo_lock:
        if pickled is not None:
            _by_pickle[pickled] = value
            _by_pickle.move_to_end(pickled)
            while len(_by_pickle) > _MEMO_SIZE:
                _by_pickle.popitem(last=False)
        if fixed:
            _by_id[id(config)] = (config, value)
            _by_id.move_to_end(id(config))
            while len(_by_id) > _MEMO_SIZE:
                _by_id.popitem(last=False)
    return value


_IMMUTABLE = (str, int, float, bool, bytes, tuple, frozenset, type(None))


def _immutable(value: Any) -> bool:
    params = getattr(type(value), "__dataclass_params__", None)
    if not (type(value) in _IMMUTABLE or (params is not None and params.frozen)):
        return False
    try:
        hash(value)  # a list or dict anywhere inside does not hash
    except TypeError:
        return False
    return True

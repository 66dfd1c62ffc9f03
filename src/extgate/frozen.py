"""A read-only, picklable, hashable mapping (MappingProxyType cannot be pickled; results cross process boundaries)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data or {})
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(sorted((repr(k), repr(v)) for k, v in self._data.items())))
        return self._hash

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


EMPTY: FrozenMap[Any, Any] = FrozenMap()


def freeze(data: Mapping[K, V] | None = None) -> FrozenMap[K, V]:
    return data if isinstance(data, FrozenMap) else FrozenMap(data)

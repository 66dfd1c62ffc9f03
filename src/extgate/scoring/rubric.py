"""Load the rubric (`scorers/rubric.yaml`): factor ids, weights, hints, thresholds, grades and `rubric_version`.

The rubric is bundled data, read once and frozen. A malformed rubric is a packaging bug, not an input problem, so
`RubricError` is allowed to surface (the engine turns it into `engine/internal-error`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from extgate import safeyaml
from extgate.datafiles import data_dir
from extgate.frozen import EMPTY, FrozenMap, freeze

RUBRIC_FILE = "rubric.yaml"


class RubricError(ValueError):
    """The rubric file is missing a key or has a value of the wrong type."""


@dataclass(frozen=True, slots=True)
class FactorSpec:
    """One factor as the rubric defines it.

    id        stable factor id (an API: JSON/SARIF consumers key on it)
    weight    points the factor is worth
    title     short human name for tables and badges
    hint      one line saying how to earn the factor
    settings  factor-specific thresholds and word lists (read-only)
    """

    id: str
    weight: float
    title: str
    hint: str
    settings: Mapping[str, Any] = field(default_factory=lambda: EMPTY)

    def setting(self, key: str, default: Any) -> Any:
        return self.settings.get(key, default)

    def strings(self, key: str) -> tuple[str, ...]:
        """A list-of-strings setting, lower-cased (word lists are matched case-insensitively)."""
        raw = self.settings.get(key, ())
        return tuple(str(item).lower() for item in raw) if isinstance(raw, (list, tuple)) else ()


@dataclass(frozen=True, slots=True)
class Rubric:
    """version: `rubric_version`; factors in rubric order; grades as (grade, minimum percentage), best first."""

    version: str
    factors: tuple[FactorSpec, ...]
    grades: tuple[tuple[str, float], ...]

    def factor(self, factor_id: str) -> FactorSpec:
        for spec in self.factors:
            if spec.id == factor_id:
                return spec
        raise KeyError(factor_id)

    def grade_for(self, percentage: float) -> str:
        for grade, minimum in self.grades:
            if percentage >= minimum:
                return grade
        return self.grades[-1][0] if self.grades else "F"

    @property
    def total_weight(self) -> float:
        return sum(spec.weight for spec in self.factors)


def parse_rubric(doc: Any, source: str = RUBRIC_FILE) -> Rubric:
    """Validate a loaded YAML document and build the rubric."""
    if not isinstance(doc, Mapping):
        raise RubricError(f"{source}: the rubric must be a mapping")
    version = doc.get("rubric_version")
    if not isinstance(version, (str, int, float)) or not str(version).strip():
        raise RubricError(f"{source}: rubric_version is required")
    raw_factors = doc.get("factors")
    if not isinstance(raw_factors, list) or not raw_factors:
        raise RubricError(f"{source}: factors must be a non-empty list")
    factors: list[FactorSpec] = []
    seen: set[str] = set()
    for raw in raw_factors:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str):
            raise RubricError(f"{source}: every factor needs an id")
        factor_id = raw["id"]
        weight = raw.get("weight")
        if factor_id in seen:
            raise RubricError(f"{source}: duplicate factor {factor_id!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise RubricError(f"{source}: factor {factor_id!r} needs a positive weight")
        settings = raw.get("settings") or {}
        if not isinstance(settings, Mapping):
            raise RubricError(f"{source}: factor {factor_id!r} settings must be a mapping")
        seen.add(factor_id)
        factors.append(
            FactorSpec(
                id=factor_id,
                weight=float(weight),
                title=str(raw.get("title") or factor_id),
                hint=" ".join(str(raw.get("hint") or "").split()),
                settings=freeze({str(k): _freeze_value(v) for k, v in settings.items()}),
            )
        )
    grades: list[tuple[str, float]] = []
    for raw in doc.get("grades") or ():
        if not isinstance(raw, Mapping) or not isinstance(raw.get("grade"), str):
            raise RubricError(f"{source}: every grade needs a grade letter and a min")
        minimum = raw.get("min")
        if isinstance(minimum, bool) or not isinstance(minimum, (int, float)):
            raise RubricError(f"{source}: grade {raw['grade']!r} needs a numeric min")
        grades.append((raw["grade"], float(minimum)))
    grades.sort(key=lambda item: -item[1])
    return Rubric(version=str(version), factors=tuple(factors), grades=tuple(grades))


def _freeze_value(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze_value(v) for v in value)
    if isinstance(value, Mapping):
        return FrozenMap({str(k): _freeze_value(v) for k, v in value.items()})
    return value


def load_rubric_file(path: str | Path) -> Rubric:
    path = Path(path)
    try:
        doc = safeyaml.load(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, safeyaml.YamlError) as exc:
        raise RubricError(f"cannot read rubric {path}: {exc}") from exc
    return parse_rubric(doc, str(path))


@cache
def load_rubric() -> Rubric:
    """The bundled rubric (immutable, cached for the process)."""
    return load_rubric_file(data_dir("scorers") / RUBRIC_FILE)

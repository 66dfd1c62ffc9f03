"""Load rule packs (`rules/*.yaml`) into an immutable registry.

A pack is a YAML document:

    pack: archive               # pack name (informational)
    rules:
      - id: archive/path-traversal
        level: error            # default level: error | warning | note
        title: One line
        what: What the rule finds.
        why: Why it matters.
        example: {bad: "...", good: "..."}
        fix: How to fix it.
        tags: [security]
        security_severity: "9.1"   # GitHub code scanning; string 0.0-10.0
        precision: very-high        # very-high | high | medium | low
        profiles: {swamp: error}    # optional per-profile default level
        matcher: {...}              # optional, read by the gate that owns the rule
        in_archive_ack: false       # optional: a policy inside an uploaded archive may not acknowledge it
                                    # (warnings that mean "not analysed"); only the caller's policy may

Other top-level keys (e.g. `data:`) are kept per pack for the gate that owns it (allowlists, API maps).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from extgate import safeyaml
from extgate.datafiles import data_dir
from extgate.frozen import FrozenMap
from extgate.model import Level

_EMPTY: Mapping[str, Any] = FrozenMap({})


@dataclass(frozen=True, slots=True)
class Rule:
    """Rule metadata; the single source for `explain`, SARIF `tool.driver.rules` and the docs."""

    id: str
    level: Level
    title: str
    what: str = ""
    why: str = ""
    example_bad: str = ""
    example_good: str = ""
    fix: str = ""
    tags: tuple[str, ...] = ()
    security_severity: str | None = None
    precision: str = "high"
    profiles: Mapping[str, Level] = field(default_factory=lambda: _EMPTY)
    matcher: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    pack: str = ""
    in_archive_ack: bool = True  # False: only the caller's policy may acknowledge it, never one in the archive

    @property
    def gate(self) -> str:
        return self.id.split("/", 1)[0]

    def level_for(self, profile: str) -> Level:
        return self.profiles.get(profile, self.level)

    def help_markdown(self) -> str:
        """ruff-style doc: What / Why / Example / Fix."""
        parts = [f"## {self.id}: {self.title}", "", f"Default level: `{self.level.value}`"]
        if self.profiles:
            overrides = ", ".join(f"{k}: `{v.value}`" for k, v in sorted(self.profiles.items()))
            parts.append(f"Profile levels: {overrides}")
        if not self.in_archive_ack:
            parts.append("Only the caller's policy can acknowledge it, never a policy file inside the archive.")
        for heading, body in (("What it does", self.what), ("Why is this bad?", self.why)):
            if body:
                parts += ["", f"### {heading}", body.strip()]
        if self.example_bad or self.example_good:
            parts += ["", "### Example"]
            if self.example_bad:
                parts += ["```", self.example_bad.rstrip(), "```"]
            if self.example_good:
                parts += ["", "Use instead:", "```", self.example_good.rstrip(), "```"]
        if self.fix:
            parts += ["", "### Fix", self.fix.strip()]
        return "\n".join(parts) + "\n"


def _level(value: Any, where: str) -> Level:
    try:
        return Level(str(value))
    except ValueError:
        raise ValueError(f"{where}: level must be error, warning or note, not {value!r}") from None


def _rule(raw: Mapping[str, Any], pack: str) -> Rule:
    rid = str(raw["id"])
    if "/" not in rid:
        raise ValueError(f"rule id {rid!r} in pack {pack!r} is not of the form gate/slug")
    example = raw.get("example") or {}
    profiles = {str(k): _level(v, rid) for k, v in (raw.get("profiles") or {}).items()}
    severity = raw.get("security_severity")
    return Rule(
        id=rid,
        level=_level(raw.get("level", "error"), rid),
        title=str(raw.get("title", rid)),
        what=str(raw.get("what", "")),
        why=str(raw.get("why", "")),
        example_bad=str(example.get("bad", "")),
        example_good=str(example.get("good", "")),
        fix=str(raw.get("fix", "")),
        tags=tuple(str(t) for t in raw.get("tags") or ()),
        security_severity=None if severity is None else str(severity),
        precision=str(raw.get("precision", "high")),
        profiles=FrozenMap(profiles),
        matcher=FrozenMap(dict(raw.get("matcher") or {})),
        pack=pack,
        in_archive_ack=bool(raw.get("in_archive_ack", True)),
    )


@dataclass(frozen=True, slots=True)
class RuleRegistry:
    """All rules by id plus each pack's extra data. Immutable; safe to share across threads and pickle."""

    rules: Mapping[str, Rule]
    pack_data: Mapping[str, Mapping[str, Any]]
    version: str

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self.rules.values(), key=lambda r: r.id))

    def data(self, pack: str) -> Mapping[str, Any]:
        """The extra top-level `data:` mapping of one pack (allowlists, API maps ...)."""
        return self.pack_data.get(pack, _EMPTY)

    def by_gate(self, gate: str) -> list[Rule]:
        return [r for r in self if r.gate == gate]


def load_packs(folder: Path) -> RuleRegistry:
    import hashlib

    rules: dict[str, Rule] = {}
    pack_data: dict[str, Mapping[str, Any]] = {}
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + text)
        doc = safeyaml.load(text, path.name) or {}
        pack = str(doc.get("pack", path.stem))
        for raw in doc.get("rules") or ():
            rule = _rule(raw, pack)
            if rule.id in rules:
                raise ValueError(f"rule {rule.id} defined twice ({rules[rule.id].pack} and {pack})")
            rules[rule.id] = rule
        if doc.get("data") is not None:
            pack_data[pack] = FrozenMap(dict(doc["data"]))
    return RuleRegistry(FrozenMap(rules), FrozenMap(pack_data), digest.hexdigest()[:16])


@cache
def load_registry() -> RuleRegistry:
    """The bundled rule packs. Cached: the packs are immutable data shipped with the package."""
    return load_packs(data_dir("rules"))

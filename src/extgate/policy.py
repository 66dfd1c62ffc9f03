"""Policy: per-rule enable/level, gate settings (thresholds, allowlists) and acknowledged warnings.

Sources, in order of trust:
  1. the caller's policy (`--policy FILE`, `[tool.extgate]` in the caller's pyproject.toml, or `.extgate.toml` in a
     scanned *directory*, which is the author's own tree);
  2. a policy file found *inside an uploaded archive*: it may only tighten (raise levels) and acknowledge warnings;
     it can never disable a rule, lower a level or change a threshold (`Policy.tightened_by`).

File format (TOML):

    [rules."code/subprocess"]
    level = "error"              # error | warning | note
    [rules."content/long-line"]
    enabled = false
    [archive]                    # any gate's settings: thresholds and allowlists, see `extgate explain`
    max_files = 300
    [trust]
    fail_open = false
    [[acknowledge]]
    fingerprint = "3f2a..."
    reason = "spawns git by design"
    rule = "code/subprocess"     # informational
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from extgate.frozen import FrozenMap
from extgate.model import Finding, Level

_EMPTY: Mapping[str, Any] = FrozenMap({})
POLICY_FILE_NAMES = (".extgate.toml", "extgate.toml")


class PolicyError(ValueError):
    """A policy that cannot be read or makes no sense: a usage/config error (exit 2)."""


@dataclass(frozen=True, slots=True)
class RuleSetting:
    enabled: bool = True
    level: Level | None = None


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """fingerprint: the finding's; reason and rule: informational; untrusted: it came from a policy file inside an
    uploaded archive (it then cannot acknowledge rules marked `in_archive_ack: false`)."""

    fingerprint: str
    reason: str = ""
    rule: str = ""
    untrusted: bool = False


@dataclass(frozen=True, slots=True)
class Policy:
    """rules: rule id -> setting; sections: gate name -> settings; acknowledgements: fingerprint -> record;
    source: where it came from (for notes)."""

    rules: Mapping[str, RuleSetting] = field(default_factory=lambda: FrozenMap({}))
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: _EMPTY)
    acknowledgements: Mapping[str, Acknowledgement] = field(default_factory=lambda: FrozenMap({}))
    source: str = ""
    trusted_only: frozenset[str] = frozenset()  # rule ids only the caller's policy may acknowledge

    # -- queries -------------------------------------------------------------------------------------------------
    def rule_enabled(self, rule_id: str) -> bool:
        setting = self.rules.get(rule_id)
        return setting.enabled if setting else True

    def setting(self, section: str, key: str, default: Any) -> Any:
        return self.sections.get(section, _EMPTY).get(key, default)

    def section(self, section: str) -> Mapping[str, Any]:
        return self.sections.get(section, _EMPTY)

    # -- application ---------------------------------------------------------------------------------------------
    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Drop disabled rules, apply level overrides, mark acknowledged warnings."""
        out: list[Finding] = []
        for finding in findings:
            setting = self.rules.get(finding.rule_id)
            if setting and not setting.enabled and finding.rule_id != "engine/internal-error":
                continue
            if setting and setting.level is not None and finding.rule_id != "engine/internal-error":
                finding = replace(finding, level=setting.level)
            ack = self.acknowledgements.get(finding.fingerprint)
            if ack and ack.untrusted and finding.rule_id in self.trusted_only:
                ack = None  # a warning that means "not analysed": the uploader cannot wave it through
            if ack and finding.level is Level.WARNING:
                finding = replace(finding, acknowledged=True, acknowledgement=f"policy: {ack.reason}".rstrip(": "))
            out.append(finding)
        return out

    # -- building ------------------------------------------------------------------------------------------------
    @classmethod
    def coerce(cls, value: Policy | Mapping[str, Any] | None) -> Policy:
        """What `check(source, policy)` accepts: a Policy, None (defaults) or a mapping shaped like the TOML file
        (`{"rules": {"code/eval": {"level": "warning"}}}`, read with `from_mapping`)."""
        if value is None:
            return cls()
        if isinstance(value, Policy):
            return value
        if isinstance(value, Mapping):
            return cls.from_mapping(value, "<mapping>")
        raise TypeError(f"policy must be a Policy, a mapping or None, not {type(value).__name__}")

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], source: str = "") -> Policy:
        """A policy from a mapping shaped like the TOML file: `rules` (id -> {enabled, level}), `acknowledge`
        (a list of {fingerprint, reason, rule}) and any gate's settings table (`archive`, `trust`...).
        A value of the wrong shape raises PolicyError (never a TypeError/AttributeError), so a hostile in-archive
        policy is reported, not a crash."""
        where = source or "policy"
        if not isinstance(doc, Mapping):
            raise PolicyError(f"{where}: a policy must be a table")
        rules: dict[str, RuleSetting] = {}
        for rule_id, raw in _table(doc.get("rules"), f"{where}: rules").items():
            if not isinstance(raw, Mapping):
                raise PolicyError(f"{where}: rules.{rule_id!r} must be a table")
            level = raw.get("level")
            try:
                parsed = Level(level) if level is not None else None
            except (ValueError, TypeError):
                raise PolicyError(f"{where}: rules.{rule_id!r}.level must be error, warning or note") from None
            enabled = raw.get("enabled", True)
            if not isinstance(enabled, bool):
                raise PolicyError(f"{where}: rules.{rule_id!r}.enabled must be true or false")
            rules[str(rule_id)] = RuleSetting(enabled=enabled, level=parsed)
        acks: dict[str, Acknowledgement] = {}
        listed = doc.get("acknowledge")
        if listed is not None and not isinstance(listed, list):
            raise PolicyError(f"{where}: acknowledge must be an array of tables ([[acknowledge]])")
        for raw in listed or ():
            if not isinstance(raw, Mapping) or not isinstance(raw.get("fingerprint"), str) or not raw["fingerprint"]:
                raise PolicyError(f"{where}: every [[acknowledge]] needs a fingerprint (a string)")
            if not all(isinstance(raw.get(key, ""), str) for key in ("reason", "rule")):
                raise PolicyError(f"{where}: [[acknowledge]] reason and rule must be strings")
            ack = Acknowledgement(str(raw["fingerprint"]), str(raw.get("reason", "")), str(raw.get("rule", "")))
            acks[ack.fingerprint] = ack
        sections = {
            str(k): FrozenMap(dict(v))
            for k, v in doc.items()
            if k not in ("rules", "acknowledge") and isinstance(v, Mapping)
        }
        return cls(FrozenMap(rules), FrozenMap(sections), FrozenMap(acks), source)

    @classmethod
    def load(cls, path: str | Path, *, follow_symlinks: bool = True) -> Policy:
        """Read a policy file: `.toml` (top level or `[tool.extgate]` in pyproject.toml). At most MAX_POLICY_BYTES
        of a regular file are read (a FIFO, a device or a huge file is a PolicyError, never a hang)."""
        path = Path(path)
        try:
            doc = tomllib.loads(_read_policy_text(path, follow_symlinks))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise PolicyError(f"cannot read policy {path}: {exc}") from exc
        except RecursionError:  # tomllib recurses per nested array/inline table
            raise PolicyError(f"cannot read policy {path}: nested too deeply") from None
        except ValueError as exc:  # an integer over Python's 4300-digit str conversion limit (not a TOMLDecodeError)
            raise PolicyError(f"cannot read policy {path}: {exc}") from None
        if path.name == "pyproject.toml":
            tool = doc.get("tool")
            doc = tool.get("extgate", {}) if isinstance(tool, Mapping) else {}
        return cls.from_mapping(doc, str(path))

    @classmethod
    def from_toml(cls, text: str, source: str = "") -> Policy:
        """Parse policy TOML text (e.g. a file inside an uploaded archive); any defect raises PolicyError."""
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{source}: {exc}") from exc
        except RecursionError:
            raise PolicyError(f"{source}: nested too deeply") from None
        except ValueError as exc:  # an integer over Python's 4300-digit limit: tomllib lets int()'s error through
            raise PolicyError(f"{source}: {exc}") from None
        return cls.from_mapping(doc, source)

    @classmethod
    def discover(cls, directory: str | Path) -> Policy | None:
        """The author's policy in a scanned directory: .extgate.toml, else [tool.extgate] in pyproject.toml."""
        root = Path(directory)
        # anything by those names is read, and never through a link: a policy linked to a huge or special file
        # elsewhere fails closed instead of being read (or followed outside the scanned tree)
        for name in POLICY_FILE_NAMES:
            if os.path.lexists(root / name):
                return cls.load(root / name, follow_symlinks=False)
        pyproject = root / "pyproject.toml"
        if os.path.lexists(pyproject):
            policy = cls.load(pyproject, follow_symlinks=False)
            if policy.rules or policy.sections or policy.acknowledgements:
                return policy
        return None

    def merged_with(self, other: Policy) -> Policy:
        """`other` on top of self (both trusted)."""
        sections = {k: dict(v) for k, v in self.sections.items()}
        for name, values in other.sections.items():
            sections.setdefault(name, {}).update(values)
        return Policy(
            FrozenMap({**self.rules, **other.rules}),
            FrozenMap({k: FrozenMap(v) for k, v in sections.items()}),
            FrozenMap({**self.acknowledgements, **other.acknowledgements}),
            " + ".join(s for s in (self.source, other.source) if s),
        )

    def tightened_by(
        self, untrusted: Policy, default_level: Mapping[str, Level], trusted_only: frozenset[str] = frozenset()
    ) -> Policy:
        """Apply an in-archive policy: only raises of rule levels and acknowledgements of warnings are taken, and
        its acknowledgements never cover the `trusted_only` rules (warnings that mean "not analysed")."""
        rules = dict(self.rules)
        for rule_id, setting in untrusted.rules.items():
            current = rules.get(rule_id, RuleSetting())
            if not current.enabled:
                continue  # the caller disabled it; the archive cannot re-enable with a lower level either
            base = current.level or default_level.get(rule_id)
            if setting.enabled and setting.level and base and setting.level.rank > base.rank:
                rules[rule_id] = RuleSetting(True, setting.level)
        marked = {k: replace(v, untrusted=True) for k, v in untrusted.acknowledgements.items()}
        acks = {**marked, **self.acknowledgements}
        return Policy(FrozenMap(rules), self.sections, FrozenMap(acks), self.source, self.trusted_only | trusted_only)

    def with_acknowledgement(self, ack: Acknowledgement) -> Policy:
        return replace(self, acknowledgements=FrozenMap({**self.acknowledgements, ack.fingerprint: ack}))


MAX_POLICY_BYTES = 1024 * 1024
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read_policy_text(path: Path, follow_symlinks: bool) -> str:
    """A policy file's text: a regular file of at most MAX_POLICY_BYTES (OSError otherwise)."""
    if not follow_symlinks and os.path.islink(path):
        raise OSError("it is a symbolic link, which a scanned directory's policy is never read through")
    fd = os.open(path, _READ_FLAGS | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0)))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError("it is not a regular file")
        data = handle.read(MAX_POLICY_BYTES + 1)
    if len(data) > MAX_POLICY_BYTES:
        raise OSError(f"it is larger than {MAX_POLICY_BYTES:,} bytes")
    return data.decode("utf-8")


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return _EMPTY
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where} must be a table")
    return value


def dump_acknowledgements(acks: Iterable[Acknowledgement]) -> str:
    """TOML text for `[[acknowledge]]` entries (appended to a policy file by the interactive flow)."""
    lines: list[str] = []
    for ack in acks:
        lines += ["", "[[acknowledge]]", f"fingerprint = {_toml_str(ack.fingerprint)}"]
        if ack.rule:
            lines.append(f"rule = {_toml_str(ack.rule)}")
        lines.append(f"reason = {_toml_str(ack.reason)}")
    return "\n".join(lines) + "\n"


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'

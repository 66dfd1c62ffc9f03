"""Issue 15.8: YAML alias bombs and foreign tags are refused by every YAML read, with bounded memory."""

from __future__ import annotations

import ast
import tracemalloc
from pathlib import Path

import pytest

from extgate import Options, check
from extgate.safeyaml import YamlError, load
from hostile.hostile_archives import tar_bytes

OFFLINE = Options(offline=True, network=False, use_cache=False)
SRC = Path(__file__).parent.parent.parent / "src" / "extgate"


def alias_bomb(levels: int = 9) -> str:
    """'Billion laughs': each level lists the previous one nine times (9**9 strings once expanded)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        refs = ",".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "binaries: *l8\nname: '@demo/x'\nversion: 2026.1.1\n" + "\n".join(lines) + "\n"


def test_alias_bomb_in_a_swamp_manifest_is_blocked_with_bounded_memory() -> None:
    bomb = alias_bomb()
    assert len(bomb) < 1000
    data = tar_bytes([("manifest.yaml", bomb), ("models/a.ts", "export const a = 1;\n")])
    tracemalloc.start()
    try:
        verdict = check(data, options=OFFLINE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert verdict.blocked
    assert verdict.profile == "swamp"
    [invalid] = [f for f in verdict.findings if f.rule_id == "manifest/invalid"]
    assert "alias" in invalid.message or "anchor" in invalid.message
    assert "engine/internal-error" not in {f.rule_id for f in verdict.findings}
    assert peak < 200_000_000  # the expansion would be gigabytes


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (alias_bomb(), "alias"),
        ("a: &x 1\n", "anchor"),
        ("a: *x\n", "alias"),  # refused at the event, before any lookup or expansion
        ("a: [1, 2\n", "not valid YAML"),
        ("a: !!python/object/apply:os.system ['id']\n", "tag"),
        ("a: !!binary aGVsbG8=\n", "tag"),
        ("a: 1\n---\nb: 2\n", "more than one"),
        ("a: " + "[" * 300 + "]" * 300 + "\n", "nests deeper"),
        (b"a: \xff\n", "UTF-8"),
    ],
)
def test_safe_loader_refuses(text: str | bytes, why: str) -> None:
    with pytest.raises(YamlError, match=why):
        load(text, "test.yaml")


def test_safe_loader_reads_plain_data() -> None:
    assert load("a: [1, 2.5, true, null, 'x']\ndate: 2026-01-02\n") == {
        "a": [1, 2.5, True, None, "x"],
        "date": "2026-01-02",  # dates stay strings, as in JSON
    }


def test_no_module_calls_pyyaml_loaders_directly() -> None:
    """Every YAML read goes through extgate.safeyaml (or the manifest parser built on its event check)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "safeyaml.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "yaml"
                and node.attr in ("load", "safe_load", "full_load", "unsafe_load", "load_all", "safe_load_all")
            ):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []

"""Behaviour rules on fixtures modelled on each technique, each with a clean twin (tests/fixtures/detect/behaviour)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gates" / "code"))

from code_support import analyze, config, facts, findings

from extgate.gates.code.prefilter import compiled
from extgate.model import Level

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detect" / "behaviour"
BEHAVIOUR = ("code/home-write", "code/credential-read", "code/environment-targeting", "code/delayed-execution")
E, W = Level.ERROR, Level.WARNING

# fixture -> expected (rule, level, line) of behaviour findings
EXPECTED = {
    "home-write-on-import.js": [("code/home-write", E, 6)],
    "home-delete.mjs": [("code/home-write", E, 5)],
    "system-write.js": [("code/home-write", E, 3)],
    "credential-exfil.ts": [("code/credential-read", E, 5)],
    "ssh-read.js": [("code/credential-read", W, 3)],
    "timezone-targeting.js": [("code/environment-targeting", E, 4), ("code/delayed-execution", W, 5)],
    "locale-early-return.js": [("code/environment-targeting", E, 4)],
    "geoip.js": [("code/environment-targeting", W, 3), ("code/environment-targeting", E, 5)],
    "delayed-eval.js": [("code/delayed-execution", E, 3)],
    "desktop-note.py": [("code/home-write", E, 5)],
    "npmrc-steal.py": [("code/credential-read", E, 7)],
}


def behaviour(name: str) -> list[tuple[str, Level, int | None]]:
    found = findings({name: (FIXTURES / name).read_bytes()})
    return [(f.rule_id, f.level, f.location.line if f.location else None) for f in found if f.rule_id in BEHAVIOUR]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_technique_is_found(name: str) -> None:
    assert behaviour(name) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_clean_twin_has_no_behaviour_finding(name: str) -> None:
    stem, _, suffix = name.rpartition(".")
    assert behaviour(f"{stem}.clean.{suffix}") == []


def test_every_fixture_has_a_twin_and_an_expectation() -> None:
    files = {p.name for p in FIXTURES.iterdir() if p.suffix != ".md"}
    bad = {f for f in files if ".clean." not in f}
    assert bad == set(EXPECTED)
    assert {f.replace(".clean.", ".") for f in files - bad} == bad


def test_aliases_and_destructuring_are_followed() -> None:
    src = (
        "const o = require('os'); const { writeFileSync: put } = require('fs');\n"
        "const h = o.homedir; const dir = h();\n"
        "function f() { put(dir + '/.bashrc', 'x'); }\n"
    )
    ((_rule, level, line),) = [(r, lv, ln) for r, lv, ln in _all(src) if r == "code/home-write"]
    assert (level, line) == (Level.ERROR, 3)  # a shell start-up file: persistence


def test_strings_and_comments_are_not_behaviour() -> None:
    src = "// fs.writeFileSync(os.homedir() + '/x')\nconst s = \"fs.rmSync(process.env.HOME)\";\nmodule.exports = s;\n"
    assert [r for r, _, _ in _all(src) if r in BEHAVIOUR] == []


def test_home_write_inside_a_function_is_a_warning() -> None:
    src = "const fs = require('fs');\nexports.save = () => fs.writeFileSync(`${process.env.HOME}/.myconfig`, '1');\n"
    assert [(r, lv) for r, lv, _ in _all(src) if r in BEHAVIOUR] == [("code/home-write", Level.WARNING)]


def test_behaviours_are_code_facts_for_the_drift_gate() -> None:
    code = facts({"a.js": (FIXTURES / "home-write-on-import.js").read_bytes()})
    assert [(b.rule_id, b.kind, b.path, b.line) for b in code.behaviours] == [
        ("code/home-write", "home-write", "a.js", 6)
    ]


def test_behaviour_facts_name_their_own_file() -> None:
    """Each behaviour fact carries the path of the file it was found in, not the package's last file."""
    code = facts(
        {
            "a.js": (FIXTURES / "home-write-on-import.js").read_bytes(),
            "b.js": "module.exports = 1;\n",
            "z-notes.md": "notes\n",
        }
    )
    assert [(b.rule_id, b.path, b.line) for b in code.behaviours] == [("code/home-write", "a.js", 6)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixtures_hit_the_parse_prefilter(name: str) -> None:
    """A file with a behaviour must be fully parsed: its trigger tokens are parse-group prefilter patterns."""
    cfg = config()
    hits = compiled(cfg.prefilter, "re").scan((FIXTURES / name).read_bytes())
    behaviour_patterns = {p.name for p in cfg.prefilter if p.name.split("#")[0] in BEHAVIOUR}
    assert "parse" in hits.groups and hits.names & behaviour_patterns, name


def _all(src: str) -> list[tuple[str, Level, int | None]]:
    return [(f.rule_id, f.level, f.location.line if f.location else None) for f in findings({"x.js": src})]


def test_binding_chains_stay_bounded() -> None:
    """Each name bound to two earlier ones: an unmemoized walk through bindings would be exponential."""
    src = "var v0 = 1, v1 = 2;\n" + "".join(f"var v{i} = v{i - 1} + v{i - 2};\n" for i in range(2, 400))
    src += "".join(f"if (v{i}) {{ fetch('/x'); }}\nrequire('fs').writeFileSync(v{i}, '');\n" for i in range(0, 400, 7))
    result = analyze("chain.js", src)
    assert result.parsed and result.skip_reason == ""
    assert not [f for f in result.findings if f.rule_id == "safety/unparsed-file"]

"""Which dependencies are declared: package.json fields, lockfiles, npm:/jsr: imports, deno import maps."""

from __future__ import annotations

import json
import random
import re

import pytest
from trust_helpers import package_json

from extgate.facts import CodeFacts, ImportRef, Manifest
from extgate.model import Package
from extgate.trust.interface import AUDITED, EXCLUDED, NOT_AUDITED_JSR, UNRESOLVED, Declared
from extgate.trust.sources import collect, key_lines, npm_specifier, strip_jsonc


def declared(files: dict[str, str], **kw: object) -> list[Declared]:
    return collect(Package.from_files(files), None, None, **kw).declared  # type: ignore[arg-type]


def test_package_json_fields_but_not_dev_dependencies() -> None:
    doc = package_json(
        {"lodash": "^4.17.21"},
        optionalDependencies={"fsevents": "^2.3.0"},
        peerDependencies={"react": ">=18"},
        devDependencies={"jest": "^29.0.0"},
    )
    found = declared({"package.json": doc})
    assert [(d.name, d.spec, d.field, d.status) for d in found] == [
        ("lodash", "^4.17.21", "dependencies", AUDITED),
        ("fsevents", "^2.3.0", "optionalDependencies", AUDITED),
        ("react", ">=18", "peerDependencies", AUDITED),
    ]
    assert all(d.source == "package.json" and d.direct for d in found)
    lines = doc.splitlines()
    assert '"lodash"' in lines[found[0].line - 1]  # type: ignore[operator]
    assert '"react"' in lines[found[2].line - 1]  # type: ignore[operator]


def test_line_numbers_come_from_manifest_facts_when_the_manifest_gate_ran() -> None:
    manifest = Manifest(
        "package.json", "package.json", {"dependencies": {"@scope/x": "1.0.0"}}, {"/dependencies/@scope~1x": 42}
    )
    found = collect(Package.from_files({"package.json": "{}"}), manifest, None).declared
    assert [(d.name, d.line) for d in found] == [("@scope/x", 42)]


def test_non_registry_and_invalid_specs_are_unresolved() -> None:
    found = declared(
        {
            "package.json": package_json(
                {
                    "a": "github:user/a",
                    "b": "https://example.org/b.tgz",
                    "c": "file:../c",
                    "d": "!!",
                    "e": 3,
                    "Bad Name": "1.0.0",
                    "f": "npm:real-f@^2.0.0",
                }
            )
        }
    )
    status = {d.name: (d.status, d.reason) for d in found}
    assert status["a"][0] == status["b"][0] == status["c"][0] == status["d"][0] == status["e"][0] == UNRESOLVED
    assert "git" in status["a"][1] and "url" in status["b"][1] and "file" in status["c"][1]
    assert status["Bad Name"][0] == UNRESOLVED
    assert status["real-f"] == (AUDITED, "")  # an alias audits the real package


def test_bundled_dependency_is_pinned_to_the_shipped_copy() -> None:
    files = {
        "package.json": package_json({"inner": "^1.0.0", "other": "^2.0.0"}, bundleDependencies=["inner"]),
        "node_modules/inner/package.json": json.dumps({"name": "inner", "version": "1.4.2"}),
    }
    pins = {d.name: d.pinned for d in declared(files)}
    assert pins == {"inner": "1.4.2", "other": None}


def test_package_lock_v3_transitive_entries_skip_dev_and_links() -> None:
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "ext", "dependencies": {"a": "^1"}},
            "node_modules/a": {"version": "1.2.0"},
            "node_modules/a/node_modules/b": {"version": "0.3.0"},
            "node_modules/dev-only": {"version": "5.0.0", "dev": True},
            "node_modules/linked": {"version": "1.0.0", "link": True},
            "node_modules/alias": {"name": "real", "version": "2.0.0"},
        },
    }
    files = {"package.json": package_json({"a": "^1.0.0"}), "package-lock.json": json.dumps(lock, indent=2)}
    locked = [d for d in declared(files) if d.source == "lockfile"]
    assert [(d.name, d.pinned, d.direct) for d in locked] == [
        ("a", "1.2.0", True),
        ("b", "0.3.0", False),
        ("real", "2.0.0", False),
    ]
    text = files["package-lock.json"].splitlines()
    assert '"node_modules/a/node_modules/b"' in text[locked[1].line - 1]  # type: ignore[operator]


def test_package_lock_v1_nested_and_aliases() -> None:
    lock = {
        "lockfileVersion": 1,
        "dependencies": {
            "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}},
            "d": {"version": "1.0.0", "dev": True},
            "x": {"version": "npm:real-x@3.1.0"},
        },
    }
    locked = declared({"package-lock.json": json.dumps(lock)})
    assert [(d.name, d.pinned) for d in locked] == [("a", "1.0.0"), ("b", "2.0.0"), ("real-x", "3.1.0")]


def test_shrinkwrap_pins_direct_dependencies() -> None:
    wrap = {"lockfileVersion": 2, "packages": {"node_modules/a": {"version": "1.0.3"}}}
    found = declared({"package.json": package_json({"a": "^1.0.0"}), "npm-shrinkwrap.json": json.dumps(wrap)})
    direct = next(d for d in found if d.source == "package.json")
    assert direct.pinned == "1.0.3"


def test_deno_lock_versions() -> None:
    v3 = {
        "version": "3",
        "packages": {
            "specifiers": {"npm:chalk@5": "npm:chalk@5.3.0"},
            "npm": {"chalk@5.3.0": {}, "@types/node@20.1.0_typescript@5.0.0": {}},
        },
    }
    v4 = {"version": "4", "specifiers": {"npm:chalk@5": "5.3.0"}, "npm": {"chalk@5.3.0": {}, "a_b@1.0.0": {}}}
    for lock, expected in (
        (v3, [("chalk", "5.3.0"), ("@types/node", "20.1.0")]),
        (v4, [("chalk", "5.3.0"), ("a_b", "1.0.0")]),
    ):
        found = declared({"deno.lock": json.dumps(lock)})
        assert [(d.name, d.pinned) for d in found] == expected


def test_npm_and_jsr_imports_from_code_facts() -> None:
    code = CodeFacts(
        imports=(
            ImportRef("npm:chalk@^5.3.0", "mod.ts", 1),
            ImportRef("npm:@scope/pkg@1.2.3/sub/path.js", "mod.ts", 2, "dynamic"),
            ImportRef("npm:left-pad", "mod.ts", 3),
            ImportRef("jsr:@std/path@1", "mod.ts", 4),
            ImportRef("./local.ts", "mod.ts", 5),
            ImportRef("node:fs", "mod.ts", 6),
        )
    )
    found = collect(Package.from_files({}), None, code).declared
    assert [(d.name, d.spec, d.status, d.line, d.source) for d in found] == [
        ("chalk", "^5.3.0", AUDITED, 1, "import"),
        ("@scope/pkg", "1.2.3", AUDITED, 2, "import"),
        ("left-pad", "", AUDITED, 3, "import"),
        ("@std/path", "jsr:@std/path@1", NOT_AUDITED_JSR, 4, "import"),
    ]


def test_deno_import_map_with_comments_scopes_and_external_file() -> None:
    deno = """{
      // comments are allowed in deno.jsonc
      "imports": {
        "chalk": "npm:chalk@5", /* trailing */
        "std/": "jsr:@std/",
        "zod": "npm:zod@4",
      },
      "importMap": "./import_map.json",
    }"""
    extra = json.dumps({"imports": {"x": "npm:x-pkg@^1"}, "scopes": {"./a/": {"y": "npm:y-pkg@2"}}}, indent=2)
    found = declared({"deno.jsonc": deno, "import_map.json": extra}, exclude=("zod",))
    assert [(d.name, d.spec, d.status, d.path) for d in found] == [
        ("chalk", "5", AUDITED, "deno.jsonc"),
        ("@std/", "jsr:@std/", NOT_AUDITED_JSR, "deno.jsonc"),
        ("zod", "4", EXCLUDED, "deno.jsonc"),
        ("x-pkg", "^1", AUDITED, "import_map.json"),
        ("y-pkg", "2", AUDITED, "import_map.json"),
    ]
    assert found[0].line == 4


def test_exclusion_applies_to_every_source() -> None:
    code = CodeFacts(imports=(ImportRef("npm:zod@4", "m.ts", 1),))
    found = collect(
        Package.from_files({"package.json": package_json({"zod": "^4.0.0"})}), None, code, ("zod",)
    ).declared
    assert [d.status for d in found] == [EXCLUDED, EXCLUDED]
    assert "host-provided" in found[0].reason


def test_broken_inputs_become_problems_not_crashes() -> None:
    out = collect(
        Package.from_files({"package.json": "{not json", "package-lock.json": "[1, 2]", "deno.json": '{"imports": 5}'}),
        None,
        None,
    )
    assert out.declared == []
    assert {p for p, _ in out.problems} == {"package.json", "package-lock.json"}


def test_entry_limits_become_problems() -> None:
    deps = {f"p{i}": "1.0.0" for i in range(20_001)}
    out = collect(Package.from_files({"package.json": json.dumps({"dependencies": deps})}), None, None)
    assert len(out.declared) == 20_000
    assert any("more than 20000" in message for _, message in out.problems)


def test_helpers() -> None:
    assert npm_specifier("npm:/chalk@5/x") == ("chalk", "5")
    assert npm_specifier("npm:@s/p") == ("@s/p", "")
    assert npm_specifier("jsr:@s/p") is None
    assert strip_jsonc('{"a": "// not a comment", /* c */ "b": [1,],}') == '{"a": "// not a comment",  "b": [1]}'
    assert key_lines(b'{\n  "a": 1,\n  "b": {\n    "c": 2}}') == {"a": 2, "b": 3, "c": 4}


def _strip_jsonc_reference(text: str) -> str:
    """The character loop strip_jsonc used to be (seconds on an 8 MB file): the regex must agree with it."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(char)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


@pytest.mark.parametrize(
    "text",
    ['"a\\', '"a', '"a\\"b', '/*/ x', "/* x", "// x", "// x\n1", '{"a": 1, /* "b" */ "c": "//", }', "a/*b*/c//d\ne",
     '"\\\n"/**/,]', ",\n\t}", '"""', "\\", "/", "*/", '"\\\\"//x'],
)  # fmt: skip
def test_strip_jsonc_matches_the_character_loop(text: str) -> None:
    assert strip_jsonc(text) == _strip_jsonc_reference(text)


def test_strip_jsonc_matches_the_character_loop_on_random_text() -> None:
    rng = random.Random(14)
    alphabet = ['"', "\\", "/", "*", "\n", ",", "}", "]", " ", "a", "{", "["]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert strip_jsonc(text) == _strip_jsonc_reference(text), text


def test_remote_url_imports_are_unresolved_from_code_and_import_maps() -> None:
    """Deno and Bun fetch https: imports when the code runs: never shipped, never audited (a fail-open fix: they
    used to be skipped as "not a package")."""
    code = CodeFacts(imports=(ImportRef("https://evil.example/x.ts", "mod.ts", 3), ImportRef("./local.ts", "m.ts", 1)))
    imports = json.dumps({"imports": {"a": "HTTPS://deno.land/x/a@1/mod.ts", "b": "./b.ts", "c": "http://x.example/"}})
    found = collect(Package.from_files({"deno.json": imports}), None, code).declared
    assert sorted((d.spec, d.status, d.path) for d in found) == [
        ("HTTPS://deno.land/x/a@1/mod.ts", UNRESOLVED, "deno.json"),
        ("http://x.example/", UNRESOLVED, "deno.json"),
        ("https://evil.example/x.ts", UNRESOLVED, "mod.ts"),
    ]
    assert all("remote URL" in (d.reason or "") for d in found)

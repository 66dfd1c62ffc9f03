"""One positive and one or more negative cases per factor, each a variation of the complete fixture extension."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from scoring_support import factor, load, run

from extgate.facts import Facts, Manifest
from extgate.model import Dependency, Finding, Level
from extgate.policy import Policy


def variant(
    *,
    drop: tuple[str, ...] = (),
    add: Mapping[str, bytes | str] | None = None,
    manifest: Mapping[str, object] | None = None,
) -> dict[str, bytes | str]:
    """The complete extension with files dropped/added and package.json keys changed (None deletes a key)."""
    files: dict[str, bytes | str] = dict(load("complete"))
    for path in drop:
        del files[path]
    files.update(add or {})
    if manifest is not None:
        doc = json.loads(files["package.json"])
        for key, value in manifest.items():
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        files["package.json"] = json.dumps(doc)
    return files


def status(files: Mapping[str, bytes | str], factor_id: str, **kwargs: object) -> str:
    return factor(run(files, **kwargs), factor_id).status  # type: ignore[arg-type]


README_SCAFFOLD = """# my-extension

This README would normally document whatever steps are necessary to get your application up and running.

```sh
npm install my-extension
```
"""
README_TODO = "# widget\n\nTODO\n\n## Usage\n\nTBD\n\n## Installation\n\n- TODO: write this\n"
README_PLACEHOLDER = "# {{name}}\n\n{{description}} " + "is a great extension that does many useful things. " * 4


# -- has-readme ------------------------------------------------------------------------------------------------


def test_has_readme_earned_for_real_text() -> None:
    assert status(variant(), "has-readme") == "earned"


@pytest.mark.parametrize(
    ("readme", "why"),
    [
        (None, "no README"),
        ("# widget\n", "stub"),
        (README_SCAFFOLD, "scaffold text"),
        (README_TODO, "TODO"),
        (README_PLACEHOLDER, "placeholder"),
    ],
)
def test_has_readme_missed(readme: str | None, why: str) -> None:
    files = variant(drop=("README.md",), add={"README.md": readme} if readme is not None else None)
    result = factor(run(files), "has-readme")
    assert result.status == "missed"
    assert why in result.detail
    # no README credit at all for scaffold text
    assert factor(run(files), "readme-example").status == "missed"


def test_readme_in_a_subfolder_is_not_at_the_root() -> None:
    files = variant(drop=("README.md",), add={"docs/README.md": load("complete")["README.md"]})
    assert status(files, "has-readme") == "missed"


def test_lowercase_readme_at_root_counts() -> None:
    files = variant(drop=("README.md",), add={"readme.markdown": load("complete")["README.md"]})
    assert status(files, "has-readme") == "earned"


# -- readme-example ----------------------------------------------------------------------------------------------

BODY = "Widget tools creates and inspects Acme widgets from your workflows, with retries and typed errors. " * 2


def test_readme_example_needs_a_usage_block_not_only_install() -> None:
    install_only = f"# w\n\n{BODY}\n\n```sh\nnpm install widget-tools\n```\n"
    usage = f"# w\n\n{BODY}\n\n```js\nconst w = require('widget-tools');\nw.create();\n```\n"
    indented = f"# w\n\n{BODY}\n\n    const w = require('widget-tools');\n"
    assert status(variant(add={"README.md": install_only}), "readme-example") == "missed"
    assert status(variant(add={"README.md": usage}), "readme-example") == "earned"
    assert status(variant(add={"README.md": indented}), "readme-example") == "missed"  # fenced blocks only


def test_readme_example_tilde_fence_counts() -> None:
    tilde = f"# w\n\n{BODY}\n\n~~~ts\ncreateWidget({{ name: 'a' }});\n~~~\n"
    assert status(variant(add={"README.md": tilde}), "readme-example") == "earned"


# -- rich-readme -------------------------------------------------------------------------------------------------


def test_rich_readme_earned_and_missed() -> None:
    assert status(variant(), "rich-readme") == "earned"
    short = f"# w\n\n{BODY}\n\n```js\nw.create();\n```\n"  # < 500 characters
    assert status(variant(add={"README.md": short}), "rich-readme") == "missed"
    long_one_block = f"# w\n\n{BODY * 3}\n\n```js\nw.create();\n```\n"  # long but 1 block, no sections
    result = factor(run(variant(add={"README.md": long_one_block})), "rich-readme")
    assert result.status == "missed" and "code block" in result.hint
    sections = f"# w\n\n{BODY * 3}\n\n## Installation\n\nnpm i w\n\n## Usage\n\n```js\nw.create();\n```\n"
    assert status(variant(add={"README.md": sections}), "rich-readme") == "earned"
    two_blocks = f"# w\n\n{BODY * 3}\n\n```js\nw.create();\n```\n\n```js\nw.remove();\n```\n"
    assert status(variant(add={"README.md": two_blocks}), "rich-readme") == "earned"


def test_html_comments_do_not_pad_the_readme() -> None:
    padded = f"# w\n\n{BODY}\n\n<!-- {'x' * 600} -->\n\n```js\na()\n```\n\n```js\nb()\n```\n"
    assert status(variant(add={"README.md": padded}), "rich-readme") == "missed"


# -- symbols-docs ------------------------------------------------------------------------------------------------


def test_symbols_docs_full_partial_and_not_applicable() -> None:
    assert factor(run(variant()), "symbols-docs").earned == 5
    half = "/** a */\nexport const a = 1;\nexport const b = 2;\n"
    result = factor(run(variant(drop=("src/index.ts", "dist/index.d.ts"), add={"src/index.ts": half})), "symbols-docs")
    assert (result.status, result.earned) == ("missed", 3)  # 50 % / 80 % * 5 = 3.125 -> 3
    assert "b" in result.hint
    none = variant(drop=("src/index.ts", "dist/index.d.ts"), add={"src/index.ts": "const x = 1;\n"})
    result = factor(run(none), "symbols-docs")
    assert (result.status, result.earned) == ("not-applicable", 0)


def test_symbols_docs_counts_python_public_defs() -> None:
    py = {"ext/__init__.py": 'def run():\n    """Run it."""\n\ndef _private():\n    pass\n\nclass Model:\n    pass\n'}
    result = factor(run(variant(drop=("src/index.ts", "dist/index.d.ts"), add=py)), "symbols-docs")
    assert "1/2" in result.detail


def test_symbols_docs_ignores_tests_and_node_modules() -> None:
    extra = {
        "src/index.test.ts": "export const undocumented1 = 1;\n",
        "node_modules/dep/index.ts": "export const undocumented2 = 1;\n",
        "tests/helpers.ts": "export const undocumented3 = 1;\n",
    }
    assert factor(run(variant(add=extra)), "symbols-docs").earned == 5


# -- description -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Create, inspect and delete Acme widgets", "earned"),
        (None, "missed"),
        ("", "missed"),
        ("Widget tools", "missed"),  # < 20 characters
        ("@acme/widget-tools", "missed"),  # just the name
        ("   Acme        widgets   ", "missed"),  # 13 characters once whitespace is collapsed
        (["not", "a", "string"], "missed"),
    ],
)
def test_description(value: object, expected: str) -> None:
    files = variant(manifest={"description": value} if value is not None else {"description": None})
    assert status(files, "description") == expected


def test_description_equal_to_the_unscoped_name_is_missed() -> None:
    files = variant(
        manifest={"name": "@acme/a-very-long-widget-tools-name", "description": "A very long widget tools name"}
    )
    assert status(files, "description") == "missed"


# -- has-license -------------------------------------------------------------------------------------------------


def test_has_license_earned_when_file_and_spdx_agree() -> None:
    assert status(variant(), "has-license") == "earned"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"manifest": {"license": None}}, "no `license`"),
        ({"manifest": {"license": "Apache-2.0"}}, "reads as MIT"),
        ({"manifest": {"license": "MIT-ish"}}, "not a valid SPDX"),
        ({"manifest": {"license": "UNLICENSED"}}, "not a valid SPDX"),
        ({"manifest": {"license": "SEE LICENSE IN LICENSE"}}, "not a valid SPDX"),
        ({"drop": ("LICENSE",)}, "no LICENSE file"),
        ({"add": {"LICENSE": "All rights reserved. Do not copy."}}, "not recognisable"),
    ],
)
def test_has_license_missed(changes: dict[str, object], fragment: str) -> None:
    result = factor(run(variant(**changes)), "has-license")  # type: ignore[arg-type]
    assert result.status == "missed"
    assert fragment in result.detail


def test_has_license_dual_license_files() -> None:
    from scoring_support import license_text

    files = variant(
        drop=("LICENSE",),
        add={"LICENSE-MIT": load("complete")["LICENSE"], "LICENSE-APACHE": license_text("APACHE-2.0.txt")},
        manifest={"license": "MIT OR Apache-2.0"},
    )
    assert status(files, "has-license") == "earned"


# -- repository (offline; online cases are in test_scoring_repository.py) -----------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"type": "git", "url": "git+https://github.com/acme/widget-tools.git"}, "provisional"),
        ("github:acme/widget-tools", "provisional"),
        ("acme/widget-tools", "provisional"),
        ("git@gitlab.com:acme/widget-tools.git", "provisional"),
        ("https://git.sr.ht/~acme/widget-tools", "provisional"),
        (None, "missed"),
        ("http://github.com/acme/widget-tools", "missed"),  # not https
        ("https://example.com/acme/widget-tools", "missed"),  # not a forge
        ("https://github.com/acme", "missed"),  # no repository name
        ("https://user:token@github.com/acme/widget-tools", "missed"),  # credentials
        ("https://github.com.evil.example/acme/widget-tools", "missed"),  # look-alike host
    ],
)
def test_repository_offline(value: object, expected: str) -> None:
    assert status(variant(manifest={"repository": value}), "repository") == expected


def test_policy_can_add_a_forge() -> None:
    files = variant(manifest={"repository": "https://git.example.org/acme/widget-tools"})
    assert status(files, "repository") == "missed"
    policy = Policy.from_mapping({"scoring": {"forges": ["git.example.org"]}})
    assert status(files, "repository", policy=policy) == "provisional"


# -- changelog ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "earned"),
        ({"drop": ("CHANGELOG.md",)}, "missed"),
        ({"drop": ("CHANGELOG.md",), "add": {"HISTORY.md": "## 1.0.0\n- first public release\n"}}, "earned"),
        ({"drop": ("CHANGELOG.md",), "add": {"docs/RELEASES": "## 1.0.0\n- first public release\n"}}, "earned"),
        ({"drop": ("CHANGELOG.md",), "add": {"CHANGELOG.md": "\n"}}, "missed"),  # empty
        ({"drop": ("CHANGELOG.md",), "add": {"newsletter.md": "## news about widgets and more\n"}}, "missed"),
        ({"drop": ("CHANGELOG.md",), "add": {"src/CHANGELOG.md": "## 1.0.0\n- first public release\n"}}, "missed"),
    ],
)
def test_changelog(changes: dict[str, object], expected: str) -> None:
    assert status(variant(**changes), "changelog") == expected  # type: ignore[arg-type]


def test_changelog_as_readme_section() -> None:
    readme = load("complete")["README.md"].decode() + "\n## Release notes\n\n- 1.2.0: regions\n"
    assert status(variant(drop=("CHANGELOG.md",), add={"README.md": readme}), "changelog") == "earned"


# -- types -------------------------------------------------------------------------------------------------------


def test_types() -> None:
    assert status(variant(), "types") == "earned"
    js_only = variant(
        drop=("src/index.ts", "dist/index.d.ts"), add={"index.js": "exports.a = 1;\n"}, manifest={"types": None}
    )
    assert status(js_only, "types") == "missed"
    broken = variant(drop=("dist/index.d.ts",))  # `types` points at a file that is not shipped
    result = factor(run(broken), "types")
    assert result.status == "missed" and "dist/index.d.ts" in result.detail
    typings = variant(drop=("src/index.ts",), manifest={"types": None, "typings": "dist/index.d.ts"})
    assert status(typings, "types") == "earned"
    exports_map = {"exports": {".": {"types": "./dist/index.d.ts", "default": "./dist/index.js"}}, "types": None}
    assert status(variant(drop=("src/index.ts",), manifest=exports_map), "types") == "earned"


# -- compat ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engines", "expected"),
    [
        ({"node": ">=18"}, "earned"),
        ({"node": "^18.0.0 || ^20.0.0", "vscode": "^1.80.0"}, "earned"),
        (None, "missed"),
        ({}, "missed"),
        ({"node": "eighteen"}, "missed"),
        ({"node": ">=18", "vscode": "latest"}, "missed"),
        ("node >= 18", "missed"),
    ],
)
def test_compat_engines(engines: object, expected: str) -> None:
    assert status(variant(manifest={"engines": engines}), "compat") == expected


def test_compat_cinatra_needs_a_valid_sdk_abi_range() -> None:
    base = load("cinatra")
    assert status(base, "compat") == "earned"
    doc = json.loads(base["package.json"])
    doc["cinatra"]["sdkAbiRange"] = "two point one"
    assert status({**base, "package.json": json.dumps(doc)}, "compat") == "missed"
    del doc["cinatra"]["sdkAbiRange"]
    doc["engines"] = {"node": ">=20"}
    result = factor(run({**base, "package.json": json.dumps(doc)}), "compat")
    assert result.status == "missed" and "sdkAbiRange" in result.detail


@pytest.mark.parametrize(
    ("platforms", "expected"),
    [
        (b"[linux, darwin-aarch64]", "earned"),
        (b"[linux-x86_64]", "earned"),
        (b"[]", "missed"),
        (b"linux", "missed"),  # not a list
        (b"[linux, linux]", "missed"),  # twice
        (b'["", linux]', "missed"),
        (b'["linux; rm -rf /"]', "missed"),
        (None, "missed"),  # nothing declared
    ],
)
def test_compat_swamp_platforms(platforms: bytes | None, expected: str) -> None:
    base = load("swamp")
    line = b"platforms: [linux, darwin-aarch64]\n"
    manifest = base["manifest.yaml"].replace(line, b"" if platforms is None else b"platforms: " + platforms + b"\n")
    assert status({**base, "manifest.yaml": manifest}, "compat") == expected


def test_swamp_license_file_stands_in_for_the_missing_field() -> None:
    base = load("swamp")
    assert status(base, "has-license") == "earned"
    assert status({**base, "LICENSE": b"All rights reserved."}, "has-license") == "missed"
    no_file = {k: v for k, v in base.items() if k != "LICENSE"}
    assert status(no_file, "has-license") == "missed"


def test_swamp_release_notes_and_additional_files_changelog() -> None:
    base = load("swamp")
    assert status(base, "changelog") == "missed"
    notes = base["manifest.yaml"] + b"releaseNotes: Widgets now report their region in every run.\n"
    assert status({**base, "manifest.yaml": notes}, "changelog") == "earned"
    assert status({**base, "files/CHANGELOG.md": b"## 2026.05.31.1\n- region\n"}, "changelog") == "earned"


def test_swamp_extension_dependencies_are_not_npm_dependencies() -> None:
    base = load("swamp")
    manifest = base["manifest.yaml"] + b"dependencies: ['@acme/base']\n"
    assert status({**base, "manifest.yaml": manifest}, "dependency-trust") == "not-applicable"


# -- dependency-trust --------------------------------------------------------------------------------------------

AUDITED = Facts(dependencies=(Dependency("lodash", "^4.17.21", resolved="4.17.21"),))


def trust_error(rule: str = "trust/vulnerable") -> Finding:
    return Finding(rule, Level.ERROR, "trust", "lodash 4.17.20 has a critical advisory")


def test_dependency_trust_earned_when_audited_without_errors() -> None:
    assert status(variant(), "dependency-trust", facts=AUDITED) == "earned"
    warning = Finding("trust/low-downloads", Level.WARNING, "trust", "few downloads")
    assert status(variant(), "dependency-trust", facts=AUDITED, findings=[warning]) == "earned"


def test_dependency_trust_missed_on_trust_errors() -> None:
    result = factor(run(variant(), facts=AUDITED, findings=[trust_error()]), "dependency-trust")
    assert result.status == "missed" and "trust/vulnerable" in result.detail
    # errors from other gates do not cost this factor
    other = Finding("code/eval", Level.ERROR, "code", "eval")
    assert status(variant(), "dependency-trust", facts=AUDITED, findings=[other]) == "earned"


def test_dependency_trust_respects_the_callers_policy_levels() -> None:
    policy = Policy.from_mapping({"rules": {"trust/vulnerable": {"level": "warning"}}})
    assert status(variant(), "dependency-trust", facts=AUDITED, findings=[trust_error()], policy=policy) == "earned"


def test_dependency_trust_missed_when_the_trust_gate_crashed() -> None:
    crash = Finding("engine/internal-error", Level.ERROR, "engine", "trust failed", evidence="trust:RuntimeError")
    assert status(variant(), "dependency-trust", facts=AUDITED, findings=[crash]) == "missed"


def test_dependency_trust_without_dependencies_is_not_applicable_not_free() -> None:
    result = factor(run(variant()), "dependency-trust")
    assert (result.status, result.earned) == ("not-applicable", 0)
    excluded = Facts(dependencies=(Dependency("zod", "4", status="excluded"),))
    assert status(variant(), "dependency-trust", facts=excluded) == "not-applicable"


def test_dependency_trust_declared_but_unaudited_is_provisional() -> None:
    files = variant(manifest={"dependencies": {"lodash": "^4.17.21"}})
    assert status(files, "dependency-trust") == "provisional"
    unresolved = Facts(dependencies=(Dependency("lodash", "^4", status="unresolved"),))
    assert status(variant(), "dependency-trust", facts=unresolved) == "provisional"


# -- provenance --------------------------------------------------------------------------------------------------


def test_provenance() -> None:
    assert status(variant(), "provenance") == "earned"
    assert status(variant(drop=(".cinatra-published.json",)), "provenance") == "missed"
    other = {"widget.provenance.json": json.dumps({"name": "@acme/widget-tools", "subject": "sha512-x"})}
    assert status(variant(drop=(".cinatra-published.json",), add=other), "provenance") == "earned"
    broken = {".cinatra-published.json": "{not json"}
    assert status(variant(add=broken), "provenance") == "missed"
    stale = {".cinatra-published.json": json.dumps({"name": "@acme/widget-tools", "version": "0.9.0"})}
    result = factor(run(variant(add=stale)), "provenance")
    assert result.status == "missed" and "0.9.0" in result.detail
    nested = {"docs/.cinatra-published.json": load("complete")[".cinatra-published.json"]}
    assert status(variant(drop=(".cinatra-published.json",), add=nested), "provenance") == "missed"


def test_provenance_from_npm_attestations() -> None:
    manifest = {
        "dist": {"attestations": {"url": "https://registry.npmjs.org/-/npm/v1/attestations/x", "provenance": {}}}
    }
    assert status(variant(drop=(".cinatra-published.json",), manifest=manifest), "provenance") == "earned"


# -- manifest source ---------------------------------------------------------------------------------------------


def test_facts_manifest_wins_over_the_files() -> None:
    """The manifest gate's parsed manifest is what scoring reads when present."""
    facts = Facts(manifest=Manifest("package.json", "package.json", {"name": "x", "description": "A" * 30}))
    assert status(variant(manifest={"description": None}), "description", facts=facts) == "earned"


def test_unparsable_manifest_scores_as_missing_fields() -> None:
    result = run(variant(add={"package.json": "{ not json"}))
    assert factor(result, "description").status == "missed"
    assert factor(result, "has-readme").status == "earned"


@pytest.mark.parametrize(
    "source",
    [
        b"# -*- coding: no-such-codec -*-\ndef f():\n    pass\n",
        b"def f():\n    return '\xff\xfe'\n",  # not UTF-8 and no declaration
    ],
)
def test_python_with_a_bad_encoding_is_reported_not_a_crash(source: bytes) -> None:
    from extgate.scoring.symbols import python_symbols

    result = python_symbols("bad.py", source)
    assert result.error is not None and "not parsable" in result.error
    assert result.symbols == ()


def test_python_with_an_unevaluable_docstring_is_reported_not_a_crash() -> None:
    from extgate.scoring.symbols import python_symbols

    result = python_symbols("bad.py", b"def f():\n    '\\u00'\n")
    assert result.error is not None and result.symbols == ()

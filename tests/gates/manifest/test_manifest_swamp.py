"""swamp manifest.yaml: realistic extensions in both layouts, manifest/files and manifest/unlisted-content."""

from __future__ import annotations

from manifest_support import FIXTURES, NOW, code_facts, ids, load_dir, of, run

from extgate.facts import CodeFacts
from extgate.options import Options
from extgate.policy import Policy

SWAMP = FIXTURES / "swamp"
DEPLOY_IMPORTS = code_facts(
    imports=[
        ("npm:zod@4", "extensions/models/ec2_instance.ts", 1),
        ("./_lib/aws.ts", "extensions/models/ec2_instance.ts", 2),
        ("npm:zod@4", "extensions/models/security_group.ts", 1),
    ]
)
OWNER = Options(now=NOW, publishers=("@acme",))


def test_source_layout_extension_passes_every_rule() -> None:
    result = run(load_dir(SWAMP / "deploy-tools"), options=OWNER, code=DEPLOY_IMPORTS)
    assert ids(result) == []
    assert result.facts is not None and result.facts.manifest is not None
    assert result.facts.manifest.kind == "manifest.yaml"
    assert result.facts.manifest.data["models"] == ["ec2_instance.ts", "security_group.ts"]


def test_archive_layout_extension_passes_every_rule() -> None:
    assert ids(run(load_dir(SWAMP / "s3-datastore-archive"), options=OWNER, code=CodeFacts())) == []


def test_paths_base_manifest_resolves_beside_the_manifest() -> None:
    code = code_facts(imports=[("./helper.ts", "lifecycle.ts", 1)])
    assert ids(run(load_dir(SWAMP / "self-contained"), options=OWNER, code=code)) == []


def test_listed_file_missing_is_an_error_at_its_line() -> None:
    files = load_dir(SWAMP / "deploy-tools")
    del files["extensions/models/security_group.ts"]
    (finding,) = of(run(files, options=OWNER, code=DEPLOY_IMPORTS), "manifest/files")
    assert finding.level.value == "error"
    assert finding.properties["pointer"] == "/models/1"
    assert finding.location is not None and finding.location.line == 15
    assert "extensions/models/security_group.ts" in finding.message


def test_missing_skill_folder_and_additional_file() -> None:
    files = load_dir(SWAMP / "deploy-tools")
    del files[".claude/skills/deploy-tools/SKILL.md"]
    del files["LICENSE"]
    pointers = sorted(
        f.properties["pointer"] for f in of(run(files, options=OWNER, code=DEPLOY_IMPORTS), "manifest/files")
    )
    assert pointers == ["/additionalFiles/1", "/skills/0"]


def test_paths_with_dotdot_or_absolute_are_refused() -> None:
    text = (
        'manifestVersion: 1\nname: "@acme/x"\nversion: "2026.05.01.1"\n'
        "models:\n  - ../../etc/passwd\n  - /abs.ts\n  - ok/../../x.ts\n"
    )
    findings = of(run({"manifest.yaml": text}, options=OWNER, code=CodeFacts()), "manifest/files")
    assert [f.properties["pointer"] for f in findings] == ["/models/0", "/models/1", "/models/2"]
    assert all("without '..'" in f.message for f in findings)


def test_unlisted_file_is_a_warning_on_that_file() -> None:
    files = load_dir(SWAMP / "deploy-tools")
    files["extensions/models/debug_dump.ts"] = "export const x = 1;\n"
    files["notes/todo.txt"] = "later"
    findings = of(run(files, options=OWNER, code=DEPLOY_IMPORTS), "manifest/unlisted-content")
    assert sorted(f.location.path for f in findings if f.location) == [
        "extensions/models/debug_dump.ts",
        "notes/todo.txt",
    ]
    assert all(f.level.value == "warning" for f in findings)


def test_helpers_reached_only_through_imports_count_as_listed() -> None:
    files = load_dir(SWAMP / "deploy-tools")
    no_import = code_facts(imports=[("npm:zod@4", "extensions/models/ec2_instance.ts", 1)])
    findings = of(run(files, options=OWNER, code=no_import), "manifest/unlisted-content")
    assert [f.location.path for f in findings if f.location] == ["extensions/models/_lib/aws.ts"]


def test_without_import_facts_helpers_under_content_folders_are_counted() -> None:
    files = load_dir(SWAMP / "deploy-tools")
    result = run(files, options=OWNER, code=None)
    assert of(result, "manifest/unlisted-content") == []
    assert result.facts is not None
    assert any("no import facts" in note for note in result.facts.notes)


def test_unlisted_ignore_list_comes_from_the_policy() -> None:
    files = load_dir(SWAMP / "deploy-tools")
    strict = Policy.from_mapping({"manifest": {"swamp_unlisted_ignore": []}})
    paths = sorted(
        f.location.path
        for f in of(run(files, options=OWNER, code=DEPLOY_IMPORTS, policy=strict), "manifest/unlisted-content")
        if f.location
    )
    assert paths == [".swamp.yaml", "deno.json"]  # README/LICENSE are listed in additionalFiles here


def test_unlisted_findings_are_capped_with_a_summary() -> None:
    files = {"manifest.yaml": 'manifestVersion: 1\nname: "@acme/x"\nversion: "2026.05.01.1"\n'}
    files |= {f"junk/{i}.txt": "x" for i in range(70)}
    findings = of(run(files, options=OWNER, code=CodeFacts()), "manifest/unlisted-content")
    assert len(findings) == 51
    assert "20 more unlisted files" in findings[-1].message


def test_swamp_manifest_with_install_script_has_nothing_to_check() -> None:
    result = run(load_dir(SWAMP / "deploy-tools"), options=OWNER, code=DEPLOY_IMPORTS)
    assert of(result, "manifest/install-script") == []

"""What `swamp extension push` publishes from a directory (tests/fixtures/intake/swamp-ext), and where it lands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extgate.intake.directory import read_config
from extgate.intake.swamp_publish import swamp_publish_set
from extgate.intake.ts_imports import relative_specifiers, resolve

FIXTURE = Path(__file__).parent.parent / "fixtures" / "intake" / "swamp-ext"


def select(root: Path, manifest: str = "manifest.yaml") -> dict[str, str | None]:
    def load(rel: str) -> bytes | None:
        path = root / rel
        return path.read_bytes() if path.is_file() and not path.is_symlink() else None

    return swamp_publish_set(str(root), manifest, load, lambda rel: read_config(str(root), rel), max_files=500)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "ext"))


def test_typed_dir_layout(tree: Path) -> None:
    assert select(tree) == {
        "manifest.yaml": None,
        "extensions/models/deploy.ts": "models/deploy.ts",
        "extensions/models/lib/aws.ts": "models/lib/aws.ts",
        "extensions/models/lib/util.ts": "models/lib/util.ts",
        "extensions/models/lib/deeper.ts": "models/lib/deeper.ts",
        "extensions/models/types.ts": "models/types.ts",
        "extensions/models/data/regions.json": "models/data/regions.json",
        "extensions/vaults/my_vault/mod.ts": "vaults/my_vault/mod.ts",
        "extensions/vaults/my_vault/helper.ts": "vaults/my_vault/helper.ts",
        "extensions/workflows/deploy_stack.yaml": "workflows/deploy_stack.yaml",
        "extensions/workflows/ns-debug/workflow.yaml": "workflows/ns-debug.yaml",
        ".claude/skills/my-skill/SKILL.md": "skills/my-skill/SKILL.md",
        ".claude/skills/my-skill/references/x.md": "skills/my-skill/references/x.md",
        "README.md": "files/README.md",
        "docs/guide.md": "files/docs/guide.md",
        "bin/helper": "files/bin/helper",
        "LICENSE": None,
    }


def test_imports_come_from_the_parser_not_from_text() -> None:
    source = (FIXTURE / "extensions/models/deploy.ts").read_bytes()
    # the commented-out import and the one inside a string are not imports; npm: specifiers are not local
    assert relative_specifiers(source) == ["./lib/aws.ts", "./lib/util", "./types.ts", "../../outside.ts"]
    assert resolve("extensions/models/deploy.ts", "./lib/util") == "extensions/models/lib/util.ts"
    assert relative_specifiers(b'import "./side.ts";\nconst m = await import("./dyn.ts");\n') == []


def test_manifest_base_resolves_beside_the_manifest(tmp_path: Path) -> None:
    ext = tmp_path / "extensions" / "models" / "myext"
    ext.mkdir(parents=True)
    (ext / "manifest.yaml").write_text(
        "manifestVersion: 1\nname: '@acme/my'\nversion: '2026.01.01.1'\npaths:\n  base: manifest\n"
        "models: [model.ts]\nreports: [summary.ts]\nadditionalFiles: [prompts/review.md]\n"
    )
    (ext / "model.ts").write_text('import { a } from "./shared/a.ts";\nexport const model = a;\n')
    (ext / "shared").mkdir()
    (ext / "shared" / "a.ts").write_text("export const a = 1;\n")
    (ext / "summary.ts").write_text("export const report = {};\n")
    (ext / "prompts").mkdir()
    (ext / "prompts" / "review.md").write_text("# Review\n")
    (ext / "README.md").write_text("# My\n")
    assert select(ext) == {
        "manifest.yaml": None,
        "model.ts": "models/model.ts",
        "shared/a.ts": "models/shared/a.ts",
        "summary.ts": "reports/summary.ts",
        "prompts/review.md": "files/prompts/review.md",
        "README.md": None,
    }


def test_marker_overrides_folders_and_unsafe_paths_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.ts").write_text("export const m = 1;\n")
    (tmp_path / "secret.txt").write_text("outside the models folder")
    (tmp_path / ".swamp.yaml").write_text("modelsDir: src\n")
    (tmp_path / "manifest.yaml").write_text(
        "manifestVersion: 1\nname: '@a/b'\nversion: '2026.01.01.1'\n"
        "models: [m.ts, ../secret.txt, /etc/passwd]\nadditionalFiles: ['../../etc/hostname', missing.md]\n"
    )
    assert select(tmp_path) == {"manifest.yaml": None, "src/m.ts": "models/m.ts"}


@pytest.mark.parametrize("content", ["", "- just\n- a list\n", "{{{ not yaml", "models: 7\n"])
def test_broken_manifest_selects_only_manifest_and_docs(tmp_path: Path, content: str) -> None:
    (tmp_path / "manifest.yaml").write_text(content)
    (tmp_path / "README.md").write_text("# x\n")
    (tmp_path / "other.ts").write_text("x\n")
    assert select(tmp_path) == {"manifest.yaml": None, "README.md": None}


def test_symlinked_folders_are_not_entered(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "m.ts").write_text("export const stolen = 1;\n")
    root = tmp_path / "ext"
    (root / "extensions").mkdir(parents=True)
    (root / "extensions" / "models").symlink_to(outside, target_is_directory=True)
    (root / "manifest.yaml").write_text("manifestVersion: 1\nname: '@a/b'\nversion: '2026.01.01.1'\nmodels: [m.ts]\n")
    assert select(root) == {"manifest.yaml": None, "extensions/models": None}  # the link itself, to be reported

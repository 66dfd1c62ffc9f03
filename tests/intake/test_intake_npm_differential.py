"""Issue 15.1: extgate's view of a tarball must cover what npm's tar (node-tar) extracts.

Every archive here is read twice: by extgate's intake and by node-tar (npm's bundled copy, run with node on local
files). Unless extgate blocked the archive as corrupt, both must see the same members with the same content.
Hostile layouts that make the two readers disagree (tests/hostile/smuggling.py) must be blocked, and for each
one node-tar must really see the hidden member, so the fixture proves the attack and not just a parse error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from extgate import Options, check
from extgate.intake import IntakeLimits, open_source
from extgate.intake.sniff import archive_kind
from extgate.model import EntryKind, Package
from hostile.smuggling import AGREEING, DISAGREEING, EVIL, HIDDEN
from hostile.test_hostile_archives import HOSTILE
from support.archives import npm_tgz
from support.nodetar import NodeView, node_list, node_pack, require_node_tar

LIMITS = IntakeLimits()
FIXTURES = Path(__file__).parent.parent / "fixtures"
OFFLINE = Options(offline=True, network=False, use_cache=False)


def fixture_dirs() -> list[Path]:
    """Every fixture package (a folder with a manifest) and every content-rule fixture folder."""
    manifests = {p.parent for name in ("package.json", "manifest.yaml") for p in FIXTURES.rglob(name)}
    content = {p for p in (FIXTURES / "content").glob("*/*") if p.is_dir()}
    return sorted(manifests | content)


def corrupt(package: Package) -> bool:
    return any(i.rule_id == "archive/corrupt" for i in package.issues)


def stopped(package: Package) -> bool:
    """Reading stopped early (corrupt, too many files, too large): the archive is blocked whatever npm sees."""
    return any(i.rule_id in ("archive/corrupt", "archive/too-many-files", "archive/too-large") for i in package.issues)


def assert_covered(data: bytes, view: NodeView) -> Package:
    """Either extgate blocks the archive as corrupt, or it read exactly the members node-tar read."""
    package = open_source(data, limits=LIMITS)
    if stopped(package):
        return package
    ours = {e.raw_name: e for e in package.entries}
    theirs = {e["path"].rstrip("/") or e["path"]: e for e in view.entries + view.ignored}
    assert set(theirs) == set(ours), f"node-tar and extgate list different members: {set(theirs) ^ set(ours)}"
    for path, sha256 in view.files().items():
        entry = ours[path.rstrip("/") or path]
        assert entry.kind is EntryKind.FILE
        assert entry.truncated or entry.sha256 == sha256, f"{path}: node-tar extracts other content"
    return package


CASES: dict[str, Callable[[], bytes]] = {**AGREEING, **HIDDEN, **DISAGREEING}


@pytest.fixture(scope="module")
def node_views(tmp_path_factory: pytest.TempPathFactory) -> Callable[[list[bytes]], list[NodeView]]:
    require_node_tar()
    tmp = tmp_path_factory.mktemp("node-tar")
    return lambda archives: node_list(archives, tmp)


@pytest.fixture(scope="module")
def cases(node_views: Callable[[list[bytes]], list[NodeView]]) -> dict[str, tuple[bytes, NodeView]]:
    """Every smuggling case built once and read by node-tar in one node process."""
    built = {name: make() for name, make in CASES.items()}
    return dict(zip(built, zip(built.values(), node_views(list(built.values())), strict=True), strict=True))


def test_every_fixture_packed_by_node_tar_reads_the_same(
    node_views: Callable[[list[bytes]], list[NodeView]], tmp_path: Path
) -> None:
    dirs = fixture_dirs()
    assert len(dirs) >= 10
    archives = node_pack(dirs, tmp_path)  # the layout npm pack writes (pax headers + ustar prefix for long names)
    archives += [
        npm_tgz({p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}) for d in dirs
    ]
    for data, view, where in zip(archives, node_views(archives), dirs + dirs, strict=True):
        package = assert_covered(data, view)
        assert not corrupt(package), f"{where}: an honest archive was reported corrupt: {package.issues}"
        assert view.files(), where


@pytest.mark.parametrize("name", AGREEING)
def test_unusual_but_honest_layouts_read_the_same(name: str, cases: dict[str, tuple[bytes, NodeView]]) -> None:
    data, view = cases[name]
    package = assert_covered(data, view)
    assert not corrupt(package), package.issues
    assert len(view.files()) >= 2


@pytest.mark.parametrize("name", HIDDEN)
def test_members_only_npm_sees_are_blocked(name: str, cases: dict[str, tuple[bytes, NodeView]]) -> None:
    data, view = cases[name]
    package = assert_covered(data, view)
    extracted_by_npm = {path for path, sha in view.files().items() if path.endswith("index.js")}
    assert extracted_by_npm, f"fixture does not hide anything from extgate: {view}"
    assert EVIL not in (package.read("index.js") or b""), "extgate saw the code, so the fixture proves nothing"
    assert corrupt(package), f"{name}: npm extracts a member extgate never saw, yet the archive passed intake"
    assert any("npm's tar reader would read this archive differently" in i.message for i in package.issues)


@pytest.mark.parametrize("name", ["single-zero-block", "pax-size-12abc"])
def test_the_campaign_inputs_are_blocked_end_to_end(name: str) -> None:
    verdict = check(HIDDEN[name](), options=OFFLINE)
    assert verdict.blocked
    [finding] = [f for f in verdict.findings if f.rule_id == "archive/corrupt"]
    assert "npm's tar reader would read this archive differently" in finding.message


@pytest.mark.parametrize("name", DISAGREEING)
def test_layouts_the_readers_disagree_on_are_blocked(name: str, cases: dict[str, tuple[bytes, NodeView]]) -> None:
    data, view = cases[name]
    assert corrupt(assert_covered(data, view))


def test_hostile_intake_fixtures_are_covered(node_views: Callable[[list[bytes]], list[NodeView]]) -> None:
    """The older hostile fixtures (traversal, links, devices, duplicates ...): npm's view never exceeds ours."""
    tars = [make() for make, _ in HOSTILE.values()]
    tars = [data for data in tars if archive_kind(data[:512]) in ("gzip", "tar") and len(data) < 200_000]
    assert len(tars) >= 8
    for data, view in zip(tars, node_views(tars), strict=True):
        assert_covered(data, view)

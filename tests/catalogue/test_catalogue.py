"""index + reaudit: the catalogue records what each version installs; new advisories are matched only against
the versions whose resolved dependencies they name, each with the marketplace's lifecycle action."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from extgate.batch.output import to_line
from extgate.batch.work import scan_one
from extgate.catalogue.store import Catalogue
from extgate.cli import main
from extgate.options import Options
from extgate.policy import Policy
from support.archives import npm_tgz

OSV = Path(__file__).parents[1] / "fixtures" / "osv" / "npm"
LODASH_4_17_15 = {"GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw", "GHSA-29mw-wpgm-hmr9"}


def archive(folder: Path, name: str, deps: dict[str, str]) -> Path:
    doc = {"name": name, "version": "1.0.0", "description": "x", "license": "MIT", "main": "index.js"}
    path = folder / f"{name}-1.0.0.tgz"
    files = {"package.json": json.dumps({**doc, "dependencies": deps}), "index.js": "module.exports = 1;\n"}
    path.write_bytes(npm_tgz(files))
    return path


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSONL of four real verdicts (checked offline, no advisories known at publish time)."""
    folder = tmp_path_factory.mktemp("published")
    empty = folder / "no-advisories"
    empty.mkdir()
    options = Options(offline=True, network=False, use_cache=False, osv_db=str(empty))
    paths = [
        archive(folder, "lodash-user", {"lodash": "4.17.15"}),
        archive(folder, "chalk-user", {"chalk": "5.6.1"}),
        archive(folder, "fixed-lodash", {"lodash": "4.17.21"}),
        archive(folder, "no-deps", {}),
    ]
    out = folder / "verdicts.jsonl"
    out.write_text("".join(to_line(scan_one(str(p), Policy(), options)) + "\n" for p in paths))
    return out


@pytest.fixture
def catalogue(scanned: Path, tmp_path: Path) -> Path:
    db = tmp_path / "catalogue.sqlite"
    assert main(["index", str(scanned), "--from-jsonl", "--db", str(db)]) == 0
    return db


def reaudit(db: Path, advisories: Path, tmp_path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    out = tmp_path / "report.json"
    rc = main(["reaudit", "--db", str(db), "--advisories", str(advisories), "--format", "json", "-o", str(out), *extra])
    return rc, json.loads(out.read_text())


def test_index_records_identity_summary_and_resolved_dependencies(catalogue: Path, scanned: Path) -> None:
    store = Catalogue(catalogue)
    rows = store.db.execute("SELECT name, version, status, sha256 FROM archives ORDER BY name").fetchall()
    deps = store.db.execute(
        "SELECT a.name, d.name, d.version, d.direct FROM dependencies d JOIN archives a ON a.id = d.archive_id"
        " ORDER BY a.name"
    ).fetchall()
    assert [r[:2] for r in rows] == [(n, "1.0.0") for n in ("chalk-user", "fixed-lodash", "lodash-user", "no-deps")]
    records = {json.loads(line)["sha256"] for line in scanned.read_text().splitlines()}
    assert {r[3] for r in rows} == records
    assert deps == [
        ("chalk-user", "chalk", "5.6.1", 1),
        ("fixed-lodash", "lodash", "4.17.21", 1),
        ("lodash-user", "lodash", "4.17.15", 1),
    ]
    assert main(["index", str(scanned), "--from-jsonl", "--db", str(catalogue)]) == 0  # same archives again
    assert store.count() == 4  # re-indexing replaces by sha256
    store.close()


def test_reaudit_actions_per_affected_version(catalogue: Path, tmp_path: Path) -> None:
    rc, data = reaudit(catalogue, OSV, tmp_path)
    assert rc == 1  # something published is affected
    affected = {(a["name"], a["action"]): a for a in data["affected"]}  # type: ignore[union-attr, index]
    assert list(affected) == [("chalk-user", "emergency-removal-candidate"), ("lodash-user", "suspend-new-installs")]
    assert {a["id"] for a in affected["chalk-user", "emergency-removal-candidate"]["advisories"]} == {"MAL-2025-46969"}
    lodash = affected["lodash-user", "suspend-new-installs"]["advisories"]
    assert {a["id"] for a in lodash} == LODASH_4_17_15
    assert {a["id"]: a["action"] for a in lodash}["GHSA-29mw-wpgm-hmr9"] == "deprecation-warning"  # its own MEDIUM
    assert all(a["dependency"] == "lodash" and a["dependency_version"] == "4.17.15" for a in lodash)
    assert data["dependency_rows_checked"] == 3  # only rows the records name (lodash x2, chalk); no-deps untouched
    assert data["catalogue_versions"] == 4


def test_reaudit_only_new_records_and_since(catalogue: Path, tmp_path: Path) -> None:
    new = tmp_path / "new"
    new.mkdir()
    shutil.copy(OSV / "GHSA-29mw-wpgm-hmr9.json", new)  # one MEDIUM lodash record landed
    rc, data = reaudit(catalogue, new, tmp_path)
    assert rc == 1
    [only] = data["affected"]  # type: ignore[misc]
    assert (only["name"], only["action"]) == ("lodash-user", "deprecation-warning")
    rc, data = reaudit(catalogue, OSV, tmp_path, "--since", "2023-01-01T00:00:00Z")
    ids = {adv["id"] for item in data["affected"] for adv in item["advisories"]}  # type: ignore[union-attr]
    assert ids == {"GHSA-29mw-wpgm-hmr9", "MAL-2025-46969"}  # lodash's 2022 records are not new
    rc, data = reaudit(catalogue, OSV, tmp_path, "--since", "2099-01-01T00:00:00Z")
    assert rc == 0 and data["affected"] == [] and data["advisories_loaded"] == 0


def test_reaudit_table_and_usage_errors(catalogue: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reaudit", "--db", str(catalogue), "--advisories", str(OSV)]) == 1
    out = capsys.readouterr().out
    assert "4 catalogue version(s): 2 affected" in out
    assert "chalk-user@1.0.0" in out and "emergency-removal-candidate" in out and "MAL-2025-46969" in out
    garbage = tmp_path / "not-a-catalogue.sqlite"
    garbage.write_bytes(b"this is not sqlite" * 100)
    assert main(["reaudit", "--db", str(garbage), "--advisories", str(OSV)]) == 2
    assert main(["reaudit", "--db", str(catalogue), "--advisories", str(tmp_path / "missing")]) == 2
    assert main(["index", str(tmp_path), "--from-jsonl", "--db", str(tmp_path / "c.sqlite")]) == 2


def test_reaudit_since_without_advisories_reads_the_osv_feed(catalogue: Path, tmp_path: Path) -> None:
    """OSV API mode: modified_id.csv (newest first) read only down to `since`, then /v1/vulns/{id} per new id."""
    from support.osv_server import OsvServer

    records = [json.loads(p.read_text()) for p in sorted(OSV.glob("*.json"))]
    with OsvServer(records) as server:
        feed = ["--osv-url", server.url, "--osv-modified-url", f"{server.url}/npm/modified_id.csv"]
        out = tmp_path / "report.json"
        rc = main(["reaudit", "--db", str(catalogue), "--since", "2023-01-01T00:00:00Z", *feed, "--format", "json",
                   "-o", str(out)])  # fmt: skip
        fetched = [p.removeprefix("/v1/vulns/") for p in server.paths("GET") if p.startswith("/v1/vulns/")]
        newer = {r["id"] for r in records if r.get("modified", "") >= "2023-01-01T00:00:00Z"}
        assert rc == 1
        assert set(fetched) == newer and len(fetched) < len(records)  # older records were never fetched
        data = json.loads(out.read_text())
        ids = {adv["id"] for item in data["affected"] for adv in item["advisories"]}
        assert ids == {"GHSA-29mw-wpgm-hmr9", "MAL-2025-46969"}  # the same answer as the zip with --since
        server.always = 503
        assert main(["reaudit", "--db", str(catalogue), "--since", "2023-01-01T00:00:00Z", *feed]) == 3
    assert main(["reaudit", "--db", str(catalogue)]) == 2  # neither --advisories nor --since
    assert main(["reaudit", "--db", str(catalogue), "--since", "yesterday"]) == 2


def test_since_compares_times_not_text() -> None:
    from datetime import UTC, datetime

    from extgate.catalogue.reaudit import since_filter
    from extgate.trust.interface import OsvRecord

    since = datetime(2024, 1, 1, tzinfo=UTC)
    records = [
        OsvRecord("A", {"modified": "2024-01-01T01:30:00+02:00"}),  # 2023-12-31T23:30Z: older, though "2024" as text
        OsvRecord("B", {"modified": "2024-01-01T00:00:00.5Z"}),
        OsvRecord("C", {"modified": "not a time"}),  # unreadable: kept, better re-checked than missed
    ]
    assert [r.id for r in since_filter(records, since)] == ["B", "C"]


def test_index_scans_a_folder_itself(catalogue: Path, scanned: Path, tmp_path: Path) -> None:
    """`index DIR` checks the archives on the worker pool and records the same rows as indexing their JSONL."""
    db = tmp_path / "scanned.sqlite"
    empty = scanned.parent / "no-advisories"
    args = ["--offline", "--no-cache", "--osv-db", str(empty), "-j", "1"]
    assert main(["index", str(scanned.parent), "--db", str(db), *args]) == 0

    def rows(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        store = Catalogue(path)
        archives = store.db.execute("SELECT sha256, path, name, version, status, errors, warnings, rules FROM archives")
        deps = store.db.execute(
            "SELECT a.sha256, d.name, d.version, d.direct FROM dependencies d JOIN archives a ON a.id = d.archive_id"
        )
        out = sorted(archives.fetchall()), sorted(deps.fetchall())
        store.close()
        return out

    assert rows(db) == rows(catalogue)
    assert len(rows(db)[0]) == 4


def test_reaudit_rescan_runs_the_full_check_where_the_archive_is_still_there(
    catalogue: Path, scanned: Path, tmp_path: Path
) -> None:
    new = tmp_path / "new"
    new.mkdir()
    for vuln_id in ("GHSA-35jh-r3h4-6jhm", "GHSA-29mw-wpgm-hmr9"):  # two lodash records land
        shutil.copy(OSV / f"{vuln_id}.json", new)
    rc, data = reaudit(catalogue, new, tmp_path, "--rescan", "-j", "1")
    assert rc == 1
    assert data["method"] == "full-check" and data["full_checks"] == 2  # lodash-user and fixed-lodash were touched
    [item] = data["affected"]  # type: ignore[misc]
    assert (item["name"], item["method"], item["action"]) == ("lodash-user", "full-check", "suspend-new-installs")
    assert {a["id"] for a in item["advisories"]} == {"GHSA-35jh-r3h4-6jhm", "GHSA-29mw-wpgm-hmr9"}

    # an archive gone from its path (or replaced) cannot be re-read: it keeps the dependency match, and says so
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    store = Catalogue(catalogue)
    with store.db:
        store.db.execute("UPDATE archives SET path = ? WHERE name = 'lodash-user'", (str(moved / "gone.tgz"),))
    store.close()
    rc, data = reaudit(catalogue, new, tmp_path, "--rescan")
    [item] = data["affected"]  # type: ignore[misc]
    assert rc == 1 and data["full_checks"] == 1  # only fixed-lodash was still there
    assert (item["name"], item["method"]) == ("lodash-user", "dependency-match")

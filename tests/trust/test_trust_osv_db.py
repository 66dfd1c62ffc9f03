"""The offline OSV database: a folder of records or an ecosystem all.zip, matched locally."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from trust_helpers import FIXTURES

from extgate.trust.interface import AuditUnavailable, PackageVersion
from extgate.trust.osv import OsvDatabase

WANTED = [
    PackageVersion("lodash", "4.17.20"),
    PackageVersion("axios", "1.7.2"),
    PackageVersion("debug", "4.4.2"),
    PackageVersion("@ctrl/tinycolor", "4.1.1"),
    PackageVersion("jsonwebtoken", "8.5.1"),
    PackageVersion("left-pad", "1.3.0"),
]
EXPECTED = {
    PackageVersion("lodash", "4.17.20"): ["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm"],
    PackageVersion("axios", "1.7.2"): ["GHSA-8hc4-vh64-cxmj"],  # the mis-cased record ("Axios")
    PackageVersion("debug", "4.4.2"): ["MAL-2025-46974"],
    PackageVersion("@ctrl/tinycolor", "4.1.1"): ["MAL-2025-47141"],
    # GHSA-27h2-hvpr-p74q also covers 8.5.1 but is withdrawn
    PackageVersion("jsonwebtoken", "8.5.1"): ["GHSA-8cf7-32gw-wr33", "GHSA-qwph-4952-7xr6"],
}


def found(db: OsvDatabase) -> dict[PackageVersion, list[str]]:
    result = db.lookup_sync(WANTED)
    return {k: sorted(r.id for r in v) for k, v in result.records.items()}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "osv"
    shutil.copytree(FIXTURES / "npm", target / "npm")
    shutil.copytree(FIXTURES / "malformed", target / "malformed")
    return target


def test_folder_database(folder: Path) -> None:
    db = OsvDatabase(str(folder))
    assert found(db) == EXPECTED
    # the malformed record names no wanted package: the prefilter never parses it
    assert not any("malformed" in n for n in db.lookup_sync(WANTED).notes)


def test_all_zip_database(folder: Path, tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*.json")):
            zf.write(file, file.name)  # OSV's all.zip is flat: <id>.json
        zf.writestr("not-json.txt", "ignored")
        zf.writestr("broken.json", '{"id": ')
    assert found(OsvDatabase(str(archive))) == EXPECTED


def test_malformed_record_naming_a_wanted_package_does_not_crash(folder: Path) -> None:
    db = OsvDatabase(str(folder))
    flatmap = PackageVersion("flatmap-stream", "11.1.1")
    result = db.lookup_sync([flatmap])
    # MAL-2025-20690 (open-ended) still applies; the id-less copy of it is skipped with a note
    assert sorted(r.id for r in result.records[flatmap]) == ["GHSA-mh6f-8j2x-4483", "MAL-2025-20690"]
    assert any("skipped 1 malformed OSV record" in n and "MAL-0000-flatmap-stream.json" in n for n in result.notes)


def test_unreadable_database_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(AuditUnavailable, match="not a folder"):
        OsvDatabase(str(tmp_path / "missing.zip")).lookup_sync(WANTED)
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(AuditUnavailable):
        OsvDatabase(str(bogus)).lookup_sync(WANTED)


def test_nothing_wanted_reads_nothing(tmp_path: Path) -> None:
    assert OsvDatabase(str(tmp_path / "missing")).lookup_sync([]).records == {}

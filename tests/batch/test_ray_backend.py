"""--backend ray: the same per-archive work as Ray tasks (Ray local mode), records identical to the local backend's
(durations aside); a hung archive is cancelled at its timeout and blocks only itself."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from extgate.batch.interface import Job
from extgate.batch.output import to_line
from extgate.batch.work import scan_one
from extgate.options import Options
from extgate.policy import Policy
from support.batch_work import hang_on_marked, without_durations

ray = pytest.importorskip("ray", reason="Ray is not installed (scripts/test installs extgate[ray]): backend UNTESTED")

from extgate.batch.ray_backend import RayBackend  # noqa: E402

OFFLINE = Options(offline=True, network=False, use_cache=False)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    tests = str(Path(__file__).parents[1])  # Ray's workers import support.batch_work like this process does
    path = os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield
    ray.shutdown()


def test_ray_records_identical_to_local(local_ray: None, corpus: Path) -> None:
    paths = sorted(str(p) for p in corpus.rglob("*.tgz"))
    jobs = [Job(i, p, Policy(), OFFLINE, 300.0) for i, p in enumerate(paths)]
    got = {job.path: record for job, record in RayBackend(jobs=2).run(jobs)}
    assert sorted(got) == paths
    for path in paths:
        assert to_line(without_durations(got[path])) == to_line(without_durations(scan_one(path, Policy(), OFFLINE)))


def test_ray_timeout_blocks_only_the_hung_archive(local_ray: None, corpus: Path, tmp_path: Path) -> None:
    hung = tmp_path / "hang-1.0.0.tgz"
    hung.write_bytes((corpus / "clean-1.0.0.tgz").read_bytes())
    clean = str(corpus / "clean-1.0.0.tgz")
    jobs = [Job(0, str(hung), Policy(), OFFLINE, 3.0), Job(1, clean, Policy(), OFFLINE, 300.0)]
    got = {Path(job.path).name: record for job, record in RayBackend(jobs=2, work=hang_on_marked).run(jobs)}
    assert got["clean-1.0.0.tgz"]["status"] == "passed"
    assert got["hang-1.0.0.tgz"]["status"] == "blocked"
    [finding] = got["hang-1.0.0.tgz"]["verdict"]["findings"]
    assert finding["rule_id"] == "engine/internal-error" and "within 3 s" in finding["message"]


def test_scan_many_backend_ray_from_the_command_line(local_ray: None, corpus: Path, tmp_path: Path) -> None:
    """End to end as a user runs it: the JSONL lines equal the library's verdicts, durations aside."""
    from extgate.cli import main

    out = tmp_path / "ray.jsonl"
    rc = main(["scan-many", str(corpus), "--backend", "ray", "-j", "2", "--offline", "--no-cache", "-o", str(out)])
    assert rc == 1  # evil and junk are blocked
    lines = out.read_text().splitlines()
    paths = sorted(str(p) for p in corpus.rglob("*.tgz"))
    assert [json.loads(line)["path"] for line in lines] == paths
    for line, path in zip(lines, paths, strict=True):
        expected = to_line(without_durations(scan_one(path, Policy(), OFFLINE)))
        assert to_line(without_durations(json.loads(line))) == expected

"""Library papercuts a new user of the publish path hit: Options/Policy types, PolicyError, acheck's executor."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

import extgate
from extgate import Options, Policy, PolicyError, acheck, check
from support.archives import npm_tgz

OPTIONS = Options(offline=True, network=False, use_cache=False)
WARNS = npm_tgz(
    {
        "package.json": json.dumps({"name": "spawner", "version": "1.0.0", "main": "index.js", "license": "MIT"}),
        "index.js": "require('child_process').execFileSync('git', ['status']);\n",
    }
)


def test_publishers_accepts_one_scope_as_a_string() -> None:
    assert Options(publishers="@acme").publishers == ("@acme",)
    assert Options(publishers=["@a", "@b"]).publishers == ("@a", "@b")
    assert Options(publishers="").publishers == ()
    with pytest.raises(TypeError, match="publishers"):
        Options(publishers=[1, 2])  # type: ignore[list-item]


def test_a_policy_mapping_works_like_the_file() -> None:
    as_dict = check(WARNS, {"rules": {"code/subprocess": {"level": "error"}}}, options=OPTIONS)
    as_policy = check(WARNS, Policy.from_mapping({"rules": {"code/subprocess": {"level": "error"}}}), options=OPTIONS)
    assert as_dict.blocked and as_policy.blocked
    assert [f.fingerprint for f in as_dict.findings] == [f.fingerprint for f in as_policy.findings]
    with pytest.raises(TypeError, match="policy must be"):
        check(WARNS, ["not", "a", "policy"], options=OPTIONS)  # type: ignore[arg-type]
    with pytest.raises(PolicyError):
        check(WARNS, {"rules": {"code/subprocess": {"level": "fatal"}}}, options=OPTIONS)


def test_policy_error_and_to_dict_are_public() -> None:
    assert extgate.PolicyError is PolicyError and "PolicyError" in extgate.__all__
    data = check(WARNS, options=OPTIONS).to_dict()
    assert data["status"] == "needs-acknowledgement" and data["schema_version"]


def test_acheck_runs_in_a_process_pool_under_a_limit() -> None:
    expected = check(WARNS, options=OPTIONS)

    async def many() -> list[extgate.Verdict]:
        limiter = asyncio.Semaphore(2)
        ctx = multiprocessing.get_context("fork")  # fast to start in a test; services pick spawn (the example)
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
            jobs = [acheck(WARNS, {}, options=OPTIONS, executor=pool, limiter=limiter) for _ in range(4)]
            return list(await asyncio.gather(*jobs))

    verdicts = asyncio.run(many())
    assert all([f.fingerprint for f in v.findings] == [f.fingerprint for f in expected.findings] for v in verdicts)
    assert asyncio.run(acheck(WARNS, options=OPTIONS)).status == expected.status  # default: a worker thread
